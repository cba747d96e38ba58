"""`make bench`: every benchmark, as plain `key=value` lines on stdout; progress on stderr.

Each figure is a ratio against a baseline measured in the same process and run (DESIGN.md §9).

    uv run python -m bench.run [--threads 20] [--no-model] [--only p1 p1pg p2 p2pg batch memory
        workers workerspg]
        [--p2-pending 100000] [--p2-campaigns 1000000] [--batch-contacts 10000]
        [--memory-campaigns 10000]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/run.py` as well as `python -m bench.run`
    sys.path.insert(0, str(ROOT))


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _emit(lines: list[str]) -> None:
    for line in lines:
        print(line, flush=True)


def model_lines(figures: Any) -> list[str]:
    """`measure()`'s figures as key=value lines, whatever plain shape it returns."""
    if isinstance(figures, dict):
        items = figures.items()
    elif hasattr(figures, "__dataclass_fields__"):
        items = vars(figures).items()
    else:
        return [f"model_result={figures}"]
    lines = []
    for key, value in items:
        key = str(key) if str(key).startswith("model") else f"model_{key}"
        if isinstance(value, float):
            value = f"{value:.3f}"
        lines.append(f"{key}={value}")
    return lines


def run_model_bench() -> list[str]:
    try:
        from bench.bench_model import measure
    except ImportError as exc:
        return [f"model_bench=skipped (bench/bench_model.py not importable: {exc})"]
    _log("model: starting the embedded model and timing a first draft (can take minutes)…")
    t0 = time.perf_counter()
    try:
        figures = measure()
    except Exception as exc:  # a broken model must not hide the other figures
        return [f"model_bench=failed ({type(exc).__name__}: {exc})"]
    _log(f"model: done in {time.perf_counter() - t0:.1f} s")
    return model_lines(figures)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Signoff benchmarks (ratios against a same-run baseline)."
    )
    parser.add_argument(
        "--threads", type=int, default=20, help="P1: campaigns per side (default 20)"
    )
    parser.add_argument("--no-model", action="store_true", help="skip the embedded-model figures")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=["p1", "p1pg", "p2", "p2pg", "batch", "memory", "model", "workers", "workerspg"],
        help="run only these benchmarks (default: all)",
    )
    parser.add_argument(
        "--p2-pending", type=int, default=100_000, help="P2: pending drafts in the inbox"
    )
    parser.add_argument(
        "--p2-campaigns", type=int, default=1_000_000, help="P2: campaigns (default 1,000,000)"
    )
    parser.add_argument(
        "--batch-contacts", type=int, default=10_000, help="batch: contacts in the audience CSV"
    )
    parser.add_argument(
        "--memory-campaigns",
        type=int,
        default=10_000,
        help="memory: campaigns in the database the pages render",
    )
    parser.add_argument(
        "--worker-jobs", type=int, default=16, help="workers: queued campaigns per run (16)"
    )
    args = parser.parse_args(argv)

    _emit(
        [
            f"python={platform.python_version()}",
            f"machine={platform.machine()}",
            f"cpus={os.cpu_count()}",
            f"loadavg_1m={os.getloadavg()[0]:.2f}",  # other work on the machine skews every figure
        ]
    )
    only = set(
        args.only
        or ["p1", "p1pg", "p2", "p2pg", "batch", "memory", "model", "workers", "workerspg"]
    )
    if "p1" in only:
        from bench.bench_p1 import report, run_p1

        _log(
            f"p1: {args.threads} campaigns through Signoff vs a bare LangGraph graph of the "
            "same shape"
        )
        _emit(report(run_p1(args.threads, log=_log)))
    if "p1pg" in only:  # the same comparison on PostgresSaver (bench/bench_p1_pg.py)
        from bench.bench_p1_pg import report_pg, run_p1_pg

        _log(f"p1-pg: {args.threads} campaigns each way on PostgreSQL")
        _emit(report_pg(run_p1_pg(args.threads, log=_log)))
    if "p2" in only:
        from bench.bench_p2 import report_p2, run_p2

        _log(f"p2: the inbox at {args.p2_pending} pending over {args.p2_campaigns} campaigns")
        _emit(report_p2(run_p2(args.p2_pending, args.p2_campaigns, log=_log)))
    if "p2pg" in only:  # the same inbox on PostgreSQL (bench/bench_p2_pg.py)
        from bench.bench_p2_pg import report_p2_pg, run_p2_pg

        _log(f"p2-pg: the inbox at {args.p2_pending} pending over {args.p2_campaigns} campaigns")
        _emit(report_p2_pg(run_p2_pg(args.p2_pending, args.p2_campaigns, log=_log)))
    if "batch" in only:
        from bench.bench_p2 import report_batch, run_batch

        _log(f"batch: an audience of {args.batch_contacts} contacts, CSV to approve-all")
        _emit(report_batch(run_batch(args.batch_contacts, log=_log)))
    if "memory" in only:
        from bench.bench_memory import report_memory, run_memory

        _log(f"memory: the page server over {args.memory_campaigns} campaigns vs an empty one")
        _emit(report_memory(run_memory(args.memory_campaigns, log=_log)))

    if "workers" in only:
        from bench.bench_workers import report as report_workers
        from bench.bench_workers import run_workers

        _log(f"workers: {args.worker_jobs} queued campaigns drained by 1, then 2 workers")
        _emit(report_workers(run_workers(args.worker_jobs, log=_log)))
    if "workerspg" in only:  # the same on PostgreSQL, 1, 2 and 4 workers (bench/bench_workers.py)
        from bench.bench_workers import report as report_workers
        from bench.bench_workers import run_workers

        _log(f"workers-pg: {args.worker_jobs} queued campaigns drained by 1, 2, then 4 workers")
        _emit(report_workers(run_workers(args.worker_jobs, log=_log, postgres=True), postgres=True))
    if "model" in only and not args.no_model:
        _emit(run_model_bench())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
