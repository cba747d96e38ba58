"""P1: what Signoff's orchestration costs over a bare LangGraph graph of the same shape.

Both sides, in the same process and run, on the same kind of saver (SqliteSaver over a temp file):

- signoff: `Signoff.start(brief)` until both actions pause, then `Signoff.decide(id, approve)` for
  the email and the post: decisions table, lease, inbox index, audit, outbox, Maildir + feed file.
  The shipped policy holds approved sends (email 300 s, post 60 s): the holds are released the
  way the product releases them, by the scheduler's `tick()` (here with the clock moved past the
  release time), one resume for the thread.
- bare (the yardstick, `build_bare_graph`): the minimal LangGraph graph of Signoff's shape.
  "Same shape" means step for step what graphs/campaign.py runs for this brief: the same nodes in
  the same order (researcher → writer → one `Send` per channel, post then email → a branch
  subgraph per action: draft → gate → hold → publisher), the same subgraph nesting (each branch
  checkpoints in its own namespace and returns only its outcomes through an output schema), the
  same model calls (one structured call per draft, in the branch, with the same scripted model),
  the same interrupts and resumes (a gate `interrupt()` per action, resumed one id at a time,
  then a hold `interrupt()` per action, both resumed in one run), hence the same number of
  checkpoints per campaign (printed: `checkpoints_signoff`, `checkpoints_bare`). Each node does
  the least its step needs: no app tables, audit, policy, AI review or outbox; the publisher
  writes one file. Signoff's draft step also runs the AI review and the policy's route
  (`then_assess`); that work, and all the state Signoff carries, is what the ratio measures.
- bare_minimal (`build_minimal_graph`, the yardstick until session 17, still run and printed as
  `ratio_vs_minimal` so the change of yardstick stays visible): the writer drafts both actions in
  the campaign's own step and each branch starts at its gate, two checkpoints fewer than
  Signoff's shape (15 against 17).

- bare_pooled: `build_bare_graph` again, its runs on threads kept from run to run as Signoff's
  runs are (graphs/runtime/pool.py; LangGraph by default starts and joins a new pool per run and
  subgraph run). `ratio` compares Signoff with LangGraph as it ships; `ratio_vs_pooled_bare`
  takes that saving out and is what Signoff's own work (records, audit, routing, checks,
  outbox) costs.

Both use the scripted fake chat model (tests/fakes.py) and the same knowledge-base search, and run
with `durability="sync"`: the figures are orchestration overhead, not model time. After the timed
runs one more untimed campaign per side counts its saver calls (`saver_calls`: checkpoints and
channel writes, with their serialised bytes).
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
from typing import Annotated, Any, Literal, NotRequired

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
from graphs.runtime.pool import POOL, shared  # noqa: E402
from graphs.runtime.pool import install as keep_threads  # noqa: E402
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

# The bare graph again, its runs on threads kept from run to run as Signoff's are: LangGraph by
# default starts and joins a new pool per run and subgraph run (~28 threads a campaign), which
# Signoff's runs avoid (graphs/runtime/pool.py). Against it (`ratio_vs_pooled_bare`) the ratio
# is what Signoff's own work costs, with that saving taken out.
POOLED = "bare_pooled"
POOLED_NOTE = (
    "Signoff's shape, its runs on threads kept from run to run as Signoff's runs are"
    " (graphs/runtime/pool.py), not LangGraph's new pool per run"
)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the bare graphs ------------------------------------------------------------------------------
class BareState(TypedDict):
    brief: dict[str, str]
    evidence: list[dict[str, str]]
    outcomes: Annotated[list[dict[str, Any]], operator.add]


class BareBranch(TypedDict):
    brief: dict[str, str]
    evidence: list[dict[str, str]]
    channel: str
    action: NotRequired[dict[str, Any]]
    outcomes: Annotated[list[dict[str, Any]], operator.add]


class BareOutput(TypedDict):
    outcomes: Annotated[list[dict[str, Any]], operator.add]


# Signoff's writer plans one branch per channel, the cheapest to write first (graphs/writer.py).
BARE_CHANNELS = (
    ("post", "publish_post", "Write the post."),
    ("email", "send_email", "Write the email."),
)


def _researcher(state: Any) -> dict[str, Any]:
    brief = state["brief"]
    passages = search(" ".join((brief["product"], brief["audience"], brief["goal"])), k=6)
    return {
        "evidence": [
            {"id": f"E{i}", "source": p.source, "quote": p.text} for i, p in enumerate(passages, 1)
        ]
    }


def _system(brief: dict[str, str], evidence: list[dict[str, str]]) -> str:
    facts = "\n".join(f"[{i}] {e['quote']}" for i, e in enumerate(evidence, 1))
    return f"Write for {brief['audience']} about {brief['product']}.\n{facts}"


def _review_nodes(
    out_dir: Path,
) -> tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]:
    """gate (interrupt) → hold (interrupt) → publisher (one file): the branch's end, both graphs."""

    def gate(state: Any) -> Command[Literal["hold", "__end__"]]:
        decision = interrupt(
            {"action": state["action"], "allowed_decisions": ["approve", "reject"]}
        )
        if decision.get("type") == "approve":
            return Command(goto="hold")
        return Command(goto=END)

    def hold(state: Any) -> Command[Literal["publisher", "__end__"]]:
        decision = interrupt({"action": state["action"], "allowed_decisions": ["release"]})
        if decision.get("type") == "release":
            return Command(goto="publisher")
        return Command(goto=END)

    def publisher(state: Any, config: RunnableConfig) -> dict[str, Any]:
        action = state["action"]
        thread = config["configurable"]["thread_id"]
        path = out_dir / f"{thread}-{action['id']}.json"
        path.write_text(json.dumps(action["args"]))
        return {"outcomes": [{"action_id": action["id"], "status": "executed", "path": str(path)}]}

    return gate, hold, publisher


