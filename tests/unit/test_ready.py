"""A branch's interrupt is told by the saver the moment it is stored (graphs/runtime/ready.py),
while another branch still runs: the runtime's inbox does not wait on the stream."""

from __future__ import annotations

import operator
import sqlite3
import threading
from typing import Annotated, Any

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import START, StateGraph
from langgraph.types import Send, interrupt
from typing_extensions import TypedDict

from graphs import progress
from graphs.runtime import ready

GUARD_S = 30.0  # only against a hang: the test never measures time


class State(TypedDict):
    names: list[str]
    done: Annotated[list[str], operator.add]


class Branch(TypedDict):
    name: str


def test_the_saver_tells_an_interrupt_while_the_other_branch_still_runs(tmp_path):
    told: list[list[str]] = []
    seen = threading.Event()
    lines: list[str] = []

    def branch(state: Branch) -> dict[str, Any]:
        progress.emit({"step": "branch", "message": f"{state['name']} started"})
        if state["name"] == "slow":  # runs until the quick one's interrupt was told
            assert seen.wait(GUARD_S), "the quick branch's interrupt was never told"
            return {"done": ["slow"]}
        interrupt({"name": state["name"]})
        return {"done": [state["name"]]}

    builder = StateGraph(State)
    builder.add_node("branch", branch)
    builder.add_conditional_edges(
        START, lambda s: [Send("branch", {"name": n}) for n in s["names"]], ["branch"]
    )
    saver = SqliteSaver(sqlite3.connect(str(tmp_path / "c.db"), check_same_thread=False))
    saver.setup()
    ready.watch(saver)
    ready.watch(saver)  # once per saver
    graph = builder.compile(checkpointer=saver)

    def reached(interrupts: list[Any]) -> None:
        told.append([i.value["name"] for i in interrupts])
        seen.set()

    config = {"configurable": {"thread_id": "t1"}}
    with ready.listening("t1", reached), progress.listening(lambda e: lines.append(e["message"])):
        chunks = list(
            graph.stream({"names": ["quick", "slow"], "done": []}, config, stream_mode="updates")
        )
    assert told == [["quick"]]
    assert sorted(lines) == ["quick started", "slow started"]  # from each branch's own task
    assert any("__interrupt__" in c for c in chunks)
    # another thread's run, or none listening: nothing told
    told.clear()
    list(graph.stream({"names": ["quick"], "done": []}, {"configurable": {"thread_id": "t2"}}))
    assert told == []


class _Interrupt:
    def __init__(self, id: str) -> None:
        self.id = id


def test_a_ready_branch_is_written_after_the_grace_unless_the_run_ended_first():
    written: list[list[str]] = []
    wrote = threading.Event()

    def write(items: list[Any]) -> None:
        written.append([i.id for i in items])
        wrote.set()

    # the run goes on (another branch drafts): written after the grace, each id once
    batcher = ready.Batcher(write, {"old"}, grace_s=0.01)
    batcher.reached([_Interrupt("a"), _Interrupt("old")])
    batcher.reached([_Interrupt("a")])
    assert wrote.wait(GUARD_S)
    wrote.clear()
    batcher.reached([_Interrupt("b")])  # a later one gets its own write
    assert wrote.wait(GUARD_S)
    batcher.close()
    assert written == [["a"], ["b"]]

    # the run ends first: its end's sync writes them, in its one transaction
    written.clear()
    batcher = ready.Batcher(write, set(), grace_s=GUARD_S)
    batcher.reached([_Interrupt("c")])
    batcher.close()
    batcher.reached([_Interrupt("d")])  # after the end: nothing
    assert written == []


def test_a_run_that_ends_within_the_grace_takes_its_flush_off_the_timer():
    written: list[list[str]] = []
    batcher = ready.Batcher(lambda items: written.append([i.id for i in items]), set(), GUARD_S)
    batcher.reached([_Interrupt("e")])
    with ready._timer_lock:
        assert any(entry[2] == batcher._flush for entry in ready._timer_heap)
    batcher.close()
    with ready._timer_lock:  # nothing left for the timer thread to wake up for
        assert not any(entry[2] == batcher._flush for entry in ready._timer_heap)
    assert written == []


def test_the_timer_calls_in_order_and_skips_what_was_cancelled():
    calls: list[str] = []
    done = threading.Event()
    kept_late = ready._later(0.02, lambda: (calls.append("late"), done.set()))
    dropped = ready._later(0.01, lambda: calls.append("dropped"))
    ready._later(0.0, lambda: calls.append("first"))
    ready._cancel(dropped)
    ready._cancel(dropped)  # twice: no harm
    assert done.wait(GUARD_S)
    assert calls == ["first", "late"]
    assert kept_late[2] is not None
