"""gate: pauses for a person with `interrupt()` when the policy routed an action to review.

Contract (DESIGN.md §3): no side effects before `interrupt()` — LangGraph re-runs this node from
its first line on every resume. The route and its reasons were computed (and checkpointed) by
`assess`; everything above the `interrupt()` call only formats them.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from langgraph.config import get_config
from langgraph.runtime import Runtime
from langgraph.types import Command

from graphs.assess import claim_checks_of
from graphs.decisions import DECISIONS, dump
from graphs.dialects import human_interrupt
from graphs.record import ask, settle
from graphs.response_schema import (
    DecisionSchema,
    EditRules,
    bound,
    for_interrupt,
    review_decision,
)
from graphs.services import complete
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
    checks = claim_checks_of(action, assessment)
    unsupported = list(dict.fromkeys(c["text"] for c in checks if not c["supported"]))
    allowed = [d for d in DECISIONS if d != "revise" or action["revision"] < max_revisions]
    if not assessment.get("allow_approve", True):
        allowed.remove("approve")
    description = tool.preview(action["args"])
    flagged = [e for e in evidence if e.get("flags")]
    return {
        "kind": "review",
        # LangChain v1's HITL request (`arguments`: the name its older releases and Agent
        # Inbox's converter read) and Agent Inbox's HumanInterrupt, beside Signoff's own fields
        "action_requests": [
            {
                "name": action["name"],
                "args": action["args"],
                "arguments": action["args"],
                "description": description,
            }
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
        "foreign_contacts": assessment.get("foreign_contacts", []),
        "contacts_allowed": assessment.get("contacts_allowed", []),
        "expires_at": assessment.get("expires_at"),
        "batch": action.get("batch"),
        "batch_size": action.get("batch_size", 1),
        **human_interrupt("review", action, f"{tool.title}: {description}", allowed),
    }


def edit_rules(ctx: Context, name: str, contacts_allowed: list[str]) -> EditRules:
    """What an edit is checked against inside the interrupt's schema, whoever resumes: the
    draft's allowed contacts and, for a spend, the budget as the ledger stands at decision time."""
    over = None
    if name == "spend_ads":
        from graphs.assess import _over_budget, policy_of

        thread_id = str(get_config()["configurable"]["thread_id"])
        policy = policy_of(ctx)

        def over(args: dict[str, Any]) -> str | None:
            return _over_budget(policy, ctx, thread_id, args)

    return EditRules(tuple(contacts_allowed), over)


def gate(
    state: ActionState, runtime: Runtime[Context]
) -> Command[Literal["hold", "publisher", "writer", "__end__"]]:
    action = state["action"]
    assessment = state["assessment"]
    by_runtime = runtime.context.store is not None  # Signoff's runtime resumes by id only
    ctx = complete(runtime.context)
    request = review_request(
        action,
        state["evidence"],
        assessment,
        state.get("feedback", []),
        ctx.max_revisions,
    )
    # Every rule a decision must meet is in this schema: a refused resume is never stored.
    schema, rules = review_decision(
        action["name"],
        action["args"],
        request["allowed_decisions"],
        request["unsupported_claims"],
        ctx.settings,
        edit_rules(ctx, action["name"], request["contacts_allowed"]),
    )
    with bound(rules):
        decided, interrupt_id = ask(
            ctx, by_runtime, "review", request, for_interrupt(schema) if by_runtime else schema
        )
        if not isinstance(decided, DecisionSchema):  # pragma: no cover - see for_interrupt
            decided = schema.model_validate(decided)
    decision = settle(ctx, "review", action, request, dump(decided), decided.dialect, interrupt_id)
    kind = decision["type"]
    log.info("gate: %s on %s", kind, action["id"])
    if kind in ("approve", "edit"):
        update: dict[str, Any] = {"decision": decision}
        if kind == "edit":
            update["action"] = ProposedAction(**{**action, "args": decision["args"]})
        hold = int(assessment.get("hold_seconds") or 0)
        if hold:
            update["release_at"] = ctx.clock() + hold
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