def _campaign(state: Any, writer: Callable[..., Any], review: Any, checkpointer: Any) -> Any:
    """researcher → writer → the review branches (`writer` sends them), both bare graphs."""
    builder = StateGraph(state)
    builder.add_node("researcher", _researcher)
    builder.add_node("writer", writer)
    builder.add_node("review", review.compile())
    builder.add_edge(START, "researcher")
    builder.add_edge("researcher", "writer")
    builder.add_edge("review", END)
    return builder.compile(checkpointer=checkpointer)


def build_bare_graph(checkpointer: Any, model: Any, out_dir: Path) -> Any:
    """The yardstick: the minimal LangGraph graph of Signoff's shape (graphs/campaign.py).

    Step for step as Signoff's campaign: researcher → writer, which drafts nothing and sends one
    branch per channel (post, then email) with the brief, the evidence and the channel; each
    branch a subgraph (its own checkpoints) whose first step drafts its action with one model
    call (Signoff's draft + AI review + policy route are one step, `then_assess`), then gate
    (`interrupt()`) → hold (`interrupt()`) → publisher (one file); a branch returns only its
    outcomes to the campaign (an output schema, as Signoff's `ReviewOutput`). 17 checkpoints per
    campaign, as Signoff's (the bench prints both counts). The nodes do the least their step
    needs: no app tables, no audit, no policy, no AI review.
    """
    gate, hold, publisher = _review_nodes(out_dir)

    def writer(state: BareState) -> Command[Literal["review"]]:
        return Command(
            goto=[
                Send(
                    "review",
                    {"brief": state["brief"], "evidence": state["evidence"], "channel": key},
                )
                for key, _, _ in BARE_CHANNELS
            ]
        )

    def draft(state: BareBranch) -> dict[str, Any]:
        key, name, task = next(c for c in BARE_CHANNELS if c[0] == state["channel"])
        schema = EmailDraft if key == "email" else schema_for(280)
        words = model.with_structured_output(schema, method="json_schema").invoke(
            [("system", _system(state["brief"], state["evidence"])), ("user", task)]
        )
        return {"action": {"id": f"{key}-1", "name": name, "args": words.model_dump()}}

    review = StateGraph(BareBranch, output_schema=BareOutput)
    review.add_node("draft", draft)
    review.add_node("gate", gate)
    review.add_node("hold", hold)
    review.add_node("publisher", publisher)
    review.add_edge(START, "draft")
    review.add_edge("draft", "gate")
    review.add_edge("publisher", END)

    return _campaign(BareState, writer, review, checkpointer)


