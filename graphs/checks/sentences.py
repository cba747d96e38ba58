"""The text a fact check reads: a draft's outgoing text (subject or title, then body; the
brand's footer left out), citation marks stripped, split into sentences in plain form; and the
known texts (brief, brand settings) whose facts a draft may use besides the passages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# -- text preparation ----------------------------------------------------------------------------
CITATION = re.compile(r"\s*\[(?:E?\d+(?:\s*(?:,|;|-|–|and)\s*E?\d+)*)\]")
_URL = re.compile(r"\bhttps?://\S+|\bwww\.\S+|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b", re.IGNORECASE)
_MD_LINK = re.compile(r"\[([^\]]+)\]\((?:[^)]+)\)")
# the closing quote or bracket stays with its sentence (a quote cut open is no quote: wr)
_SENTENCE_END = re.compile(
    r"(?:(?<=[.!?…])|(?<=[.!?…][\"'”’)\]])|(?<=[.!?…][\"'”’)\]]{2}))\s+"
    r"(?=[\"'“‘(\[]?[A-Z0-9€$£#])"
)
_BULLET = re.compile(r"^\s*(?:#{1,6}\s+|[-*+•]\s+|\d{1,2}[.)]\s+|>\s*)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")
_GREETING = re.compile(
    r"^(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|thanks|thank you|many thanks|"
    r"best|best wishes|kind regards|regards|warm regards|warmly|cheers|sincerely|yours|"
    r"see you soon|talk soon|with love|all the best)\b",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(r"^(?:[-—–]+\s*)?(?:the\s+)?[\w&.' -]{1,40}\s+team\.?$", re.IGNORECASE)


def strip_citations(text: str) -> str:
    """The text as it goes out: citation marks such as `[1]`, `[2, 3]` or `[E1]` removed."""
    return CITATION.sub("", text)


def split_sentences(text: str) -> list[str]:
    """Sentences of a draft: each line (heading, bullet, paragraph) split at sentence ends."""
    out: list[str] = []
    for line in strip_citations(text).splitlines():
        line = line.strip()
        if not line or set(line) <= set("-*_=#> "):
            continue
        out += [s.strip() for s in _SENTENCE_END.split(line) if s.strip()]
    return out


def _plain(sentence: str) -> tuple[str, bool]:
    """The sentence without Markdown and links (for reading facts); and whether it is a heading."""
    heading = sentence.lstrip().startswith("#")
    # Each pattern is tried only when the text has what every match of it needs (a link's
    # "](", an emphasis mark, a URL's "://" or "www." or an address's "@"): most sentences
    # have none, and the address pattern is slow to fail.
    text = _MD_LINK.sub(r"\1", sentence) if "](" in sentence else sentence
    text = _BULLET.sub("", text)
    if "*" in text or "_" in text or "`" in text:
        text = _EMPHASIS.sub(r"\2", text)
    if "@" in text or "://" in text or "www." in text.lower():
        text = _URL.sub(" ", text)
    return " ".join(text.split()), heading


# -- a draft's arguments -------------------------------------------------------------------------
SIGNATURE_LINE = re.compile(r"\n--[ \t]*\n")


def outgoing(args: Mapping[str, Any]) -> str:
    """The text of an action that goes out: subject or title, then body or text (or an ad's
    description), citation marks removed."""
    head = str(args.get("subject") or args.get("title") or "")
    body = str(args.get("body") or args.get("text") or args.get("description") or "")
    # an email's footer (sender, postal address, unsubscribe) below the "--" line is assembled
    # from the brand's settings, never written by the model: not a claim to check
    body = SIGNATURE_LINE.split(body, maxsplit=1)[0]
    return strip_citations(f"{head}\n\n{body}".strip() if head else body)


def known_from(brief: Mapping[str, Any], brand: Mapping[str, Any] | None = None) -> list[str]:
    """The texts besides the passages whose facts a draft may use: the brief's fields (offer,
    link, budget...) and the brand's settings (sender, signature, postal address, footer)."""
    texts = [str(v) for k, v in brief.items() if k not in ("channels", "engage", "to")]
    for key, value in (brand or {}).items():
        if key in ("avoid", "rules", "products"):
            continue
        texts.append(str(value))
    return texts
