"""The local social connector: JSON lines under the data directory, one writer at a time.

    feed.jsonl         posts       {"key", "at", "text"}; a deletion {"undo_of", "at", "action"}
    engagements.jsonl  likes, follows, reposts {"key", "at", "action", "target"}; undos likewise

Every write is idempotent: an entry whose `key` (or `undo_of`) is already there is not added again.
"""

from __future__ import annotations

import fcntl
import json
import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_TOKEN = re.compile(r"[A-Za-z0-9_.:-]+")  # written by json.dumps exactly as it is


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def append_once(path: Path, field: str, entry: dict[str, Any]) -> tuple[int, bool]:
    """Append `entry` unless a line has the same `field` value; returns (line number, added)."""
    wanted = entry[field]
    # A key (hex, or any plain token) appears as itself in its line: only lines holding it are
    # parsed, not every line of the feed on every post. Any other value: every line is parsed.
    needle = wanted if isinstance(wanted, str) and _TOKEN.fullmatch(wanted) else None
    try:
        feed = open(path, "a+", encoding="utf-8")
    except FileNotFoundError:  # the first entry of a new data directory: its folder first
        path.parent.mkdir(parents=True, exist_ok=True)
        feed = open(path, "a+", encoding="utf-8")
    with feed:
        fcntl.flock(feed, fcntl.LOCK_EX)  # released when the file closes
        feed.seek(0)
        line_no, line = 0, "\n"
        for line_no, line in enumerate(feed, start=1):
            if needle is not None and needle not in line:
                continue
            if _parse(line, path, line_no).get(field) == wanted:
                log.info("%s %s already in %s; not adding it again", field, wanted[:12], path.name)
                return line_no, False
        if not line.endswith("\n"):  # a line cut short by a crash stays on its own line
            feed.write("\n")
            line_no += 1
        feed.write(json.dumps(entry) + "\n")
        feed.flush()
    return line_no + 1, True


def entries(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [e for n, line in enumerate(lines, start=1) if (e := _parse(line, path, n))]


def _parse(line: str, path: Path, line_no: int) -> dict[str, Any]:
    if not line.strip():
        return {}
    try:
        value = json.loads(line)
    except ValueError:
        log.warning("%s line %d is not JSON (cut short by a crash?); skipping it", path, line_no)
        return {}
    return value if isinstance(value, dict) else {}
