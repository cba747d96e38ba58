"""The screen's labels and small helpers shared by its parts."""

from __future__ import annotations

INSTRUCTIONS = "contains instructions"
HIDDEN = "hidden text"
INVISIBLE = "invisible characters"
DISGUISED = "look-alike letters"
LABELS = (INSTRUCTIONS, HIDDEN, INVISIBLE, DISGUISED)

MAX_REASONS = 6
SNIPPET = 70


def _clip(text: str, width: int = SNIPPET) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
