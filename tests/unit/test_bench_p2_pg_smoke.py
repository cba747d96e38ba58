"""Smoke run of P2 on PostgreSQL at a tiny size: it fills the inbox in a new database of the test
cluster, times every page and prints its figures and ratios (no figure is asserted: speed is
measured by `make bench`, never by a test)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def test_p2_on_postgres_runs_and_prints_its_ratios(postgres: Any) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--only", "p2pg"]
        + ["--p2-pending", "60", "--p2-campaigns", "20"],
        cwd=ROOT,
        env={**os.environ, "SIGNOFF_BENCH_DATABASE_URL": postgres.url},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "p2pg_pending=60" in out and "p2pg_campaigns=20" in out
    for key in ("first_page", "slowest_page", "counts"):
        match = re.search(rf"^p2pg_{key}_ratio=(\d+\.\d+)$", out, re.M)
        assert match and float(match.group(1)) > 0, out
    for page in ("campaign", "channel", "risk", "decider", "decider_threshold"):
        assert re.search(rf"^p2pg_page_{page}_ms=\d+\.\d+$", out, re.M), out
