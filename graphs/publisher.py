"""publisher: executes one approved action through the executor (outbox, exactly once)."""

from __future__ import annotations

import logging
from typing import Any

from langgraph.config import get_config
from langgraph.runtime import Runtime

from graphs.state import ActionState, Context

log = logging.getLogger(__name__)


def publisher(state: ActionState, runtime: Runtime[Context]) -> dict[str, Any]:
    action = state["action"]
    executor = runtime.context.executor or _default_executor()
    thread_id = str(get_config()["configurable"]["thread_id"])
    outcome = executor.execute(thread_id, action["id"], action["name"], action["args"])
    log.info("publisher: %s %s", action["id"], outcome["status"])
    return {"outcomes": [outcome]}


_EXECUTOR: Any = None


def _default_executor() -> Any:
    """For graphs run without a Signoff runtime (LangGraph Studio): the data directory's outbox."""
    global _EXECUTOR
    if _EXECUTOR is None:
        from graphs.executor import Executor
        from graphs.store import Store, connect, default_home

        _EXECUTOR = Executor.from_env(Store(connect(default_home() / "signoff.db")))
    return _EXECUTOR
