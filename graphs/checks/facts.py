"""Stand-in for issue-10b's sentence-by-sentence fact checker (same interface); replaced by
theirs on merge. Figures only: prices, percentages, numbers and codes."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

_FACT = re.compile(r"[€$£]\s?\d[\d,.]*|\d[\d,.]*\s?%|\b[A-Z]{2,}\d+[A-Z0-9]*\b|\b\d[\d,.]*\b")


@dataclass
class SentenceCheck:
    sentence: str
    status: str  # supported | unsupported | no_facts | attributed
    facts: list[str] = field(default_factory=list)
    passage_id: str | None = None
    source: str | None = None
    differs: str | None = None


def _norm(token: str) -> str:
    return re.sub(r"\s", "", token).rstrip(".,")


def check_text(
    text: str, passages: Sequence[Mapping[str, Any]], *, product: str | None = None
) -> list[SentenceCheck]:
    out = []
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text.strip()):
        sentence = sentence.strip()
        if not sentence:
            continue
        facts = [_norm(t) for t in _FACT.findall(sentence) if _norm(t)]
        if not facts:
            out.append(SentenceCheck(sentence, "no_facts"))
            continue
        best = None
        for p in passages:
            haystack = re.sub(r"\s", "", str(p.get("text", "")))
            if all(f in haystack for f in facts):
                best = p
                break
        if best is not None:
            out.append(
                SentenceCheck(sentence, "supported", facts, str(best["id"]), best.get("source"))
            )
        else:
            out.append(SentenceCheck(sentence, "unsupported", facts))
    return out
