"""publisher: executes one action that may go out, through the executor (outbox, exactly once).

An action the policy let run without a person ("notify") also lands in the reviewer's feed, once
per execution, where it can be acknowledged or flagged.
"""

from __future__ import annotations

import logging
from typing import Any

from langgraph.config import get_config
from langgraph.runtime import Runtime

from graphs.services import complete
from graphs.state import ActionState, Context
from tools.registry import get_tool

log = logging.getLogger(__name__)


def publisher(state: ActionState, runtime: Runtime[Context]) -> dict[str, Any]:
    action = state["action"]
    ctx = complete(runtime.context)  # the same executor, settings and limits for every driver
    executor = ctx.executor
    thread_id = str(get_config()["configurable"]["thread_id"])
    outcome = executor.execute(thread_id, action["id"], action["name"], action["args"])
    log.info("publisher: %s %s", action["id"], outcome["status"])
    route = state.get("assessment", {}).get("route")
    if ctx.store is not None and route in ("auto", "notify"):
        ctx.store.set_proposal_outcome(thread_id, action["id"], outcome["status"])
    if ctx.store is not None and route == "notify" and outcome["status"] == "executed":
        tool = get_tool(action["name"])
        note = ctx.store.notify(
            f"ran:{outcome['detail'].get('key', thread_id + action['id'])}",
            kind="ran",
            title=f"{tool.title} ran without review",
            message=f"{tool.preview(action['args'])[:300]}",
            thread_id=thread_id,
            action_id=action["id"],
            action=action["name"],
            channel=tool.channel,
        )
        if note is not None:
            ctx.store.audit(
                "notification.added",
                {"notification": note, "action_id": action["id"], "action": action["name"]},
                thread_id=thread_id,
            )
    return {"outcomes": [outcome]}
