"""P1: what Signoff's orchestration costs over a bare LangGraph graph of the same shape.

Both sides, in the same process and run, on the same kind of saver (SqliteSaver over a temp file):

- signoff: `Signoff.start(brief)` until both actions pause, then `Signoff.decide(id, approve)` for
  the email and the post: decisions table, lease, inbox index, audit, outbox, Maildir + feed file.
  The shipped policy holds approved sends (email 300 s, post 60 s): the holds are released the
  way the product releases them, by the scheduler's `tick()` (here with the clock moved past the
  release time), one resume for the thread.
- bare:    researcher → writer → Send per action → review subgraph (gate with `interrupt()` →
  hold with `interrupt()` → publisher writing a file), started with `invoke`, resumed once per
  gate interrupt id, then once for both holds.

Both use the scripted fake chat model (tests/fakes.py) and the same knowledge-base search, and run
with `durability="sync"`: the figures are orchestration overhead, not model time.
Threads alternate (signoff, bare, signoff, ...) so a change of machine load hits both sides.
"""

from __future__ import annotations

import json
import operator
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, Send, interrupt
from typing_extensions import TypedDict

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT, ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from fakes import ScriptedChatModel  # noqa: E402

from graphs.channels.email import EmailDraft  # noqa: E402
from graphs.channels.post import schema_for  # noqa: E402
from graphs.runtime import Signoff  # noqa: E402
from graphs.store import connect  # noqa: E402
from tools.knowledge import search  # noqa: E402

BRIEF = {
    "product": "Brightloop 2 smart thermostat",
    "audience": "homeowners with high heating bills",
    "goal": "pre-orders before winter",
}
APPROVE = {"type": "approve"}
HOLD_SKIP_S = 3600.0  # past every hold of the shipped policy

Log = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the bare graph -------------------------------------------------------------------------------
class BareState(TypedDict):
    brief: dict[str, str]
    evidence: list[dict[str, str]]
    actions: list[dict[str, Any]]
    outcomes: Annotated[list[dict[str, Any]], operator.add]


class BareAction(TypedDict):
    action: dict[str, Any]
    outcomes: Annotated[list[dict[str, Any]], operator.add]


def build_bare_graph(checkpointer: Any, model: Any, out_dir: Path) -> Any:
    def researcher(state: BareState) -> dict[str, Any]:
        brief = state["brief"]
        passages = search(" ".join((brief["product"], brief["audience"], brief["goal"])), k=6)
        return {
            "evidence": [
                {"id": f"E{i}", "source": p.source, "quote": p.text}
                for i, p in enumerate(passages, 1)
            ]
        }

    def writer(state: BareState) -> Command[Literal["review"]]:
        facts = "\n".join(f"[{i}] {e['quote']}" for i, e in enumerate(state["evidence"], 1))
        system = (
            f"Write for {state['brief']['audience']} about {state['brief']['product']}.\n{facts}"
        )
        email = model.with_structured_output(EmailDraft, method="json_schema").invoke(
            [("system", system), ("user", "Write the email.")]
        )
        post = model.with_structured_output(schema_for(280), method="json_schema").invoke(
            [("system", system), ("user", "Write the post.")]
        )
        actions = [
            {
                "id": "email-1",
                "name": "send_email",
                "args": {"subject": email.subject, "body": email.body},
            },
            {"id": "post-1", "name": "publish_post", "args": {"text": post.text}},
        ]
        return Command(
            update={"actions": actions},
            goto=[Send("review", {"action": a, "outcomes": []}) for a in actions],
        )

    def gate(state: BareAction) -> Command[Literal["hold", "__end__"]]:
        decision = interrupt(
            {"action": state["action"], "allowed_decisions": ["approve", "reject"]}
        )
        if decision.get("type") == "approve":
            return Command(goto="hold")
        return Command(goto=END)

    def hold(state: BareAction) -> Command[Literal["publisher", "__end__"]]:
        decision = interrupt({"action": state["action"], "allowed_decisions": ["release"]})
        if decision.get("type") == "release":
            return Command(goto="publisher")
        return Command(goto=END)

    def publisher(state: BareAction, config: RunnableConfig) -> dict[str, Any]:
        action = state["action"]
        thread = config["configurable"]["thread_id"]
        path = out_dir / f"{thread}-{action['id']}.json"
        path.write_text(json.dumps(action["args"]))
        return {"outcomes": [{"action_id": action["id"], "status": "executed", "path": str(path)}]}

    review = StateGraph(BareAction)
    review.add_node("gate", gate)
    review.add_node("hold", hold)
    review.add_node("publisher", publisher)
    review.add_edge(START, "gate")
    review.add_edge("publisher", END)

    builder = StateGraph(BareState)
    builder.add_node("researcher", researcher)
    builder.add_node("writer", writer)
    builder.add_node("review", review.compile())
    builder.add_edge(START, "researcher")
    builder.add_edge("researcher", "writer")
    builder.add_edge("review", END)
    return builder.compile(checkpointer=checkpointer)


