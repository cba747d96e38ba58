"""The threads Signoff's graph runs use: kept for the next run, not started anew for each.

LangGraph runs a step's parallel tasks (the campaign's branches) and its checkpoint writes on a
thread pool, and every run of a graph or subgraph opens a new pool (`BackgroundExecutor` takes
one from `get_executor_for_config`) and shuts it down at its end: a campaign (a start, two
decisions, a release) starts and joins some 28 threads, each run waiting for its pool's threads
to start and to end. On a busy 2-core machine that was a third of a campaign's CPU time.

`install()` gives the runs that carry `POOL` in their config (`Runs._run`'s, and the branches'
subgraph runs under them, which inherit it) a view of one process-wide pool instead, whose idle
threads take the next task. Everything else a pool did for the run is kept, view by view:

- at most `max_workers` of a run's tasks run at once (the run's `max_concurrency`, else what
  `ThreadPoolExecutor` allows by default), the others wait in submission order;
- each task runs in a copy of the submitter's context (as `ContextThreadPoolExecutor`);
- the run's end waits for every task it submitted (as `shutdown(wait=True)`).

The shared pool never makes a task wait for a thread: with no idle thread it starts one (its
bound is far above what the views together can ask), so a task that waits for another (a
subgraph's run waiting for its checkpoint write) can never wait behind it. Graphs run without
`POOL` (LangGraph's server, Studio, a bare graph in the same process) keep LangGraph's own pools.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextvars import copy_context
from functools import partial
from typing import Any

POOL = "__signoff_pool"  # the run's config key ("__": never in checkpoint metadata)
_INSTALLED = "_signoff_pool"
# Far above what the views can ask together (each run: its own `max_workers`); threads are
# started only when none is idle.
_BOUND = 4096

_lock = threading.Lock()
_shared: ThreadPoolExecutor | None = None


def shared() -> ThreadPoolExecutor:
    """The process's pool (a new one after a fork: the parent's threads are not in the child)."""
    global _shared
    with _lock:
        if _shared is None:
            _shared = ThreadPoolExecutor(max_workers=_BOUND, thread_name_prefix="signoff-graph")
        return _shared


def _forget_after_fork() -> None:
    global _shared, _lock
    _shared = None
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


def default_workers() -> int:
    """`ThreadPoolExecutor`'s own default, the bound of a LangGraph run's pool."""
    return min(32, (os.cpu_count() or 1) + 4)


class View(Executor):
    """One run's pool, on the shared threads: at most `max_workers` of its tasks at once."""

    def __init__(self, pool: Executor, max_workers: int | None = None) -> None:
        if max_workers is not None and max_workers <= 0:
            raise ValueError("max_workers must be greater than 0")
        self._pool = pool
        self._max = max_workers or default_workers()
        self._cond = threading.Condition()
        self._waiting: deque[tuple[Future[Any], Callable[[], Any]]] = deque()
        self._running = 0  # tasks of this view on a shared thread (each runs those waiting next)
        self._closed = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        item = (future, partial(copy_context().run, fn, *args, **kwargs))
        with self._cond:
            if self._closed:
                raise RuntimeError("cannot schedule new futures after shutdown")
            if self._running >= self._max:
                self._waiting.append(item)
                return future
            self._running += 1
        try:
            self._pool.submit(self._work, item)
        except BaseException:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()
            raise
        return future

    def _work(self, item: tuple[Future[Any], Callable[[], Any]]) -> None:
        """Run `item`, then this view's tasks that wait, one after the other, on this thread."""
        while True:
            future, call = item
            if future.set_running_or_notify_cancel():
                try:
                    result = call()
                except BaseException as exc:
                    future.set_exception(exc)
                else:
                    future.set_result(result)
            del future, call
            with self._cond:
                if not self._waiting:
                    self._running -= 1
                    self._cond.notify_all()
                    return
                item = self._waiting.popleft()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """No new tasks; with `wait`, return once every task submitted has ended. The shared
        threads stay for the next run."""
        with self._cond:
            self._closed = True
            if cancel_futures:
                while self._waiting:
                    self._waiting.popleft()[0].cancel()
            if wait:
                while self._running or self._waiting:
                    self._cond.wait()


def install() -> None:
    """Let the runs whose config carries `POOL` use it (once per process)."""
    from langgraph.pregel import _executor

    inner = getattr(_executor, "get_executor_for_config", None)
    if inner is None or getattr(inner, _INSTALLED, False):
        return

    @contextlib.contextmanager
    def get_executor_for_config(config: Any) -> Iterator[Executor]:
        pool = ((config or {}).get("configurable") or {}).get(POOL)
        if not isinstance(pool, Executor):
            with inner(config) as executor:
                yield executor
            return
        view = View(pool, (config or {}).get("max_concurrency"))
        try:
            yield view
        finally:
            view.shutdown(wait=True)

    setattr(get_executor_for_config, _INSTALLED, True)
    _executor.get_executor_for_config = get_executor_for_config
