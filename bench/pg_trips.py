"""Where P1's PostgreSQL time goes: round trips per campaign by connection and by caller, and
the server's own time per statement (python -m bench.pg_trips [--campaigns 5]).

It runs P1's two sides (bench/bench_p1.py: Signoff's full path and the bare graph on the
library's plain PostgresSaver) on a throwaway PostgreSQL 15 cluster on loopback
(tests/pg_cluster.py) started with pg_stat_statements, one warm-up campaign each, then
`--campaigns` of each side, and prints `key=value` lines:

- a round trip is one wait of psycopg for the server's answer (a statement outside a pipeline,
  a read or the COMMIT of a pipelined transaction, a checkpoint `put`'s pipeline sync), counted
  by wrapping `psycopg.Connection.wait`; per connection (Signoff's saver, its app tables, its
  knowledge base; the bare saver) with the wall time spent waiting, and per caller (the
  saver's method, or the first frame in this repository above graphs/storage/database.py);
- the server's statements and execution + planning time per campaign (pg_stat_statements),
  each side measured alone, heaviest statements first;
- the CPU time of each connection's server process per campaign (`backend_cpu_s`: all the
  server does for it, protocol and commits included; less moved by the machine's load).

A diagnostic, not a gate: the figures move with the machine's load (printed), the counts do not.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg.waiting import Ready, Wait

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT, ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

SAVER_METHODS = ("put", "put_writes", "get_tuple", "list", "setup", "delete_thread")
SKIP = ("graphs/storage/database.py", "graphs/storage/base.py", "bench/pg_trips.py")


class Trips:
    """Round trips and wait time by (connection role, caller) while `counting()` is active."""

    def __init__(self) -> None:
        self.roles: dict[int, str] = {}
        self.trips: collections.Counter[tuple[str, str]] = collections.Counter()
        self.wait_s: collections.Counter[tuple[str, str]] = collections.Counter()
        self.sent: collections.Counter[str] = collections.Counter()
        self.sent_sql: collections.Counter[tuple[str, str]] = collections.Counter()
        self._lock = threading.Lock()

    def name(self, conn: Any, role: str) -> None:
        self.roles[id(conn)] = role

    def reset(self) -> None:
        with self._lock:
            self.trips.clear()
            self.wait_s.clear()
            self.sent.clear()
            self.sent_sql.clear()

    @contextmanager
    def counting(self) -> Iterator[Trips]:
        original = psycopg.Connection.wait
        trips = self

        def wait(conn: Any, gen: Any, *args: Any, **kwargs: Any) -> Any:
            blocked = [False]

            def watched() -> Any:
                sent = None
                try:
                    while True:
                        want = gen.send(sent)
                        sent = yield want
                        # an answer was waited for: a wait for reading (R, or RW as a pipeline's
                        # flush asks) that ended with data to read (RW ending writable is not)
                        if int(want[1] if isinstance(want, tuple) else want) & Wait.R and (
                            sent is not None and int(sent) & Ready.R
                        ):
                            blocked[0] = True
                except StopIteration as stop:
                    return stop.value

            t0 = time.perf_counter()
            try:
                return original(conn, watched(), *args, **kwargs)
            finally:
                if blocked[0] and id(conn) in trips.roles:  # the named connections only
                    key = (trips.roles[id(conn)], _caller())
                    with trips._lock:
                        trips.trips[key] += 1
                        trips.wait_s[key] += time.perf_counter() - t0

        execute, executemany = psycopg.Cursor.execute, psycopg.Cursor.executemany

        def sent(cur: Any, query: Any, n: int) -> None:
            role = trips.roles.get(id(cur.connection))
            if role is not None:
                text = query.decode() if isinstance(query, bytes) else str(query)
                with trips._lock:
                    trips.sent[role] += n
                    trips.sent_sql[(role, " ".join(text.split())[:90])] += n

        def counted_execute(cur: Any, query: Any, params: Any = None, **kwargs: Any) -> Any:
            sent(cur, query, 1)
            return execute(cur, query, params, **kwargs)

        def counted_executemany(cur: Any, query: Any, params_seq: Any, **kwargs: Any) -> Any:
            params_seq = list(params_seq)
            sent(cur, query, len(params_seq))
            return executemany(cur, query, params_seq, **kwargs)

        psycopg.Connection.wait = wait  # type: ignore[method-assign]
        psycopg.Cursor.execute = counted_execute  # type: ignore[method-assign,assignment]
        psycopg.Cursor.executemany = counted_executemany  # type: ignore[method-assign]
        try:
            yield self
        finally:
            psycopg.Connection.wait = original  # type: ignore[method-assign]
            psycopg.Cursor.execute = execute  # type: ignore[method-assign]
            psycopg.Cursor.executemany = executemany  # type: ignore[method-assign]

    def lines(self, campaigns: int, prefix: str = "pgtrips") -> list[str]:
        by_role: collections.Counter[str] = collections.Counter()
        wait_role: collections.Counter[str] = collections.Counter()
        for (role, _), n in self.trips.items():
            by_role[role] += n
            wait_role[role] += self.wait_s[(role, _)]
        out = []
        for role in sorted(by_role):
            key = role.replace("-", "_")
            out.append(f"{prefix}_{key}_round_trips_per_campaign={by_role[role] / campaigns:.1f}")
            out.append(
                f"{prefix}_{key}_wait_ms_per_campaign={wait_role[role] / campaigns * 1000:.1f}"
            )
            out.append(
                f"{prefix}_{key}_statements_sent_per_campaign={self.sent[role] / campaigns:.1f}"
            )
        for (role, sql), n in sorted(self.sent_sql.items(), key=lambda kv: -kv[1]):
            out.append(f"{prefix}_sent={role} {n / campaigns:.1f} {sql}")
        for (role, caller), n in sorted(self.trips.items(), key=lambda kv: -kv[1]):
            ms = self.wait_s[(role, caller)] / campaigns * 1000
            out.append(f"{prefix}_by_caller={role} {n / campaigns:.1f} trips {ms:.1f} ms {caller}")
        return out


DEPTH = int(os.environ.get("PGTRIPS_DEPTH") or 1)  # callers named per trip (2: and its caller)


def _caller() -> str:
    """The saver's method, or the first frame of this repository outside the connection code
    (with PGTRIPS_DEPTH=2, also the repository frame that called it)."""
    found: list[str] = []
    for frame in reversed(traceback.extract_stack(limit=48)[:-3]):
        path = frame.filename
        if not found and "/langgraph/checkpoint/postgres/" in path and frame.name in SAVER_METHODS:
            found.append(f"saver.{frame.name}")
        elif path.startswith(str(ROOT)) and "/.venv/" not in path:
            rel = Path(path).relative_to(ROOT).as_posix()
            if rel not in SKIP:
                found.append(f"{rel}:{frame.name}")
        if len(found) >= DEPTH:
            break
    return " < ".join(found) or "?"


def _statements(url: str, campaigns: int, prefix: str, top: int = 12) -> list[str]:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT calls, total_exec_time + total_plan_time, regexp_replace(query, '\\s+', ' ', 'g'),"
            " jit_functions, plans, total_plan_time FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'"
            " ORDER BY 2 DESC"
        ).fetchall()
        conn.execute("SELECT pg_stat_statements_reset()")
    out = [
        f"{prefix}_statements_per_campaign={sum(r[0] for r in rows) / campaigns:.1f}",
        f"{prefix}_server_ms_per_campaign={sum(r[1] for r in rows) / campaigns:.2f}",
        f"{prefix}_jit_functions={sum(r[3] for r in rows)}",
    ]
    for calls, ms, query, _, plans, plan_ms in rows[:top]:
        out.append(
            f"{prefix}_statement={calls / campaigns:.1f} calls {ms / campaigns:.2f} ms"
            f" (planned {plans / campaigns:.1f} times, {plan_ms / campaigns:.2f} ms) {query[:100]}"
        )
    return out


def backend_cpu_s(conns: dict[str, Any]) -> dict[str, float]:
    """CPU seconds each connection's server process has run so far (Linux: the first field of
    /proc/<pid>/schedstat, in ns), by role; empty where it cannot be read (another machine's
    server, another OS). Unlike pg_stat_statements' execution time, it counts all the server
    does for the connection (protocol, transactions, commits, triggers) and waiting for a
    core is not in it, so it moves less with the machine's load."""
    out = {}
    for role, conn in conns.items():
        if conn is None:
            continue
        try:
            with open(f"/proc/{conn.info.backend_pid}/schedstat") as f:
                out[role] = int(f.read().split()[0]) / 1e9
        except (OSError, ValueError, IndexError, psycopg.Error):  # a closed connection too
            continue
    return out


