"""Times and texts in the words the page, the CLI and the runtime's messages share."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def duration(seconds: float) -> str:
    """65 → '1 min 5 s'; 10800 → '3 h'; 7300 → '2 h 1 min'; 0 or less → 'now'."""
    s = int(max(float(seconds), 0))
    if s <= 0:
        return "now"
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min" + (f" {s % 60} s" if s % 60 else "")
    if s < 86400:
        return f"{s // 3600} h" + (f" {s % 3600 // 60} min" if s % 3600 // 60 else "")
    return f"{s // 86400} d" + (f" {s % 86400 // 3600} h" if s % 86400 // 3600 else "")


def to_epoch(value: Any) -> float | None:
    """An epoch from an epoch or an ISO-8601 string; None when it is neither."""
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value).timestamp()
        except ValueError:
            return None
    return None


def clip(text: str, width: int) -> str:
    """One line of at most `width` characters, with '…' where it was cut."""
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"
