"""hold: an action that may go out waits until its release time, and can still be cancelled.

The scheduler resumes it with `release` when the time comes; a person can `cancel` or
`send_now` first. All three are decisions on the same interrupt id, so the first one recorded
wins and the hold has exactly one outcome (graphs/runtime/).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Literal

from langgraph.runtime import Runtime
from langgraph.types import Command

from graphs.decisions import HOLD_DECISIONS, dump
from graphs.dialects import human_interrupt
from graphs.record import ask, settle
from graphs.response_schema import DecisionSchema, for_interrupt, hold_schema
from graphs.services import complete
from graphs.state import ActionState, Context, Outcome
from tools.registry import get_tool

log = logging.getLogger(__name__)

HOLD_CHOICES = ["approve", "reject"]  # as LangChain HITL clients see a hold


def hold_request(state: ActionState) -> dict[str, Any]:
    action = state["action"]
    tool = get_tool(action["name"])
    assessment = state.get("assessment", {})
    text = tool.preview(action["args"])
    when = datetime.fromtimestamp(state["release_at"], UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    description = (
        f"{tool.title}, approved and held: it goes out at {when}. Accept (approve) sends it now; "
        f"respond (reject) cancels it, with your text as the reason.\n\n{text}"
    )
    return {
        "kind": "hold",
        # reviewable by LangChain HITL clients and Agent Inbox: approve = send now, reject = cancel
        "action_requests": [
            {
                "name": action["name"],
                "args": action["args"],
                "arguments": action["args"],
                "description": description,
            }
        ],
        "review_configs": [{"action_name": action["name"], "allowed_decisions": HOLD_CHOICES}],
        "action": {"name": action["name"], "args": action["args"]},
        "action_id": action["id"],
        "channel": action["channel"],
        "title": tool.title,
        "text": text,
        "risk": assessment.get("tier"),
        "route": assessment.get("route"),
        "release_at": state["release_at"],
        "hold_seconds": assessment.get("hold_seconds", 0),
        "allowed_decisions": list(HOLD_DECISIONS),
        "batch": action.get("batch"),
        **human_interrupt("hold", action, description, HOLD_CHOICES),
    }


def hold(state: ActionState, runtime: Runtime[Context]) -> Command[Literal["publisher", "__end__"]]:
    action = state["action"]
    by_runtime = runtime.context.store is not None  # Signoff's runtime resumes by id only
    ctx = complete(runtime.context)
    request = hold_request(state)
    schema = hold_schema(action["name"])
    decided, interrupt_id = ask(
        ctx, by_runtime, "hold", request, for_interrupt(schema) if by_runtime else schema
    )
    if not isinstance(decided, DecisionSchema):  # pragma: no cover - see for_interrupt
        decided = schema.model_validate(decided)
    decision = settle(ctx, "hold", action, request, dump(decided), decided.dialect, interrupt_id)
    log.info("hold: %s on %s", decision["type"], action["id"])
    if decision["type"] == "cancel":
        outcome = Outcome(
            action_id=action["id"],
            name=action["name"],
            status="cancelled",
            detail={"reason": decision.get("reason") or "Cancelled during its hold."},
        )
        return Command(update={"outcomes": [outcome]}, goto="__end__")
    return Command(goto="publisher")
