"""Child of bench/bench_memory.py: render the Inbox and Campaign pages once with AppTest over the
data directory of $SIGNOFF_HOME, then print this process's memory as one JSON line.

    python -m bench.page_memory_child
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PAGES = ("views/inbox.py", "views/campaign.py")


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # kB
    return float("nan")


def main() -> int:
    from streamlit.testing.v1 import AppTest

    before = _status_mb("VmRSS")
    at = AppTest.from_file(str(ROOT / "ui" / "app.py"), default_timeout=300)
    at.run()
    errors = [str(e.value) for e in at.exception]
    for page in PAGES:
        at.switch_page(page).run()
        errors += [str(e.value) for e in at.exception]
    print(
        json.dumps(
            {
                "rss_mb": _status_mb("VmRSS"),
                "peak_mb": _status_mb("VmHWM"),
                "before_mb": before,
                "errors": errors,
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
