"""Writing the campaign does not use: Chinese characters in an English subject, Cyrillic letters
in an English post.

    foreign = foreign_scripts(draft_text, [brief_text, *passages])  # {"Chinese characters": ["智能"]}

A small model sometimes slips into another script mid-sentence. A letter's script is read from
its Unicode name ("CJK UNIFIED IDEOGRAPH-667A", "CYRILLIC SMALL LETTER A"); a script counts as
the campaign's when the brief, the brand or the knowledge base uses it. Latin letters with
accents (é, ü, ø) are Latin; symbols and digits (€, £, °, µ) are no script at all.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

# Unicode name prefixes of the scripts a campaign may slip into, in a marketer's words.
SCRIPTS = {
    "CJK": "Chinese characters",
    "HIRAGANA": "Japanese characters",
    "KATAKANA": "Japanese characters",
    "HANGUL": "Korean characters",
    "CYRILLIC": "Cyrillic letters",
    "GREEK": "Greek letters",
    "ARABIC": "Arabic script",
    "HEBREW": "Hebrew script",
    "DEVANAGARI": "Devanagari (Hindi) script",
    "BENGALI": "Bengali script",
    "TAMIL": "Tamil script",
    "TELUGU": "Telugu script",
    "THAI": "Thai script",
    "ARMENIAN": "Armenian letters",
    "GEORGIAN": "Georgian letters",
    "ETHIOPIC": "Ethiopic script",
}
LATIN = "Latin letters"
_NAMES = sorted(SCRIPTS, key=len, reverse=True)
SHOWN = 3  # samples of each script named in a reason


@lru_cache(maxsize=8192)
def script_of(ch: str) -> str | None:
    """The script of one character in a marketer's words; None for digits, symbols and marks
    (and for letters of scripts not listed, which are left alone)."""
    if not ch.isalpha():
        return None
    if ch.isascii():
        return LATIN
    name = unicodedata.name(ch, "")
    if name.startswith(("LATIN", "FULLWIDTH LATIN")):
        return LATIN
    for prefix in _NAMES:
        if name.startswith(prefix):
            return SCRIPTS[prefix]
    return None


@lru_cache(maxsize=1024)
def scripts_in(text: str) -> frozenset[str]:
    """The scripts a text writes in (passages are read once per process)."""
    return frozenset(s for s in map(script_of, set(text)) if s)


def foreign_scripts(
    text: str, campaign: Iterable[str], names: Iterable[str] = ()
) -> dict[str, list[str]]:
    """The scripts of `text` that none of the `campaign` texts (brief, brand, knowledge) use,
    each with up to `SHOWN` of the words that use it, as written ("智能家居"). `names`: texts
    whose words are fine as written, whatever their script (a contact greeted by name)."""
    used = {LATIN}  # always: names, codes and links are written in Latin letters anyway
    for known in campaign:
        used |= scripts_in(known)
    own = {w for name in names for w in re.findall(r"[^\W\d_]+", name)}
    out: dict[str, list[str]] = {}
    for word in re.findall(r"[^\W\d_]+", text):
        if word in own:
            continue
        for kind in {s for s in map(script_of, word) if s} - used:
            seen = out.setdefault(kind, [])
            if word not in seen and len(seen) < SHOWN:
                seen.append(word)
    return out
