"""Worker throughput: queued campaign runs drained by 1 and 2 worker processes on one SQLite file.

    uv run python -m bench.bench_workers [--jobs 16]       (or: python -m bench.run --only workers)

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
from collections.abc import Callable
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


def _drain(jobs: int, workers: int, log: Callable[[str], None]) -> dict[str, Any]:
    for extra in (ROOT, TESTS):
        if str(extra) not in sys.path:
            sys.path.insert(0, str(extra))
    from fakes import ScriptedChatModel

    from graphs.runtime import Signoff

    with tempfile.TemporaryDirectory(prefix="signoff-bench-workers-") as tmp:
        root = Path(tmp)
        home = root / "home"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNOFF_")}
        env["SIGNOFF_HOME"] = str(home)
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
        with Signoff(home, model=ScriptedChatModel(), queued=True, recover=False) as page:
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
    }


def run_workers(jobs: int, log: Callable[[str], None] = print) -> list[dict[str, Any]]:
    return [_drain(jobs, n, log) for n in (1, 2)]


def report(results: list[dict[str, Any]]) -> list[str]:
    base = results[0]["jobs_per_s"]
    lines = ["workers_model=scripted fake (tests/fakes.py); SQLite; queue + graph + database only"]
    for r in results:
        n = r["workers"]
        lines += [
            f"workers_{n}_jobs_per_s={r['jobs_per_s']:.2f}",
            f"workers_{n}_split={'/'.join(str(x) for x in r['per_worker'])}",
            f"workers_{n}_failed={r['failed']}",
            f"workers_{n}_left={r['left']}",
            f"workers_{n}_vs_1={r['jobs_per_s'] / base:.2f}x",
        ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=16, help="queued campaigns per run (16)")
    args = parser.parse_args(argv)
    for line in report(run_workers(args.jobs, log=lambda m: print(m, file=sys.stderr))):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
