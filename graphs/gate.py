"""gate: pauses for a person with `interrupt()` when the policy routed an action to review.

Contract (DESIGN.md §3): no side effects before `interrupt()` — LangGraph re-runs this node from
its first line on every resume. The route and its reasons were computed (and checkpointed) by
`assess`; everything above the `interrupt()` call only formats them.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt

from graphs.decisions import DECISIONS, decision_model, dump
from graphs.state import ActionState, Context, Outcome, ProposedAction
from tools.registry import get_tool

log = logging.getLogger(__name__)


def draft_diff(before: dict[str, Any] | None, after: dict[str, Any]) -> str:
    """What a redraft changed, line by line ("" for a first draft)."""
    if not before:
        return ""
    import difflib

    lines: list[str] = []
    for key in after:
        old, new = str(before.get(key, "")), str(after[key])
        if old != new:
            lines += difflib.unified_diff(
                old.splitlines(), new.splitlines(), f"{key} before", f"{key} now", lineterm=""
            )
    return "\n".join(lines)


def review_request(
    action: ProposedAction,
    evidence: list[Any],
    assessment: dict[str, Any],
    feedback: list[str],
    max_revisions: int,
) -> dict[str, Any]:
    """The interrupt payload: JSON only, close to LangChain v1's HITL request shape."""
    tool = get_tool(action["name"])
    by_id = {e["id"]: e for e in evidence}
    checks = assessment.get("claim_checks", [])
    unsupported = list(dict.fromkeys(c["text"] for c in checks if not c["supported"]))
    allowed = [d for d in DECISIONS if d != "revise" or action["revision"] < max_revisions]
    if not assessment.get("allow_approve", True):
        allowed.remove("approve")
    description = tool.preview(action["args"])
    flagged = [e for e in evidence if "contains instructions" in e.get("flags", [])]
    return {
        "kind": "review",
        "action_requests": [
            {"name": action["name"], "args": action["args"], "description": description}
        ],
        "review_configs": [{"action_name": action["name"], "allowed_decisions": allowed}],
        "action": {"name": action["name"], "args": action["args"]},
        "action_id": action["id"],
        "channel": action["channel"],
        "title": tool.title,
        "text": description,
        "risk": assessment["tier"],
        "reversible": assessment["reversible"],
        "level": assessment["level"],
        "route": assessment["route"],
        "reasons": assessment["reasons"],
        "exceptions": assessment.get("exceptions", []),
        "confidence": assessment["confidence"],
        "writer_confidence": action["confidence"],
        "checks": assessment.get("checks", {}),
        "claims": action["claims"],
        "claim_checks": checks,
        "evidence": [
            {
                "claim": c["text"],
                "sources": [by_id[i] for i in c["evidence_ids"] if i in by_id],
            }
            for c in action["claims"]
        ],
        "unsupported_claims": unsupported,
        "needs_check": bool(unsupported),
        "flagged_sources": [
            {"id": e["id"], "source": e["source"], "location": e["location"]} for e in flagged
        ],
        "revision": action["revision"],
        "feedback": feedback,
        # The AI review (graphs/writer.py): what it left for the person and why, its rounds,
        # and on a redraft what changed against the previous draft.
        "review_notes": action.get("review_notes", []),
        "review_rounds": len(action.get("rounds", [])),
        "changes": draft_diff(action.get("previous_args"), action["args"]),
        "allowed_decisions": allowed,
        "hold_seconds": assessment.get("hold_seconds", 0),
        "expires_after": assessment.get("expires_after"),
        "batch": action.get("batch"),
        "batch_size": action.get("batch_size", 1),
    }


def gate(
    state: ActionState, runtime: Runtime[Context]
) -> Command[Literal["hold", "publisher", "writer", "__end__"]]:
    action = state["action"]
    assessment = state["assessment"]
    request = review_request(
        action,
        state["evidence"],
        assessment,
        state.get("feedback", []),
        runtime.context.max_revisions,
    )
    decided = interrupt(request, response_schema=decision_model(action["name"]))
    decision = dump(decided)
    kind = decision["type"]
    if kind not in (*request["allowed_decisions"], "expire"):
        # A resume that bypassed the runtime's validation: treat like a malformed decision.
        raise ValueError(
            f"Decision {kind!r} is not allowed here; expected one of {request['allowed_decisions']}."
        )
    if kind == "approve" and request["needs_check"] and not decision.get("checked"):
        raise ValueError("Approving an action with unsupported claims needs checked=true.")
    log.info("gate: %s on %s", kind, action["id"])
    if kind in ("approve", "edit"):
        update: dict[str, Any] = {"decision": decision}
        if kind == "edit":
            update["action"] = ProposedAction(**{**action, "args": decision["args"]})
        hold = int(assessment.get("hold_seconds") or 0)
        if hold:
            update["release_at"] = runtime.context.clock() + hold
            return Command(update=update, goto="hold")
        return Command(update=update, goto="publisher")
    if kind == "revise":
        return Command(
            update={
                "decision": decision,
                "feedback": [*state.get("feedback", []), decision["feedback"]],
            },
            goto="writer",
        )
    if kind == "expire":
        detail: dict[str, Any] = {"reason": "Nobody answered before the review expired."}
        status = "expired"
    else:
        detail = {"reason": decision["reason"], "comment": decision.get("comment", "")}
        status = "rejected"
    outcome = Outcome(action_id=action["id"], name=action["name"], status=status, detail=detail)
    return Command(update={"decision": decision, "outcomes": [outcome]}, goto="__end__")
