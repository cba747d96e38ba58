"""`make bench`'s P1 and the embedded model's figures at their smallest size (P2 and the
audience batch have their own smoke run in tests/unit/test_bench_p2_smoke.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


def test_bench_prints_p1_and_the_model_figures(embedded_env: pytest.MonkeyPatch) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--only", "p1", "model", "--threads", "1"],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.search(r"^p1_ratio=\d+\.\d+$", done.stdout, re.M), done.stdout[-2000:]
    assert re.search(r"^model_first_draft_s=\d", done.stdout, re.M), done.stdout[-3000:]
    assert re.search(r"^model_first_draft_attempts=[123]$", done.stdout, re.M), done.stdout[-3000:]
    assert "model_bench=" not in done.stdout, done.stdout[-2000:]  # not skipped, not failed
