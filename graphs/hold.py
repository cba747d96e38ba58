"""hold: an action that may go out waits until its release time, and can still be cancelled.

The scheduler resumes it with `release` when the time comes; a person can `cancel` or
`send_now` first. All three are decisions on the same interrupt id, so the first one recorded
wins and the hold has exactly one outcome (graphs/runtime/).
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from langgraph.types import Command, interrupt

from graphs.decisions import HOLD_DECISIONS, HoldDecision, dump
from graphs.state import ActionState, Outcome
from tools.registry import get_tool

log = logging.getLogger(__name__)


def hold_request(state: ActionState) -> dict[str, Any]:
    action = state["action"]
    tool = get_tool(action["name"])
    assessment = state.get("assessment", {})
    return {
        "kind": "hold",
        "action": {"name": action["name"], "args": action["args"]},
        "action_id": action["id"],
        "channel": action["channel"],
        "title": tool.title,
        "text": tool.preview(action["args"]),
        "risk": assessment.get("tier"),
        "route": assessment.get("route"),
        "release_at": state["release_at"],
        "hold_seconds": assessment.get("hold_seconds", 0),
        "allowed_decisions": list(HOLD_DECISIONS),
        "batch": action.get("batch"),
    }


def hold(state: ActionState) -> Command[Literal["publisher", "__end__"]]:
    decided = interrupt(hold_request(state), response_schema=HoldDecision)
    decision = dump(decided)
    action = state["action"]
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
