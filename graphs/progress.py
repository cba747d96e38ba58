"""Progress lines from inside the graph's nodes (the writer's drafts, a batch's sends).

Each line goes two ways:

- to LangGraph's custom stream (`get_stream_writer()`), for whoever drives the graph with
  `stream_mode="custom"` (Studio, `langgraph dev`, a notebook's own `stream`);
- to the listener of the run the runtime drives (`listening()`, graphs/runtime/runs.py): the page's
  and the worker's progress and the log.

Why the second way: a custom event raised inside a subgraph (each action's branch) reaches the
parent's stream only with `stream(..., subgraphs=True)`, and both `subgraphs=True` and
`"custom"` make LangGraph run every step on its thread pool with a waiter thread beside it
(`pregel/main.py`: `get_waiter`; `_runner.py`: no inline fast path for a single task). The
runtime's own run streams `"updates"` only, and hears the nodes through the listener: a context
variable, which LangGraph copies into every task it runs (`BackgroundExecutor.submit`:
`copy_context()`), subgraphs included.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from langgraph.config import get_stream_writer

log = logging.getLogger(__name__)

Listener = Callable[[dict[str, Any]], None]

_LISTENER: ContextVar[Listener | None] = ContextVar("signoff_progress", default=None)


def emit(event: dict[str, Any]) -> None:
    """One progress event (`{"step", "message", ...}`) to the custom stream and to the run's
    listener. Never raises: progress is best effort, the node goes on."""
    try:
        get_stream_writer()(event)
    except Exception:  # outside a run (a direct call in a test): no stream
        log.debug("no stream writer for progress: %s", event.get("message"))
    listener = _LISTENER.get()
    if listener is not None:
        try:
            listener(event)
        except Exception:
            log.warning("a progress listener failed on %r", event.get("message"), exc_info=True)


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """`listener` gets every event the nodes emit in this context (this thread, and the tasks
    LangGraph starts from it) until the block ends."""
    token = _LISTENER.set(listener)
    try:
        yield
    finally:
        _LISTENER.reset(token)