def cpu_lines(
    before: dict[str, float], after: dict[str, float], campaigns: int, side: str
) -> list[str]:
    spent = {role: after[role] - before[role] for role in after if role in before}
    lines = [
        f"pgtrips_server_cpu_ms_per_campaign={role} {ms / campaigns * 1000:.2f}"
        for role, ms in sorted(spent.items())
    ]
    if spent:
        total = sum(spent.values()) / campaigns * 1000
        lines.append(f"pgtrips_{side}_server_cpu_ms_per_campaign={total:.2f}")
    return lines


def run(campaigns: int = 5, log: Callable[[str], None] | None = None, top: int = 12) -> list[str]:
    from fakes import ScriptedChatModel
    from pg_cluster import Cluster

    from bench.bench_p1 import bare_thread, build_bare_graph, loadavg, signoff_thread
    from bench.bench_p1_pg import _schema, bare_saver
    from graphs.runtime import Signoff
    from graphs.storage.database import ENV

    say = log or (lambda message: print(message, file=sys.stderr, flush=True))
    say("pg_trips: starting a throwaway PostgreSQL cluster (pg_stat_statements) on loopback")
    cluster = Cluster(
        options="-c shared_preload_libraries=pg_stat_statements"
        " -c pg_stat_statements.track_planning=on"
    ).start()
    before = os.environ.get(ENV)
    trips = Trips()
    lines = [f"pgtrips_campaigns={campaigns}", f"pgtrips_loadavg_1m_before={loadavg():.2f}"]
    try:
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION pg_stat_statements")
        with tempfile.TemporaryDirectory(prefix="signoff-pgtrips-") as tmp:
            root = Path(tmp)
            os.environ[ENV] = _schema(cluster.url)
            s = Signoff(root / "signoff-home", model=ScriptedChatModel(), recover=False)
            out_dir = root / "bare-out"
            out_dir.mkdir()
            with bare_saver(_schema(cluster.url)) as saver, trips.counting():
                graph = build_bare_graph(saver, ScriptedChatModel(), out_dir)
                signoff = {
                    "signoff-saver": s._saver_conn,
                    "signoff-app": getattr(s.store.conn, "raw", s.store.conn),
                    "signoff-kb": getattr(getattr(s.kb, "_conn", None), "raw", None),
                }
                bare = {"bare-saver": saver.conn}
                for role, conn in {**signoff, **bare}.items():
                    trips.name(conn, role)
                signoff_thread(s)
                bare_thread(graph, -1, out_dir)
                trips.reset()
                _statements(cluster.url, 1, "ignored")
                times = {"signoff": 0.0, "bare": 0.0}
                cpu = backend_cpu_s(signoff)
                for _ in range(campaigns):
                    times["signoff"] += signoff_thread(s)
                lines += cpu_lines(cpu, backend_cpu_s(signoff), campaigns, "signoff")
                lines += _statements(cluster.url, campaigns, "pgtrips_signoff", top)
                cpu = backend_cpu_s(bare)
                for n in range(campaigns):
                    times["bare"] += bare_thread(graph, n, out_dir)
                lines += cpu_lines(cpu, backend_cpu_s(bare), campaigns, "bare")
                lines += _statements(cluster.url, campaigns, "pgtrips_bare", top)
                say("pg_trips: done")
            s.close()
        lines += [
            f"pgtrips_{side}_ms_mean={total / campaigns * 1000:.1f}"
            for side, total in times.items()
        ]
        lines += trips.lines(campaigns)
        lines.append(f"pgtrips_loadavg_1m_after={loadavg():.2f}")
    finally:
        if before is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = before
        cluster.stop()
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, default=5)
    parser.add_argument("--top", type=int, default=12, help="statements listed per side")
    args = parser.parse_args(argv)
    for line in run(args.campaigns, top=args.top):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
