"""Smoke runs of `make bench` at tiny sizes: a benchmark that breaks fails here, not months later.

No figure is asserted (speed is measured by `make bench`, never by a test); only that every
benchmark runs to the end and prints its ratios.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RATIO = re.compile(r"^p1_ratio=(\d+\.\d+)$", re.M)


def _bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench.run", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_p1_runs_through_holds_and_prints_its_ratio() -> None:
    done = _bench("--only", "p1", "--threads", "1")
    assert done.returncode == 0, done.stderr[-3000:]
    match = RATIO.search(done.stdout)
    assert match, done.stdout[-2000:]
    assert float(match.group(1)) > 0
    # the shipped policy's holds were released as the product releases them
    assert "release both holds" in done.stdout
    assert "p1_thread_01_signoff_ms=" in done.stdout
    # the yardstick has Signoff's shape: as many checkpoints per campaign (bench/bench_p1.py);
    # the previous yardstick is still measured and printed
    counts = dict(re.findall(r"^p1_(checkpoints_\w+)=(\d+)$", done.stdout, re.M))
    assert counts["checkpoints_bare"] == counts["checkpoints_signoff"], counts
    assert "checkpoints_bare_minimal" in counts, counts
    assert re.search(r"^p1_ratio_vs_minimal=\d+\.\d+$", done.stdout, re.M), done.stdout[-2000:]
    # the same runs seen two more ways: per pair of campaigns, and by CPU time
    # and against the bare graph on kept threads as Signoff's runs are (Signoff's own work)
    for key in (
        "ratio_paired",
        "cpu_ratio",
        "cpu_signoff_ms_median",
        "cpu_bare_ms_median",
        "ratio_vs_pooled_bare",
        "cpu_ratio_vs_pooled_bare",
    ):
        found = re.search(rf"^p1_{key}=(\d+\.\d+)$", done.stdout, re.M)
        assert found and float(found.group(1)) > 0, (key, done.stdout[-2000:])