# -- one thread each way ----------------------------------------------------------------------------
def signoff_thread(s: Signoff) -> float:
    t0 = time.perf_counter()
    started = s.start(dict(BRIEF))
    ids = [p["id"] for p in started["pending"]]
    for interrupt_id in ids:
        s.decide(interrupt_id, dict(APPROVE), by="bench")
    released = s.tick(now=s.clock() + HOLD_SKIP_S)["released"]
    summary = s.summary(started["thread_id"])
    elapsed = time.perf_counter() - t0
    assert len(ids) == 2 and len(released) == 2 and summary["status"] == "done", summary
    return elapsed


def bare_thread(graph: Any, n: int, out_dir: Path) -> float:
    config = {"configurable": {"thread_id": f"bare-{n}"}}
    t0 = time.perf_counter()
    result = graph.invoke(
        {"brief": dict(BRIEF), "evidence": [], "actions": [], "outcomes": []},
        config,
        durability="sync",
    )
    ids = [i.id for i in result["__interrupt__"]]
    for interrupt_id in ids:
        result = graph.invoke(
            Command(resume={interrupt_id: dict(APPROVE)}), config, durability="sync"
        )
    holds = [i.id for i in result["__interrupt__"]]
    result = graph.invoke(
        Command(resume={h: {"type": "release"} for h in holds}), config, durability="sync"
    )
    elapsed = time.perf_counter() - t0
    assert len(ids) == 2 and len(holds) == 2 and "__interrupt__" not in result, result
    assert len(result["outcomes"]) == 2 and len(list(out_dir.glob(f"bare-{n}-*.json"))) == 2
    return elapsed


def run_p1(threads: int = 20, *, warmup: int = 1, log: Log = _stderr) -> dict[str, Any]:
    """Run P1; returns the figures (times in ms).

    `bare` opens its SQLite file like Signoff does (graphs.store.connect: WAL, synchronous=NORMAL)
    so the ratio is the orchestration alone; `bare_default` uses a plain
    `sqlite3.connect(path, check_same_thread=False)` (SqliteSaver's own WAL, synchronous=FULL),
    the recipe a bare LangGraph app starts from.
    """
    load_before = loadavg()
    with tempfile.TemporaryDirectory(prefix="signoff-p1-") as tmp:
        root = Path(tmp)
        s = Signoff(root / "signoff-home", model=ScriptedChatModel(), recover=False)
        conns = {
            "bare": connect(root / "bare.db"),
            "bare_default": sqlite3.connect(str(root / "bare-default.db"), check_same_thread=False),
        }
        graphs: dict[str, Any] = {}
        out_dir = root / "bare-out"
        out_dir.mkdir()
        for name, conn in conns.items():
            saver = SqliteSaver(conn)
            saver.setup()
            graphs[name] = build_bare_graph(saver, ScriptedChatModel(), out_dir / name)
            (out_dir / name).mkdir()
        times: dict[str, list[float]] = {"signoff": [], **{name: [] for name in graphs}}
        try:
            for w in range(warmup):
                log(f"p1: warm-up {w + 1}/{warmup}")
                signoff_thread(s)
                for name, graph in graphs.items():
                    bare_thread(graph, -1 - w, out_dir / name)
            for n in range(threads):
                times["signoff"].append(signoff_thread(s) * 1000)
                for name, graph in graphs.items():
                    times[name].append(bare_thread(graph, n, out_dir / name) * 1000)
                log(
                    f"p1: thread {n + 1}/{threads}  "
                    + "  ".join(f"{k} {v[-1]:.1f} ms" for k, v in times.items())
                )
        finally:
            s.close()
            for conn in conns.values():
                conn.close()
    load = (load_before, loadavg())
    return figures_of(
        times,
        {
            "saver": "SqliteSaver on a temp file for every side, durability=sync",
            "bare": "same shape, SQLite opened like Signoff's (WAL, synchronous=NORMAL)",
            "bare_default": "same shape, plain sqlite3.connect (synchronous=FULL)",
        },
        load,
    )