class MinimalState(TypedDict):
    brief: dict[str, str]
    evidence: list[dict[str, str]]
    actions: list[dict[str, Any]]
    outcomes: Annotated[list[dict[str, Any]], operator.add]


class MinimalAction(TypedDict):
    action: dict[str, Any]
    outcomes: Annotated[list[dict[str, Any]], operator.add]


def build_minimal_graph(checkpointer: Any, model: Any, out_dir: Path) -> Any:
    """The previous yardstick (until session 17), still measured (`ratio_vs_minimal`): the
    writer drafts both actions in the campaign's own step, each branch starts at its gate; two
    steps (checkpoints) fewer than Signoff's shape, and each branch's first step does no work."""
    gate, hold, publisher = _review_nodes(out_dir)

    def writer(state: MinimalState) -> Command[Literal["review"]]:
        system = _system(state["brief"], state["evidence"])
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

    review = StateGraph(MinimalAction)
    review.add_node("gate", gate)
    review.add_node("hold", hold)
    review.add_node("publisher", publisher)
    review.add_edge(START, "gate")
    review.add_edge("publisher", END)

    return _campaign(MinimalState, writer, review, checkpointer)


def build_pooled_graph(checkpointer: Any, model: Any, out_dir: Path) -> Any:
    """`build_bare_graph` whose runs (and their subgraph runs) take their threads from the pool
    Signoff's runs use (graphs/runtime/pool.py) instead of LangGraph's new pool per run."""
    keep_threads()
    graph = build_bare_graph(checkpointer, model, out_dir)
    return graph.with_config(configurable={POOL: shared()})


BUILDERS = {"bare_minimal": build_minimal_graph, POOLED: build_pooled_graph}


