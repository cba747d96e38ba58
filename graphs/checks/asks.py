"""Asks a reader cannot follow: "Call us today" where no phone number is given anywhere, "Click
the link below" in a campaign that has no link.

A small model ends copy the way most marketing ends, whatever the campaign gives the reader to act
on; the reader of such an email has no number to call and no link to click. The campaign's own
words (the brief, the brand, the knowledge passages) say what the reader can do; an ask for
anything else is named, with what to ask instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# "Call us today", "give us a call", "phone our team", "ring us now"
PHONE_ASK = re.compile(
    r"\b(?:call|phone|ring)\s+(?:us|our\s+(?:team|store|shop|office|experts?))\b"
    r"|\bgive\s+us\s+a\s+(?:call|ring)\b",
    re.IGNORECASE,
)
# A telephone number: at least 7 digits, perhaps spaced or punctuated, perhaps with a country code.
PHONE_NUMBER = re.compile(r"(?<![\w.])\+?\(?\d[\d\s().-]{5,}\d(?![\w.])")
# "Click the link below", "follow the link", "tap the link", "the link below"
LINK_ASK = re.compile(
    r"\b(?:click|tap|follow|use|open|visit)\s+(?:on\s+)?(?:the|this|our)\s+link\b"
    r"|\b(?:the\s+)?link\s+below\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Ask:
    sentence: str  # the words that ask, as written
    missing: str  # what the campaign does not give: "phone number" | "link"


def _has_phone(texts: Iterable[str]) -> bool:
    for text in texts:
        for match in PHONE_NUMBER.finditer(text):
            if sum(c.isdigit() for c in match.group(0)) >= 7:
                return True
    return False


def unfollowable(copy: str, campaign: Iterable[str], link: str) -> list[Ask]:
    """The asks in `copy` that nothing in the campaign lets a reader follow. `campaign` is every
    text the campaign gives (brief, brand, passages); `link` is the brief's link ("" for none).
    A phone number written in the copy itself counts only if the campaign gives it too (a number
    the model made up is the fact checker's to flag, not a way to call)."""
    found: list[Ask] = []
    if (match := PHONE_ASK.search(copy)) and not _has_phone(campaign):
        found.append(Ask(match.group(0), "phone number"))
    if not link.strip() and (match := LINK_ASK.search(copy)):
        found.append(Ask(match.group(0), "link"))
    return found
