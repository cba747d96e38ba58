"""Smoke run of the P2 and audience-batch benchmarks at tiny sizes: they run to the end and print
their figures (no figure is asserted: speed is measured by `make bench`, never by a test)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_p2_and_batch_run_and_print_their_ratios() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--only",
            "p2",
            "batch",
            "--p2-pending",
            "60",
            "--p2-campaigns",
            "20",
            "--batch-contacts",
            "6",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "p2_pending=60" in out
    for key in ("p2_first_page_ratio", "p2_counts_ratio"):
        match = re.search(rf"^{key}=(\d+\.\d+)$", out, re.M)
        assert match and float(match.group(1)) > 0, out
    assert "batch_contacts=6" in out and "batch_sent=6" in out
