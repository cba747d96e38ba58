"""P1 on PostgreSQL: Signoff's full path vs a bare LangGraph graph of the same shape, both on
PostgresSaver in the same cluster (bench/bench_p1.py has the sides and says what "same shape"
means; this runs them there, the previous yardstick `bare_minimal` included).

The cluster is `SIGNOFF_BENCH_DATABASE_URL` when set (each side gets a schema of its own in it),
else a throwaway PostgreSQL 15 cluster on loopback started for the run (tests/pg_cluster.py).
Signoff's side runs with `SIGNOFF_DATABASE_URL` pointing at its schema (checkpoints and app
tables). The bare side is the yardstick, the library's plain recipe whatever else Signoff's own
connections do: `PostgresSaver.from_conn_string(url)` (one connection: autocommit,
prepare_threshold=0, dict_row; no pipeline) and `setup()`, on its own schema, with the one
session setting Signoff's saver connection makes that any LangGraph user could make too (lz4
compression, `prefer_lz4`): both sides on the same saver. Threads alternate, as on SQLite.
"""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT, ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from fakes import ScriptedChatModel  # noqa: E402

from bench.bench_p1 import (  # noqa: E402
    BUILDERS,
    POOLED,
    POOLED_NOTE,
    Log,
    _stderr,
    bare_thread,
    build_bare_graph,
    clocked,
    figures_of,
    loadavg,
    report,
    saver_calls,
    signoff_thread,
)
from graphs.runtime import Signoff  # noqa: E402
from graphs.storage.database import ENV, libpq_url, pg_connect, prefer_lz4  # noqa: E402


def _schema(url: str) -> str:
    name = "p1_" + uuid.uuid4().hex[:10]
    with pg_connect(url) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-c search_path={name}')}"


@contextmanager
def bare_saver(url: str) -> Iterator[Any]:
    """The yardstick's checkpointer: LangGraph's own recipe, with the one setting Signoff's
    saver connection makes that any LangGraph user could make too (lz4 compression of what the
    session writes, `prefer_lz4`), so both sides run on the same saver."""
    from langgraph.checkpoint.postgres import PostgresSaver

    with PostgresSaver.from_conn_string(libpq_url(url)) as saver:
        saver.setup()
        prefer_lz4(saver.conn)
        yield saver


def run_p1_pg(threads: int = 20, *, warmup: int = 1, log: Log = _stderr) -> dict[str, Any]:
    cluster = None
    url = os.environ.get("SIGNOFF_BENCH_DATABASE_URL")
    if not url:
        from pg_cluster import Cluster

        log("p1-pg: starting a throwaway PostgreSQL cluster on loopback")
        cluster = Cluster().start()
        url = cluster.url
    before = os.environ.get(ENV)
    load_before = loadavg()
    try:
        with tempfile.TemporaryDirectory(prefix="signoff-p1pg-") as tmp:
            root = Path(tmp)
            os.environ[ENV] = _schema(url)
            s = Signoff(root / "signoff-home", model=ScriptedChatModel(), recover=False)
            bare = ExitStack()
            builders = {"bare": build_bare_graph, **BUILDERS}
            savers: dict[str, Any] = {"signoff": s.checkpointer}
            graphs: dict[str, Any] = {}
            out_dir = root / "bare-out"
            for name, build in builders.items():  # each on a schema of its own
                savers[name] = bare.enter_context(bare_saver(_schema(url)))
                graphs[name] = build(savers[name], ScriptedChatModel(), out_dir / name)
                (out_dir / name).mkdir(parents=True)
            times: dict[str, list[float]] = {"signoff": [], **{name: [] for name in graphs}}
            cpu: dict[str, list[float]] = {name: [] for name in times}
            try:
                for w in range(warmup):
                    log(f"p1-pg: warm-up {w + 1}/{warmup}")
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
                        f"p1-pg: thread {n + 1}/{threads}  "
                        + "  ".join(f"{k} {v[-1]:.1f} ms" for k, v in times.items())
                    )
                shape = {
                    "signoff": saver_calls(savers["signoff"], lambda: signoff_thread(s)),
                    **{
                        name: saver_calls(
                            savers[name], lambda g=graph, d=out_dir / name: bare_thread(g, -99, d)
                        )
                        for name, graph in graphs.items()
                        if name != POOLED  # the same graph as `bare`
                    },
                }
            finally:
                s.close()
                bare.close()
    finally:
        if before is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = before
        if cluster is not None:
            cluster.stop()
    return figures_of(
        times,
        {
            "saver": "PostgresSaver (PostgreSQL 15, loopback) for both sides, durability=sync;"
            " Signoff's app tables in the same database",
            "bare": "Signoff's shape (bench/bench_p1.py build_bare_graph), the library's recipe:"
            " PostgresSaver.from_conn_string (one connection, autocommit, prepare_threshold=0,"
            " dict_row; lz4 compression as on Signoff's saver session), a schema of its own",
            "bare_minimal": "the previous yardstick (build_minimal_graph: 2 checkpoints fewer"
            " than Signoff's shape), the same recipe, a schema of its own",
            POOLED: POOLED_NOTE + "; the same recipe, a schema of its own",
        },
        (load_before, loadavg()),
        shape,
        cpu,
    )


def report_pg(figures: dict[str, Any]) -> list[str]:
    """`report` with the p1pg prefix (bench/run.py calls it by this name)."""
    return report(figures, "p1pg")


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=20)
    args = parser.parse_args(argv)
    for line in report(run_p1_pg(args.threads), "p1pg"):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
