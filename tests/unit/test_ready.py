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
