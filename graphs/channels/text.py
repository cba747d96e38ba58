"""Cleaning what a small model writes: greetings and sign-offs it adds anyway, loose spacing."""

from __future__ import annotations

import re

_GREETING = re.compile(r"^\s*(dear|hi|hello|hey|greetings)\b[^\n.!?]{0,60}[,!:]?\s*\n*", re.I)
_SIGNOFF = re.compile(
    r"\n\s*(best|kind regards|warm regards|regards|sincerely|thanks|thank you|cheers|"
    r"all the best|yours|warmly)\b[^\n]{0,40}$.*",
    re.I | re.S | re.M,
)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s.strip()]


def clean(text: str) -> str:
    """The model's copy without a greeting or sign-off it wrote anyway, and with tidy spacing.

    Repeated sentences are dropped (the second time something is said, it goes).
    """
    text = text.replace("\r\n", "\n").strip()
    text = _GREETING.sub("", text, count=1)
    text = _SIGNOFF.sub("", text).strip()
    seen: set[str] = set()
    paragraphs = []
    for para in re.split(r"\n\s*\n", text):
        kept = []
        for sentence in sentences(" ".join(para.split())):
            key = re.sub(r"\W+", " ", sentence.lower()).strip()
            if key and key in seen:
                continue
            seen.add(key)
            kept.append(sentence)
        if kept:
            paragraphs.append(" ".join(kept))
    return "\n\n".join(paragraphs)
