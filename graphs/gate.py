"""gate: decides, per proposed action, whether it may run; pauses for a person with `interrupt()`.

Contract (DESIGN.md §3): no side effects before `interrupt()` — LangGraph re-runs this node from
its first line on every resume. Everything above the `interrupt()` call is pure.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Literal

from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt

from graphs.decisions import DECISIONS, decision_model, dump
from graphs.state import ActionState, Context, Outcome, ProposedAction
from tools.registry import get_tool

log = logging.getLogger(__name__)

PLACEHOLDER = re.compile(r"\[[^\]\d][^\]]{0,40}\]")  # [Name], [Your Name]; not citations [1]


def review_request(
    action: ProposedAction, evidence: list[Any], ctx: Context, feedback: list[str]
) -> dict[str, Any]:
    """The interrupt payload: JSON only, close to LangChain v1's HITL request shape."""
    tool = get_tool(action["name"])
    by_id = {e["id"]: e for e in evidence}
    unsupported = [c["text"] for c in action["claims"] if not c["evidence_ids"]]
    reasons = [
        f"{tool.title} is a {tool.risk.tier}-risk action: {tool.risk.why} It waits for your sign-off."
    ]
    if action["confidence"] < ctx.min_confidence:
        reasons.append(
            f"The writer rated its own confidence {action['confidence']:.0%}, below the "
            f"{ctx.min_confidence:.0%} threshold."
        )
    if unsupported:
        reasons.append(
            f"{len(unsupported)} claim(s) cite no evidence: check them before approving."
        )
    placeholders = sorted(
        set(PLACEHOLDER.findall(" ".join(str(v) for v in action["args"].values())))
    )
    if placeholders:
        reasons.append(
            f"The draft has placeholders that would go out as written: {', '.join(placeholders)}."
        )
    if action["revision"]:
        reasons.append(f"Redraft #{action['revision']} after your feedback.")
    allowed = [d for d in DECISIONS if d != "revise" or action["revision"] < ctx.max_revisions]
    try:
        tool.validate_args(action["args"])
    except ValueError as exc:
        reasons.append(f"The draft cannot go out as it is ({exc}) Edit it or send it back.")
        allowed.remove("approve")
    description = tool.preview(action["args"])
    return {
        "action_requests": [
            {"name": action["name"], "args": action["args"], "description": description}
        ],
        "review_configs": [{"action_name": action["name"], "allowed_decisions": allowed}],
        "action": {"name": action["name"], "args": action["args"]},
        "action_id": action["id"],
        "channel": action["channel"],
        "title": tool.title,
        "text": description,
        "risk": tool.risk.tier,
        "reversible": tool.risk.reversible,
        "reasons": reasons,
        "confidence": action["confidence"],
        "claims": action["claims"],
        "evidence": [
            {
                "claim": c["text"],
                "sources": [by_id[i] for i in c["evidence_ids"] if i in by_id],
            }
            for c in action["claims"]
        ],
        "unsupported_claims": unsupported,
        "revision": action["revision"],
        "feedback": feedback,
        "allowed_decisions": allowed,
        "hold_seconds": 0,
    }


def gate(
    state: ActionState, runtime: Runtime[Context]
) -> Command[Literal["publisher", "writer", "__end__"]]:
    action = state["action"]
    request = review_request(action, state["evidence"], runtime.context, state.get("feedback", []))
    decided = interrupt(request, response_schema=decision_model(action["name"]))
    decision = dump(decided)
    kind = decision["type"]
    if kind not in request["allowed_decisions"]:
        # A resume that bypassed the runtime's validation: treat like a malformed decision.
        raise ValueError(
            f"Decision {kind!r} is not allowed here; expected one of {request['allowed_decisions']}."
        )
    log.info("gate: %s on %s", kind, action["id"])
    if kind == "approve":
        return Command(update={"decision": decision}, goto="publisher")
    if kind == "edit":
        edited = ProposedAction(**{**action, "args": decision["args"]})
        return Command(update={"decision": decision, "action": edited}, goto="publisher")
    if kind == "revise":
        return Command(
            update={
                "decision": decision,
                "feedback": [*state.get("feedback", []), decision["feedback"]],
            },
            goto="writer",
        )
    outcome = Outcome(
        action_id=action["id"],
        name=action["name"],
        status="rejected",
        detail={"reason": decision["reason"], "comment": decision.get("comment", "")},
    )
    return Command(update={"decision": decision, "outcomes": [outcome]}, goto="__end__")
