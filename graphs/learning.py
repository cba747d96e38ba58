"""Learning from edits: a person's edits and send-backs become brand rules the next drafts follow.

The rules are plain sentences on the Brand page (graphs/brand.py), where the marketer sees,
edits and deletes them. From a send-back, a note that reads as a rule ("never say 'not
perfect'", "sign as The Northpeak team", "always mention the warranty") is kept as written. From
an edit, a short phrase the person cut out becomes "Never say '…'", and a signature they changed
becomes "Sign emails as '…'".
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

_RULE_LIKE = re.compile(
    r"^\s*(never|always|don'?t|do not|avoid|sign (as|off|with)|call (it|us|the)|use|no more|"
    r"stop)\b",
    re.IGNORECASE,
)
MAX_PHRASE_WORDS = 5
MAX_FROM_EDIT = 3


def rules_from_feedback(feedback: str) -> list[str]:
    """A send-back note that reads as a rule, as written (one rule per sentence)."""
    out = []
    for sentence in re.split(r"(?<=[.!?;])\s+|\n+", feedback.strip()):
        sentence = sentence.strip().rstrip(".;")
        if sentence and _RULE_LIKE.match(sentence) and len(sentence) <= 200:
            out.append(sentence[0].upper() + sentence[1:])
    return out


_TOKEN = re.compile(r"[\w'’-]+|[^\w\s]")


def _tokens(text: str) -> list[re.Match[str]]:
    """Words and punctuation marks apart: cutting "Look no further." after "a game-changer!"
    deletes the words "Look no further", not "game-changer! Look no further"."""
    return list(_TOKEN.finditer(text))


def rules_from_edit(
    before: Mapping[str, Any], after: Mapping[str, Any], signature: str = ""
) -> list[str]:
    """Short phrases the person cut from the copy, and a changed signature."""
    rules: list[str] = []
    for key in ("body", "text", "subject", "title"):
        old, new = str(before.get(key, "")), str(after.get(key, ""))
        if not old or old == new:
            continue
        if signature and key == "body" and signature in old and signature not in new:
            tail = [line.strip() for line in new.split("\n--\n")[0].splitlines() if line.strip()]
            if tail and len(tail[-1]) <= 60:
                rules.append(f"Sign emails as '{tail[-1]}'")
        a, b = _tokens(old), _tokens(new)
        matcher = difflib.SequenceMatcher(
            a=[m.group(0) for m in a], b=[m.group(0) for m in b], autojunk=False
        )
        for op, i1, i2, _j1, _j2 in matcher.get_opcodes():
            words = [m for m in a[i1:i2] if re.match(r"[\w'’-]", m.group(0))]
            if op in ("delete", "replace") and 0 < len(words) <= MAX_PHRASE_WORDS:
                phrase = old[words[0].start() : words[-1].end()].strip(" ,.;:!?\"'")
                if len(phrase) >= 4 and not re.fullmatch(r"[\d\W]+", phrase) and "\n" not in phrase:
                    rules.append(f"Never say '{phrase}'")
    return list(dict.fromkeys(rules))[:MAX_FROM_EDIT]


def learn(
    home: Any, brief: Mapping[str, Any], before: Mapping[str, Any], decision: Mapping[str, Any]
) -> list[str]:
    """Add the rules a decision teaches to the campaign's brand; returns the rules added."""
    from graphs.brand import BrandBook

    book = BrandBook(home)
    brand = book.for_brief(brief)
    if decision.get("type") == "revise":
        rules = rules_from_feedback(str(decision.get("feedback", "")))
        origin = "send back"
    elif decision.get("type") == "edit":
        rules = rules_from_edit(before, decision.get("args") or {}, brand.signature)
        origin = "edit"
    else:
        return []
    if not rules:
        return []
    if brand.name not in {b.name for b in book.all()}:
        book.save(brand)  # a brand made up for the product: keep it, with its rules
    for rule in rules:
        book.add_rule(brand.name, rule, origin=origin)
    return rules
