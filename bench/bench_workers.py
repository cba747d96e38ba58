"""Worker throughput: queued campaign runs drained by 1, 2 (and 4) worker processes on one database.

    uv run python -m bench.bench_workers [--jobs 16]               SQLite, 1 and 2 workers
    uv run python -m bench.bench_workers --postgres [--jobs 16]    PostgreSQL, 1, 2 and 4 workers
    (or: python -m bench.run --only workers workerspg)

On PostgreSQL each configuration gets a new database in SIGNOFF_BENCH_DATABASE_URL when it is
set, else of a throwaway local cluster (tests/pg_cluster.py).

Each configuration gets a fresh data directory with `--jobs` new campaigns queued (the page's
way: `Signoff(queued=True).start`). Worker processes start, import everything and open the
database, then wait for a go signal, so the figure is the drain alone: jobs/s from the go
signal to the last job done. The model is the scripted fake (tests/fakes.py): this measures the
queue, the graph and SQLite, not the model (on the embedded model one shared server serialises
generations, so more workers do not draft faster on one machine).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"

CHILD = """
import json, sys, time
from pathlib import Path
sys.path[:0] = [sys.argv[4], sys.argv[5]]
from fakes import ScriptedChatModel
from graphs.runtime import Signoff

home, ready, go = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
with Signoff(home, model=ScriptedChatModel(), queued=True, recover=False) as runtime:
    ready.touch()
    while not go.exists():
        time.sleep(0.005)
    ran, failed = 0, 0
    while (job := runtime.work_once(f"bench-{ready.name}")) is not None:
        ran += 1
        failed += job["status"] != "done"
    print(json.dumps({"ran": ran, "failed": failed, "at": time.time()}), flush=True)
"""

BRIEF = {
    "product": "Brightloop 2 smart thermostat",
    "audience": "homeowners with high heating bills",
    "goal": "pre-orders before winter",
}


def _drain(
    jobs: int, workers: int, log: Callable[[str], None], url: str | None = None
) -> dict[str, Any]:
    for extra in (ROOT, TESTS):
        if str(extra) not in sys.path:
            sys.path.insert(0, str(extra))
    from fakes import ScriptedChatModel

    from graphs.runtime import Signoff

    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="signoff-bench-workers-") as tmp:
        root = Path(tmp)
        home = root / "home"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNOFF_")}
        env["SIGNOFF_HOME"] = str(home)
        if url:
            env["SIGNOFF_DATABASE_URL"] = url
        with _database(url):
            with Signoff(home, model=ScriptedChatModel(), queued=True, recover=False) as page:
                for _ in range(jobs):
                    page.start(dict(BRIEF))
        go = root / "go"
        children = []
        for n in range(workers):
            ready = root / f"ready-{n}"
            children.append(
                (
                    ready,
                    subprocess.Popen(
                        [sys.executable, "-c", CHILD, str(home), str(ready), str(go)]
                        + [str(ROOT), str(TESTS)],
                        env=env,
                        stdout=subprocess.PIPE,
                        text=True,
                    ),
                )
            )
        while not all(ready.exists() for ready, _ in children):
            for _, child in children:
                if child.poll() is not None:
                    raise RuntimeError(f"a bench worker exited with {child.returncode}")
            time.sleep(0.05)
        started = time.time()
        go.touch()
        reports = [json.loads(child.communicate(timeout=1800)[0]) for _, child in children]
        finished = max(r["at"] for r in reports)
        with (
            _database(url),
            Signoff(home, model=ScriptedChatModel(), queued=True, recover=False) as page,
        ):
            status = page.queue_status()
    seconds = finished - started
    ran = sum(r["ran"] for r in reports)
    log(f"workers={workers}: {ran} jobs in {seconds:.1f} s")
    return {
        "workers": workers,
        "jobs": ran,
        "failed": sum(r["failed"] for r in reports) + status["failed"],
        "left": status["queued"] + status["running"],
        "seconds": seconds,
        "jobs_per_s": ran / seconds if seconds > 0 else float("inf"),
        "per_worker": [r["ran"] for r in reports],
        "wall_s": time.perf_counter() - began,  # queueing, workers' start-up and the drain
        "loadavg_1m": os.getloadavg()[0],
    }


@contextmanager
def _database(url: str | None) -> Iterator[None]:
    """SIGNOFF_DATABASE_URL set to `url` (PostgreSQL) for this process meanwhile; None: SQLite."""
    saved = os.environ.pop("SIGNOFF_DATABASE_URL", None)
    if url:
        os.environ["SIGNOFF_DATABASE_URL"] = url
    try:
        yield
    finally:
        os.environ.pop("SIGNOFF_DATABASE_URL", None)
        if saved is not None:
            os.environ["SIGNOFF_DATABASE_URL"] = saved


def run_workers(
    jobs: int,
    log: Callable[[str], None] = print,
    *,
    postgres: bool = False,
    counts: tuple[int, ...] | None = None,
) -> list[dict[str, Any]]:
    """SQLite: 1 and 2 workers. PostgreSQL: 1, 2 and 4, each on a new database."""
    if not postgres:
        return [_drain(jobs, n, log) for n in counts or (1, 2)]
    for extra in (ROOT, TESTS):
        if str(extra) not in sys.path:
            sys.path.insert(0, str(extra))
    from pg_schemas import schemas

    with schemas(os.environ.get("SIGNOFF_BENCH_DATABASE_URL") or None) as new_schema:
        return [_drain(jobs, n, log, url=new_schema()) for n in counts or (1, 2, 4)]


def report(results: list[dict[str, Any]], postgres: bool = False) -> list[str]:
    base = results[0]["jobs_per_s"]
    key = "workerspg" if postgres else "workers"
    where = "PostgreSQL" if postgres else "SQLite"
    lines = [
        f"{key}_job=one queued new campaign (start job: research + drafts of its actions with the "
        f"scripted fake model of tests/fakes.py, up to its review); {where}; queue + graph + "
        f"database only, no model server; cpus={os.cpu_count()}",
        f"{key}_loadavg_1m={os.getloadavg()[0]:.2f}",
    ]
    for r in results:
        n = r["workers"]
        lines += [
            f"{key}_{n}_seconds={r['seconds']:.1f}",
            f"{key}_{n}_loadavg_1m={r['loadavg_1m']:.2f}",
            f"{key}_{n}_jobs_per_s={r['jobs_per_s']:.2f}",
            f"{key}_{n}_split={'/'.join(str(x) for x in r['per_worker'])}",
            f"{key}_{n}_failed={r['failed']}",
            f"{key}_{n}_left={r['left']}",
            f"{key}_{n}_vs_1={r['jobs_per_s'] / base:.2f}x",
        ]
    lines.append(f"{key}_bench_s={sum(r['wall_s'] for r in results):.0f}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=16, help="queued campaigns per run (16)")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="PostgreSQL (SIGNOFF_BENCH_DATABASE_URL, else a throwaway cluster): 1, 2, 4 workers",
    )
    parser.add_argument("--counts", type=int, nargs="+", help="worker counts to measure")
    args = parser.parse_args(argv)
    results = run_workers(
        args.jobs,
        log=lambda m: print(m, file=sys.stderr),
        postgres=args.postgres,
        counts=tuple(args.counts) if args.counts else None,
    )
    for line in report(results, postgres=args.postgres):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
