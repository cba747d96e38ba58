"""The threads of Signoff's graph runs, kept from run to run (graphs/runtime/pool.py)."""

from __future__ import annotations

import operator
import sqlite3
import threading
from concurrent.futures import CancelledError, ThreadPoolExecutor
from contextvars import ContextVar
from typing import Annotated, Any

import pytest
from fakes import ScriptedChatModel
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import START, StateGraph
from langgraph.pregel import _executor
from langgraph.types import Send
from typing_extensions import TypedDict

from graphs.runtime import Signoff, pool

GUARD_S = 30.0  # only against a hang: the test never measures time
BRIEF = {
    "product": "Brightloop 2 smart thermostat",
    "audience": "homeowners with high heating bills",
    "goal": "pre-orders before winter",
}


def test_a_view_runs_at_most_its_workers_at_once_in_order_and_waits_for_all_at_its_end():
    shared = ThreadPoolExecutor(max_workers=8)
    view = pool.View(shared, max_workers=2)
    gate = threading.Event()
    lock = threading.Lock()
    running, most, order = [0], [0], []

    def task(n: int) -> int:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
            order.append(n)
        gate.wait(GUARD_S)
        with lock:
            running[0] -= 1
        return n * 10

    futures = [view.submit(task, n) for n in range(6)]
    gate.set()
    view.shutdown(wait=True)  # returns once every task ended
    assert all(f.done() for f in futures)
    assert [f.result() for f in futures] == [0, 10, 20, 30, 40, 50]
    assert most[0] == 2  # never more than the view's workers at once
    assert order[2:] == [2, 3, 4, 5]  # those that waited started in submission order
    with pytest.raises(RuntimeError):
        view.submit(task, 9)
    shared.shutdown()


def test_a_view_keeps_exceptions_the_submitters_context_and_cancels_what_waits():
    shared = ThreadPoolExecutor(max_workers=4)
    view = pool.View(shared, max_workers=1)
    var: ContextVar[str] = ContextVar("var", default="none")
    var.set("submitter")
    gate = threading.Event()

    def fail() -> None:
        gate.wait(GUARD_S)
        raise KeyError("boom")

    failed = view.submit(fail)
    seen = view.submit(var.get)  # waits: one worker
    cancelled = view.submit(var.get)
    assert cancelled.cancel()
    gate.set()
    with pytest.raises(KeyError):
        failed.result(GUARD_S)
    assert seen.result(GUARD_S) == "submitter"
    with pytest.raises(CancelledError):
        cancelled.result(GUARD_S)
    view.shutdown(wait=True)
    shared.shutdown()


class State(TypedDict):
    names: list[str]
    done: Annotated[list[str], operator.add]


class Branch(TypedDict):
    name: str


def _graph(tmp_path: Any) -> Any:
    """A step of three parallel branches: LangGraph runs them on its pool."""

    def fan(state: State) -> list[Send]:
        return [Send("branch", {"name": n}) for n in state["names"]]

    def branch(state: Branch) -> dict[str, Any]:
        return {"done": [threading.current_thread().name]}

    builder = StateGraph(State)
    builder.add_node("branch", branch)
    builder.add_conditional_edges(START, fan, ["branch"])
    saver = SqliteSaver(sqlite3.connect(str(tmp_path / "g.db"), check_same_thread=False))
    saver.setup()
    return builder.compile(checkpointer=saver)


def test_runs_with_the_pool_in_their_config_reuse_its_threads_others_keep_langgraphs(tmp_path):
    pool.install()
    pool.install()  # once: a second call changes nothing
    assert getattr(_executor.get_executor_for_config, "_signoff_pool", False)
    graph = _graph(tmp_path)
    shared = ThreadPoolExecutor(max_workers=64, thread_name_prefix="kept")
    kept: set[str] = set()
    for n in range(8):
        config = {"configurable": {"thread_id": f"p{n}", pool.POOL: shared}}
        done = graph.invoke({"names": ["a", "b", "c"], "done": []}, config)["done"]
        assert len(done) == 3
        kept.update(done)
    assert all(name.startswith("kept") for name in kept)
    # the same few threads, run after run (LangGraph's pools: 3 new threads or more per run)
    assert len(kept) <= 16
    own: set[str] = set()
    for n in range(2):
        config = {"configurable": {"thread_id": f"o{n}"}}
        own.update(graph.invoke({"names": ["a", "b", "c"], "done": []}, config)["done"])
    assert not any(name.startswith("kept") for name in own)  # without it: LangGraph's pools
    shared.shutdown()


def test_signoffs_runs_take_their_branches_threads_from_the_kept_pool(tmp_path):
    s = Signoff(tmp_path / "home", model=ScriptedChatModel(), recover=False)
    before = {t.name for t in threading.enumerate()}  # the pool is the process's: kept threads
    names: list[str] = []
    inner = s.checkpointer.put_writes

    def put_writes(config: Any, writes: Any, task_id: str, task_path: str = "") -> None:
        names.append(threading.current_thread().name)
        inner(config, writes, task_id, task_path)

    s.checkpointer.put_writes = put_writes  # type: ignore[method-assign]
    try:
        for _ in range(3):
            started = s.start(dict(BRIEF))
            assert len(started["pending"]) == 2
            for item in started["pending"]:
                s.decide(item["id"], {"type": "approve"}, by="bench")
            assert len(s.tick(now=s.clock() + 3600)["released"]) == 2
            assert s.summary(started["thread_id"])["status"] == "done"
    finally:
        s.close()
    off_main = {n for n in names if n != threading.main_thread().name}
    assert off_main and all(n.startswith("signoff-graph") for n in off_main)
    # kept from run to run: few new threads, if any (LangGraph's own pools: ~28 per campaign)
    assert len(off_main - before) <= 12
