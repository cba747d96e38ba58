"""One knowledge-base ingestion in a process of its own (bench/redteam.py measures its peak
memory from /proc/self/status). Imports the knowledge base only, so the process starts quickly.

    python -m bench.ingest_child url|path ARG    # prints {"seconds", "outcome"} as JSON
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.kb import KnowledgeBase  # noqa: E402


def main(kind: str, arg: str) -> None:
    started = time.perf_counter()
    outcome = "added"
    with tempfile.TemporaryDirectory() as tmp, KnowledgeBase(Path(tmp) / "kb.db") as kb:
        try:
            if kind == "url":
                kb.add_url(arg)
            else:
                kb.add_path(Path(arg))
        except ValueError as exc:
            outcome = "refused: " + str(exc)[:120]
    seconds = round(time.perf_counter() - started, 2)
    print(json.dumps({"seconds": seconds, "outcome": outcome, "peak_mb": peak_mb()}))


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM: its own, unlike ru_maxrss, which on Linux
    also counts the parent's memory at fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
