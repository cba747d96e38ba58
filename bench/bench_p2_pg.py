"""P2 on PostgreSQL: the inbox at 100,000 pending over 1,000,000 campaigns, the same figures as on
SQLite (bench/bench_p2.py `run_p2`: the first page, the filtered pages, the counts, and loading
everything as the baseline), with the app tables in PostgreSQL.

The server is `SIGNOFF_BENCH_DATABASE_URL` when set (a new database is created in it for the run:
its user needs CREATEDB), else a throwaway PostgreSQL 15 cluster on loopback started for the run
(tests/pg_cluster.py) and stopped after it.

    uv run python -m bench.bench_p2_pg [--pending 100000] [--campaigns 1000000]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT, ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from bench.bench_p2 import Log, _stderr, report_p2, run_p2  # noqa: E402
from graphs.storage.database import ENV  # noqa: E402


def run_p2_pg(
    pending: int = 100_000,
    campaigns: int = 1_000_000,
    batch: int = 10_000,
    *,
    runs: int = 7,
    log: Log = _stderr,
) -> dict[str, Any]:
    from pg_schemas import schemas

    server = os.environ.get("SIGNOFF_BENCH_DATABASE_URL") or None
    if server is None:
        log("p2-pg: starting a throwaway PostgreSQL cluster on loopback")
    before = os.environ.get(ENV)
    try:
        with schemas(server) as new_database:
            os.environ[ENV] = new_database()
            figures = run_p2(pending, campaigns, batch, runs=runs, log=log, label="p2-pg")
    finally:
        if before is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = before
    return figures


def report_p2_pg(figures: dict[str, Any]) -> list[str]:
    return [
        "p2pg_database=PostgreSQL 15 (loopback, fsync off: a throwaway cluster unless "
        "SIGNOFF_BENCH_DATABASE_URL is set); app tables there",
        *report_p2(figures, key="p2pg"),
    ]


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pending", type=int, default=100_000)
    parser.add_argument("--campaigns", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    for line in report_p2_pg(run_p2_pg(args.pending, args.campaigns)):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
