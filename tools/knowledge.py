"""Folder search without a database: the original knowledge-base search, kept for old callers.

The app's knowledge base is `tools.kb.KnowledgeBase` (SQLite FTS5, Markdown/text/HTML/PDF, web
pages, injection flags); the researcher uses that. This module still serves `search(query, k)`
over a folder of Markdown/text files (`SIGNOFF_KB`, default the sample brand kit) for code that
needs no database, e.g. `bench/bench_p1.py`'s bare-LangGraph baseline.

Files are split into passages at headings and blank lines; each passage keeps its source file
and heading. Search is keyword scoring (term frequency weighted by rarity) — small and exact.
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SAMPLE_KB = Path(__file__).with_name("brand_kit")
_WORD = re.compile(r"[a-z0-9$%][a-z0-9$%.,']*[a-z0-9%]|[a-z0-9]")
_STOP = frozenset(
    "a an and are as at be by for from has have in is it its of on or our that the their this to "
    "with we you your who what will can not no".split()
)


@dataclass(frozen=True)
class Passage:
    source: str
    location: str
    text: str


def kb_path() -> Path:
    return Path(os.environ.get("SIGNOFF_KB", SAMPLE_KB)).expanduser()


def load_passages(root: Path | None = None) -> list[Passage]:
    root = root or kb_path()
    if not root.is_dir():
        raise FileNotFoundError(
            f"Knowledge base folder {root} does not exist; expected a folder of .md or .txt files. "
            "Set SIGNOFF_KB to such a folder or unset it to use the sample brand kit."
        )
    passages: list[Passage] = []
    for path in sorted(root.glob("*")):
        if path.suffix.lower() not in (".md", ".txt"):
            continue
        heading = path.stem
        for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
            block = block.strip()
            if not block:
                continue
            if block.startswith("#"):
                first, _, rest = block.partition("\n")
                heading = first.lstrip("#").strip()
                block = rest.strip()
                if not block:
                    continue
            passages.append(Passage(source=path.name, location=heading, text=block))
    return passages


def terms(text: str) -> list[str]:
    return [w.strip(".,'") for w in _WORD.findall(text.lower()) if w.strip(".,'") not in _STOP]


def search(query: str, k: int = 6, root: Path | None = None) -> list[Passage]:
    """The k passages that best match the query's words, best first."""
    passages = load_passages(root)
    docs = [Counter(terms(p.location + " " + p.text)) for p in passages]
    n = len(docs)
    df: Counter[str] = Counter()
    for doc in docs:
        df.update(doc.keys())
    wanted = set(terms(query))
    scored = []
    for passage, doc in zip(passages, docs, strict=True):
        score = sum((1 + math.log(doc[t])) * math.log(1 + n / df[t]) for t in wanted if doc.get(t))
        if score > 0:
            scored.append((score, passage))
    scored.sort(key=lambda item: -item[0])
    log.debug("query %r matched %d of %d passages", query, len(scored), n)
    return [p for _, p in scored[:k]]