# -- one thread each way ----------------------------------------------------------------------------
def clocked(
    times: dict[str, list[float]], cpu: dict[str, list[float]], name: str, run: Callable[[], float]
) -> None:
    """Run one campaign (`run` returns its wall time in s); append its wall time and the
    process's CPU time over it (every thread's: LangGraph's pool and the saver's too), in ms."""
    c0 = time.process_time()
    times[name].append(run() * 1000)
    cpu[name].append((time.process_time() - c0) * 1000)


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

    `bare` (the yardstick: Signoff's shape, `build_bare_graph`) opens its SQLite file like
    Signoff does (graphs.store.connect: WAL, synchronous=NORMAL) so the ratio is the
    orchestration alone; `bare_default` is the same graph on a plain
    `sqlite3.connect(path, check_same_thread=False)` (SqliteSaver's own WAL, synchronous=FULL),
    the recipe a bare LangGraph app starts from; `bare_minimal` is the previous yardstick
    (`build_minimal_graph`), opened like `bare`.
    """
    load_before = loadavg()
    with tempfile.TemporaryDirectory(prefix="signoff-p1-") as tmp:
        root = Path(tmp)
        s = Signoff(root / "signoff-home", model=ScriptedChatModel(), recover=False)
        conns = {
            "bare": connect(root / "bare.db"),
            "bare_default": sqlite3.connect(str(root / "bare-default.db"), check_same_thread=False),
            "bare_minimal": connect(root / "bare-minimal.db"),
            "bare_pooled": connect(root / "bare-pooled.db"),
        }
        graphs: dict[str, Any] = {}
        savers: dict[str, Any] = {"signoff": s.checkpointer}
        out_dir = root / "bare-out"
        out_dir.mkdir()
        for name, conn in conns.items():
            saver = savers[name] = SqliteSaver(conn)
            saver.setup()
            build = BUILDERS.get(name, build_bare_graph)
            graphs[name] = build(saver, ScriptedChatModel(), out_dir / name)
            (out_dir / name).mkdir()
        times: dict[str, list[float]] = {"signoff": [], **{name: [] for name in graphs}}
        cpu: dict[str, list[float]] = {name: [] for name in times}
        try:
            for w in range(warmup):
                log(f"p1: warm-up {w + 1}/{warmup}")
                signoff_thread(s)
                for name, graph in graphs.items():
                    bare_thread(graph, -1 - w, out_dir / name)
            for n in range(threads):
                clocked(times, cpu, "signoff", lambda: signoff_thread(s))
                for name, graph in graphs.items():
                    clocked(
                        times,
                        cpu,
                        name,
                        lambda g=graph, d=out_dir / name, k=n: bare_thread(g, k, d),
                    )
                log(
                    f"p1: thread {n + 1}/{threads}  "
                    + "  ".join(f"{k} {v[-1]:.1f} ms" for k, v in times.items())
                )
            shape = {
                "signoff": saver_calls(savers["signoff"], lambda: signoff_thread(s)),
                **{
                    name: saver_calls(
                        savers[name], lambda g=graph, d=out_dir / name: bare_thread(g, -99, d)
                    )
                    for name, graph in graphs.items()
                    if name not in ("bare_default", POOLED)  # the same graph as `bare`
                },
            }
        finally:
            s.close()
            for conn in conns.values():
                conn.close()
    load = (load_before, loadavg())
    return figures_of(
        times,
        {
            "saver": "SqliteSaver on a temp file for every side, durability=sync",
            "bare": "Signoff's shape (researcher, writer, Send per channel, branch subgraph:"
            " draft, gate interrupt, hold interrupt, publisher), SQLite opened like Signoff's"
            " (WAL, synchronous=NORMAL)",
            "bare_default": "Signoff's shape, plain sqlite3.connect (synchronous=FULL)",
            "bare_minimal": "the previous yardstick: the writer drafts both actions, each"
            " branch starts at its gate (2 checkpoints fewer); opened like bare",
            POOLED: POOLED_NOTE + "; opened like bare",
        },
        load,
        shape,
        cpu,
    )


def saver_calls(saver: Any, campaign: Callable[[], Any]) -> dict[str, int]:
    """One more campaign (untimed), counting what it asks of the saver: checkpoints (`put`),
    channel writes (the items of each `put_writes`) and their serialised bytes."""
    counts = {"checkpoints": 0, "checkpoint_bytes": 0, "writes": 0, "write_bytes": 0}
    own = {name: vars(saver).get(name) for name in ("put", "put_writes")}
    put, put_writes = saver.put, saver.put_writes

    def counted_put(config: Any, checkpoint: Any, *args: Any, **kwargs: Any) -> Any:
        counts["checkpoints"] += 1
        counts["checkpoint_bytes"] += len(saver.serde.dumps_typed(checkpoint)[1])
        return put(config, checkpoint, *args, **kwargs)

    def counted_writes(config: Any, writes: Any, *args: Any, **kwargs: Any) -> Any:
        counts["writes"] += len(writes)
        counts["write_bytes"] += sum(len(saver.serde.dumps_typed(v)[1]) for _, v in writes)
        return put_writes(config, writes, *args, **kwargs)

    saver.put, saver.put_writes = counted_put, counted_writes
    try:
        campaign()
    finally:
        for name, method in own.items():
            if method is None:
                delattr(saver, name)
            else:
                setattr(saver, name, method)
    return counts


PER_THREAD = (
    "start until both actions pause + approve email + approve post + release both holds"
    " (shipped policy: email 300 s, post 60 s; released by the scheduler's tick with the clock"
    " moved on; the bare graph has a hold interrupt too)"
)


def figures_of(
    times: dict[str, list[float]],
    notes: dict[str, str],
    load: tuple[float, float],
    shape: dict[str, dict[str, int]] | None = None,
    cpu: dict[str, list[float]] | None = None,
) -> dict[str, Any]:
    """Medians, means and the ratios of per-thread times (ms) with what each side is (`notes`)
    and the 1-minute load average before and after the run; `shape`: each side's saver calls
    per campaign (`saver_calls`); `cpu`: each campaign's CPU time (ms, `clocked`).

    `ratio` (the issue's figure) is the ratio of the two medians. Two more views of the same
    runs, less moved by the machine's load (these VMs' speed drifts by 20-30 % within minutes):
    `ratio_paired`, the median of each Signoff campaign's time over the bare campaign run right
    after it, and `cpu_ratio`, the ratio of the median CPU times (work done, not waiting)."""
    figures: dict[str, Any] = {
        "threads": len(times["signoff"]),
        "times_ms": times,
        "notes": notes,
        "loadavg_1m": load,
        "shape": shape or {},
    }
    for name, values in times.items():
        figures[f"{name}_ms_median"] = statistics.median(values)
        figures[f"{name}_ms_mean"] = statistics.fmean(values)
    figures["ratio"] = figures["signoff_ms_median"] / figures["bare_ms_median"]
    figures["ratio_mean"] = figures["signoff_ms_mean"] / figures["bare_ms_mean"]
    figures["ratio_paired"] = statistics.median(
        s / b for s, b in zip(times["signoff"], times["bare"], strict=True)
    )
    if cpu and cpu.get("signoff"):
        figures["cpu_ms"] = cpu
        for name, values in cpu.items():
            figures[f"cpu_{name}_ms_median"] = statistics.median(values)
        figures["cpu_ratio"] = figures["cpu_signoff_ms_median"] / figures["cpu_bare_ms_median"]
    if "bare_default" in times:
        figures["ratio_vs_default_saver"] = (
            figures["signoff_ms_median"] / figures["bare_default_ms_median"]
        )
    if "bare_minimal" in times:
        figures["ratio_vs_minimal"] = (
            figures["signoff_ms_median"] / figures["bare_minimal_ms_median"]
        )
    if POOLED in times:
        figures["ratio_vs_pooled_bare"] = (
            figures["signoff_ms_median"] / figures[f"{POOLED}_ms_median"]
        )
        if cpu and cpu.get(POOLED):
            figures["cpu_ratio_vs_pooled_bare"] = (
                figures["cpu_signoff_ms_median"] / figures[f"cpu_{POOLED}_ms_median"]
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
    lines.append(f"{prefix}_ratio_paired={figures['ratio_paired']:.2f}")
    if "cpu_ratio" in figures:
        for name in figures["cpu_ms"]:
            lines.append(f"{prefix}_cpu_{name}_ms_median={figures[f'cpu_{name}_ms_median']:.1f}")
        lines.append(f"{prefix}_cpu_ratio={figures['cpu_ratio']:.2f}")
    for side, counts in figures.get("shape", {}).items():
        for key, value in counts.items():
            lines.append(f"{prefix}_{key}_{side}={value}")
    if "ratio_vs_default_saver" in figures:
        lines.append(f"{prefix}_ratio_vs_default_saver={figures['ratio_vs_default_saver']:.2f}")
    if "ratio_vs_minimal" in figures:
        lines.append(f"{prefix}_ratio_vs_minimal={figures['ratio_vs_minimal']:.2f}")
        lines.append(
            f"{prefix}_ratio_vs_minimal_basis=signoff/bare_minimal of the median per-thread time"
            " (the previous yardstick: 2 steps fewer than Signoff's shape)"
        )
    if "ratio_vs_pooled_bare" in figures:
        lines.append(f"{prefix}_ratio_vs_pooled_bare={figures['ratio_vs_pooled_bare']:.2f}")
        if "cpu_ratio_vs_pooled_bare" in figures:
            lines.append(
                f"{prefix}_cpu_ratio_vs_pooled_bare={figures['cpu_ratio_vs_pooled_bare']:.2f}"
            )
        lines.append(
            f"{prefix}_ratio_vs_pooled_bare_basis=signoff/{POOLED} of the median per-thread time"
            " (Signoff's own work: the bare graph on kept threads too)"
        )
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
