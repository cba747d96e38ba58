"""A resume reads its campaign's last checkpoint once: the read that finds the interrupts still
pending (`Reviews.apply`) is handed to the run's own first read.

`apply` reads the thread's last checkpoint under the thread's lease to know which recorded
decisions still have a pending interrupt (LangGraph's rule, `Runs._pending_ids`), and the run it
then starts begins by reading that same latest checkpoint again (`SyncPregelLoop.__enter__`): a
second query and a second decoding of the checkpoint and its writes. Nothing writes the thread's
checkpoints between the two: the lease gives one runner per thread, and the steps between touch
the app tables only. A write by anyone else in that gap would be the race the lease exists to
prevent, and could as well come right after the run's own read; so the run is given the tuple
already read.

`install(saver)` wraps that one method of the saver instance (as graphs/runtime/ready.py wraps
`put_writes`); `handing_over(thread_id, saved)` offers `saved` for the duration of one run. The
tuple goes only to the Python thread that offered it (the run's loop reads from the caller's
thread; a page reading the same campaign on another thread reads the database), only for the
top level's latest checkpoint (no checkpoint id, namespace ""), and only once: the first read of
that campaign by that thread takes it, or drops it when it asks for something else.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver, CheckpointTuple

_INSTALLED = "_signoff_handoff"
_offered = threading.local()  # .saved: {thread_id: CheckpointTuple} of this Python thread


def install(saver: BaseCheckpointSaver[Any]) -> None:
    """Let `handing_over` give the saver's next read of a campaign's latest checkpoint."""
    inner = saver.get_tuple
    if getattr(inner, _INSTALLED, False):
        return

    def get_tuple(config: Any) -> CheckpointTuple | None:
        offered = getattr(_offered, "saved", None)
        if offered:
            configurable = config.get("configurable", {})
            thread_id = configurable.get("thread_id")
            if thread_id in offered:
                saved = offered.pop(thread_id)  # once, whatever was asked
                if not configurable.get("checkpoint_ns") and not configurable.get("checkpoint_id"):
                    return saved
        return inner(config)

    setattr(get_tuple, _INSTALLED, True)
    saver.get_tuple = get_tuple  # type: ignore[method-assign]


@contextmanager
def handing_over(thread_id: str, saved: CheckpointTuple | None) -> Iterator[None]:
    """During the block, this thread's next read of `thread_id`'s latest checkpoint is `saved`
    (None: nothing is offered; a campaign without checkpoints is read as usual)."""
    if saved is None:
        yield
        return
    offered = getattr(_offered, "saved", None)
    if offered is None:
        offered = _offered.saved = {}
    offered[thread_id] = saved
    try:
        yield
    finally:
        offered.pop(thread_id, None)