PER_THREAD = (
    "start until both actions pause + approve email + approve post + release both holds"
    " (shipped policy: email 300 s, post 60 s; released by the scheduler's tick with the clock"
    " moved on; the bare graph has a hold interrupt too)"
)


def figures_of(
    times: dict[str, list[float]], notes: dict[str, str], load: tuple[float, float]
) -> dict[str, Any]:
    """Medians, means and the ratios of per-thread times (ms) with what each side is (`notes`)
    and the 1-minute load average before and after the run."""
    figures: dict[str, Any] = {
        "threads": len(times["signoff"]),
        "times_ms": times,
        "notes": notes,
        "loadavg_1m": load,
    }
    for name, values in times.items():
        figures[f"{name}_ms_median"] = statistics.median(values)
        figures[f"{name}_ms_mean"] = statistics.fmean(values)
    figures["ratio"] = figures["signoff_ms_median"] / figures["bare_ms_median"]
    figures["ratio_mean"] = figures["signoff_ms_mean"] / figures["bare_ms_mean"]
    if "bare_default" in times:
        figures["ratio_vs_default_saver"] = (
            figures["signoff_ms_median"] / figures["bare_default_ms_median"]
        )
    return figures


def loadavg() -> float:
    return os.getloadavg()[0]


def report(figures: dict[str, Any], prefix: str = "p1") -> list[str]:
    """The figures as plain `key=value` lines, each key starting with `prefix` (p1, p1pg)."""
    times = figures["times_ms"]
    notes = figures["notes"]
    lines = [
        f"{prefix}_model=scripted fake (tests/fakes.py): orchestration overhead only, no model time",
        f"{prefix}_saver={notes['saver']}",
        *(f"{prefix}_{name}={notes[name]}" for name in times if name in notes),
        f"{prefix}_per_thread={PER_THREAD}",
        f"{prefix}_threads={figures['threads']}",
        f"{prefix}_loadavg_1m_before={figures['loadavg_1m'][0]:.2f}",
        f"{prefix}_loadavg_1m_after={figures['loadavg_1m'][1]:.2f}",
    ]
    for n in range(figures["threads"]):
        for name, values in times.items():
            lines.append(f"{prefix}_thread_{n + 1:02d}_{name}_ms={values[n]:.1f}")
    for name in times:
        lines.append(f"{prefix}_{name}_ms_median={figures[f'{name}_ms_median']:.1f}")
        lines.append(f"{prefix}_{name}_ms_mean={figures[f'{name}_ms_mean']:.1f}")
    lines.append(f"{prefix}_ratio_mean={figures['ratio_mean']:.2f}")
    if "ratio_vs_default_saver" in figures:
        lines.append(f"{prefix}_ratio_vs_default_saver={figures['ratio_vs_default_saver']:.2f}")
    lines += [
        f"{prefix}_ratio_basis=signoff/bare of the median per-thread time",
        f"{prefix}_ratio={figures['ratio']:.2f}",
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=20)
    args = parser.parse_args(argv)
    for line in report(run_p1(args.threads)):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
