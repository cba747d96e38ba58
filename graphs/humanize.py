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


def count(n: int, noun: str, plural: str | None = None) -> str:
    """count(1, 'claim') → '1 claim'; count(2, 'claim') → '2 claims'; count(2, 'entry',
    'entries') → '2 entries' (never 'claim(s)')."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def money(amount: Any, currency: Any = "") -> str:
    """money(150.0, 'EUR') → '150 EUR'; money(149.5, 'EUR') → '149.50 EUR'; money(1200) →
    '1,200'. Whatever is not a number is shown as it came."""
    try:
        value = float(amount)
    except (TypeError, ValueError):
        return f"{amount} {currency or ''}".strip()
    figure = f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
    return f"{figure} {currency or ''}".strip()


def ai_review(rounds: int, left: int) -> str:
    """What the AI reviewer did to a draft: 'checked once by the AI reviewer; nothing left to
    fix', 'checked 3 times by the AI reviewer; 1 point left for you to check'."""
    said = "checked once" if rounds == 1 else f"checked {rounds} times"
    rest = "nothing left to fix" if left == 0 else f"{count(left, 'point')} left for you to check"
    return f"{said} by the AI reviewer; {rest}"
