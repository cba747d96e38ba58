"""`signoff jobs`: the run queue and its workers, for whoever watches a deployment.

What to monitor: queue depth (queued), the age of the oldest queued job, failed jobs, and the
workers whose heartbeat is alive. Exit code 0 always; the figures are the answer.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from graphs.humanize import clip, count, duration
from ui import cli_common


def register(subparsers: Any) -> dict[str, Any]:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "jobs",
        help="the run queue: depth, oldest queued job, running and failed jobs, live workers",
        description="The run queue that workers (`signoff worker`) drain: how many runs are "
        "queued and running, how long the oldest has waited, the last failed runs and the "
        "workers whose heartbeat is alive. With --json: one object for a monitoring system.",
        epilog=cli_common.EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cli_common._common(p, top=False)
    cli_common._json_flag(p)
    return {"jobs": run}


def run(args: argparse.Namespace, home: Path) -> int:
    with cli_common._open(home) as s:
        status = s.queue_status()
    if args.json:
        cli_common._emit(status)
        return cli_common.EXIT_OK
    out = sys.stdout
    oldest = status["oldest_queued_seconds"]
    out.write(
        f"queued {status['queued']} · running {status['running']} · done {status['done']} · "
        f"failed {status['failed']}"
        + (f" · oldest queued {duration(oldest)} ago" if oldest is not None else "")
        + "\n"
    )
    workers = status["workers"]
    if workers:
        out.write(f"\n{count(len(workers), 'worker')} alive:\n")
        for w in workers:
            out.write(f"  {w['name']}  ({w['detail']})\n")
    else:
        out.write(
            "\nNo worker is alive: queued runs wait. Start one with `signoff worker` "
            "(`make worker`).\n"
        )
    if status["open"]:
        out.write("\nIn the queue:\n")
        for job in status["open"]:
            last = job["lines"][-1]["message"] if job["lines"] else ""
            took = f" {duration(job['elapsed'])}" if job["elapsed"] is not None else ""
            out.write(
                f"  job {job['id']}  {job['kind']:<6} campaign {job['thread_id'][:8]}  "
                f"{job['status']}{took}  {clip(last, 60)}\n"
            )
    if status["recent_failed"]:
        out.write("\nLast failed runs (carry one on with `signoff retry CAMPAIGN`):\n")
        for job in status["recent_failed"]:
            out.write(
                f"  job {job['id']}  {job['kind']:<6} campaign {job['thread_id'][:8]}  "
                f"{job['updated_at']}  {clip(str(job['error'] or ''), 90)}\n"
            )
    out.flush()
    return cli_common.EXIT_OK
