"""Page server memory: the Inbox and Campaign pages rendered (AppTest, in a fresh process) over a
database of `campaigns` campaigns, each with a draft waiting, against the same pages over an empty
database, in the same run. No model is started (the page never drafts).

    uv run python -m bench.run --only memory [--memory-campaigns 10000]
"""

from __future__ import annotations

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
for extra in (ROOT, ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from fakes import ScriptedChatModel  # noqa: E402

from bench.bench_p2 import _fill  # noqa: E402
from graphs.runtime import Signoff  # noqa: E402

Log = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _measure(home: Path) -> dict[str, Any]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SIGNOFF_")},
        "SIGNOFF_HOME": str(home),
        "SIGNOFF_SCHEDULER": "off",
    }
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bench.page_memory_child"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the page child failed ({done.returncode}): {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["render_s"] = time.perf_counter() - t0
    return result


def run_memory(campaigns: int = 10_000, *, log: Log = _stderr) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="signoff-memory-") as tmp:
        empty, full = Path(tmp) / "empty", Path(tmp) / "full"
        Signoff(empty, model=ScriptedChatModel(), recover=False).close()
        s = Signoff(full, model=ScriptedChatModel(), recover=False)
        try:
            _fill(s, campaigns, campaigns, 0, log)  # one draft waiting per campaign
        finally:
            s.close()
        log("memory: the pages over an empty database (the baseline)…")
        base = _measure(empty)
        log(f"memory: the pages over {campaigns} campaigns…")
        big = _measure(full)
    return {"campaigns": campaigns, "empty": base, "full": big}


def report_memory(f: dict[str, Any]) -> list[str]:
    base, big = f["empty"], f["full"]
    return [
        f"memory_campaigns={f['campaigns']}",
        "memory_pages=Inbox + Campaign rendered by AppTest in a fresh process; no model",
        f"memory_empty_rss_mb={base['rss_mb']:.0f}",
        f"memory_empty_peak_mb={base['peak_mb']:.0f}",
        f"memory_rss_mb={big['rss_mb']:.0f}",
        f"memory_peak_mb={big['peak_mb']:.0f}",
        f"memory_render_s={big['render_s']:.1f}",
        f"memory_errors={len(big['errors']) + len(base['errors'])}",
        f"memory_ratio={big['peak_mb'] / base['peak_mb']:.2f}",
        "memory_ratio_basis=peak RSS with the campaigns / peak RSS over an empty database;"
        " target: peak < 400 MB",
    ]
