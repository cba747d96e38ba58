"""A branch that reaches its gate while others still draft goes into the inbox at once: told by
the checkpointer the moment its interrupt is saved, not by the stream.

Why not the stream: `Runs._run` streams the top level's updates without `subgraphs=True` or a
"custom" mode (graphs/progress.py says why), and then LangGraph has no waiter thread: the stream
hands over a finished task's updates when the next task future completes or the step ends. A
task's updates are emitted by its done-callback, which may run after the runner already woke up
for it; the interrupt would then wait for the branch that is still drafting (a minute of model
time). The checkpointer's `put_writes` of the top level's interrupt runs right after the task
ended, on LangGraph's pool, whatever the stream does; and the inbox row then follows a saved
interrupt, never one that could still be lost.

`watch(saver)` wraps that one method of the saver instance (LangGraph binds
`checkpointer.put_writes` when a run starts); `listening(thread_id, fn)` says where the
interrupts of that thread's run go. By thread id, not a context variable: LangGraph writes a
task's interrupt from the task future's done-callback, outside the context it copied for the
task. A thread has one run at a time (its lease), so one listener per thread id.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver

log = logging.getLogger(__name__)

INTERRUPT = "__interrupt__"  # langgraph's channel of a task's interrupts
_WATCHED = "_signoff_ready"

Listener = Callable[[list[Any]], None]  # the interrupts (langgraph.types.Interrupt) just saved

_LISTENERS: dict[str, Listener] = {}  # by thread id
_LOCK = threading.Lock()


def watch(saver: BaseCheckpointSaver[Any]) -> None:
    """After each top-level write of interrupts, tell the run's listener (once per saver)."""
    inner = saver.put_writes
    if getattr(inner, _WATCHED, False):
        return

    def put_writes(
        config: Any, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = ""
    ) -> None:
        inner(config, writes, task_id, task_path)
        configurable = config["configurable"]
        if configurable.get("checkpoint_ns"):
            return  # a subgraph's own write: the top level's follows
        # no lock to read: a dict's get is atomic, and `listening` sets the entry before the
        # run starts and removes it after the run ended
        listener = _LISTENERS.get(configurable.get("thread_id"))
        if listener is None:  # not a run of ours
            return
        interrupts: list[Any] = []
        for channel, value in writes:
            if channel == INTERRUPT:
                interrupts.extend(value if isinstance(value, (list, tuple)) else (value,))
        if not interrupts:
            return
        try:
            listener(interrupts)
        except Exception:  # the run's end indexes them from the checkpoint anyway
            log.warning("could not index interrupts as they were saved", exc_info=True)

    setattr(put_writes, _WATCHED, True)
    saver.put_writes = put_writes  # type: ignore[method-assign]


@contextmanager
def listening(thread_id: str, listener: Listener) -> Iterator[None]:
    """`listener` gets the interrupts each top-level task of the thread's run saves."""
    with _LOCK:
        _LISTENERS[thread_id] = listener
    try:
        yield
    finally:
        with _LOCK:
            if _LISTENERS.get(thread_id) is listener:
                del _LISTENERS[thread_id]


class Batcher:
    """The interrupts of one run that are ready, written to the inbox `grace_s` after the first
    of them, unless the run ends first: then the run's end (`Runs._sync`) writes them with the
    rest of its index and status, in its one transaction. A branch ready while another still
    drafts (a model call of many seconds) is in the inbox within `grace_s`; branches that end
    together (a resume whose other branches only ask their question again, drafts that come
    back at once) cost one write, not one each plus the run's end."""

    def __init__(self, write: Callable[[list[Any]], None], ready: set[str], grace_s: float):
        self._write = write  # the rows of these interrupts into the inbox (`Runs._sync_ready`)
        self._ready = ready  # ids already in the inbox, or on their way there
        self._grace_s = grace_s
        self._lock = threading.Lock()
        self._waiting: list[Any] = []
        self._due: _Entry | None = None  # the flush scheduled on the timer thread
        self._closed = False

    def reached(self, interrupts: list[Any]) -> None:
        """Interrupts a task raised (from the saver's thread or the stream; each id once)."""
        with self._lock:
            new = [i for i in interrupts if i.id not in self._ready]
            self._ready.update(i.id for i in new)
            if not new or self._closed:
                return
            self._waiting.extend(new)
            if self._due is None:
                self._due = _later(self._grace_s, self._flush)

    def _flush(self) -> None:
        with self._lock:  # held while writing: close() waits for a write under way
            self._due = None
            if self._closed or not self._waiting:
                return
            items, self._waiting = self._waiting, []
            try:
                self._write(items)
            except Exception:  # the run's end indexes them from the checkpoint anyway
                log.warning("could not index interrupts ready while others run", exc_info=True)

    def close(self) -> None:
        """The run ended: what still waits is left to its end's sync."""
        with self._lock:
            self._closed = True  # a flush still scheduled finds nothing to do
            self._waiting = []
            due, self._due = self._due, None
        if due is not None:  # most runs end within the grace: the timer never wakes for it
            _cancel(due)


# One timer thread for every run's flush (a thread per run costs more than the write it saves).
_Entry = list[Any]  # [when (monotonic s), sequence number, fn]; fn None: cancelled
_timer_lock = threading.Condition()
_timer_heap: list[_Entry] = []
_timer_thread: threading.Thread | None = None
_timer_seq = 0


def _later(delay_s: float, fn: Callable[[], None]) -> _Entry:
    """Call `fn` on the shared timer thread in `delay_s` seconds (unless `_cancel`led first).
    The thread is woken only when this call is due before every other: otherwise it already
    wakes up in time."""
    global _timer_thread, _timer_seq
    with _timer_lock:
        _timer_seq += 1
        entry: _Entry = [time.monotonic() + delay_s, _timer_seq, fn]
        heapq.heappush(_timer_heap, entry)
        if _timer_thread is None or not _timer_thread.is_alive():
            _timer_thread = threading.Thread(target=_timer_loop, name="signoff-ready", daemon=True)
            _timer_thread.start()
        elif _timer_heap[0] is entry:
            _timer_lock.notify()
    return entry


def _cancel(entry: _Entry) -> None:
    """`entry`'s call will not be made; the timer thread does not wake up for it."""
    with _timer_lock:
        entry[2] = None
        try:
            _timer_heap.remove(entry)
        except ValueError:  # taken by the timer thread already: it skips a cancelled call
            return
        heapq.heapify(_timer_heap)


def _timer_loop() -> None:
    while True:
        with _timer_lock:
            while not _timer_heap or _timer_heap[0][0] > time.monotonic():
                _timer_lock.wait(_timer_heap[0][0] - time.monotonic() if _timer_heap else None)
            fn = heapq.heappop(_timer_heap)[2]
        if fn is None:
            continue
        try:
            fn()
        except Exception:  # a flush logs its own failures; the thread goes on
            log.exception("a scheduled inbox write failed")
