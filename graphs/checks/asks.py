"""Asks a reader cannot follow: "Call us today" where no phone number is given anywhere, "Click
the link below" in a campaign that has no link.

A small model ends copy the way most marketing ends, whatever the campaign gives the reader to act
on; the reader of such an email has no number to call and no link to click. The campaign's own
words (the brief, the brand, the knowledge passages) say what the reader can do; an ask for
anything else is named, with what to ask instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphs.checks.sentences import split_sentences

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

KEEP_FIELDS = frozenset({"to", "sender", "from", "slug", "link", "url"})  # never edited here


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


def campaign_texts(
    brief: Mapping[str, Any], brand: Mapping[str, Any], passages: Sequence[Mapping[str, Any]]
) -> list[str]:
    """Every text the campaign gives: the brief's, the brand's and the knowledge passages'."""
    return [
        *(str(v) for v in brief.values() if isinstance(v, str)),
        *(str(v) for v in brand.values() if isinstance(v, str)),
        *(str(p.get("text") or p.get("quote") or "") for p in passages),
    ]


def asks_in(
    copy: str,
    brief: Mapping[str, Any],
    brand: Mapping[str, Any],
    passages: Sequence[Mapping[str, Any]],
) -> list[Ask]:
    """`unfollowable` for one draft of a campaign."""
    link = str(brief.get("link") or "").strip()
    return unfollowable(copy, campaign_texts(brief, brand, passages), link)


def without(args: Mapping[str, Any], asks: Sequence[Ask]) -> dict[str, Any]:
    """`args` with each sentence that carries one of `asks` taken out of its text fields. The
    small model keeps "Call us today" through every round of feedback, so the writer takes it
    out, as it adds an offer the model left out; the link or the reply is the ask that stays."""
    return replace_sentences(
        args,
        lambda sentence: (
            "" if any(ask.sentence.lower() in sentence.lower() for ask in asks) else None
        ),
    )


def replace_sentences(
    args: Mapping[str, Any], replacement: Callable[[str], str | None]
) -> dict[str, Any]:
    """`args` with each sentence of its text fields (never an address, slug or link) replaced by
    `replacement(sentence)`: None keeps it, "" takes it out with the spaces after it."""
    out = dict(args)
    for key, value in args.items():
        if not isinstance(value, str) or key in KEEP_FIELDS:
            continue
        for sentence in split_sentences(value):
            new = replacement(sentence)
            if new is None:
                continue
            found = re.search(re.escape(sentence) + ("" if new else r"[ \t]*"), value)
            if found:
                value = value[: found.start()] + new + value[found.end() :]
        out[key] = re.sub(r"[ \t]+(\n|$)", r"\1", value)
    return out


# A sentence about the drafting, not the product: the redraft prompt's own words ("A reviewer
# sent your previous draft back") that the 0.5B copied into a send-back's redraft ("Lena,
# Munich's reviewer sent the previous draft back. They asked if they should quote Lena…").
PROMPT_TALK = re.compile(
    r"\breviewer(?:'s|s)?\b|\bprevious draft\b|\bdraft back\b"
    r"|\bsent (?:it|(?:the|your|this)(?: \w+)? (?:draft|text|post|email)) back\b"
    r"|\bthey asked (?:if|whether) (?:they|we)\b",
    re.IGNORECASE,
)


def prompt_talk(copy: str) -> list[Ask]:
    """The sentences of `copy` that talk about the drafting (`PROMPT_TALK`), as `Ask`s for
    `without` (their `missing`: "the product")."""
    return [
        Ask(sentence, "the product")
        for sentence in split_sentences(copy)
        if PROMPT_TALK.search(sentence)
    ]


def invented_phones(checks: Iterable[Any]) -> list[Ask]:
    """The sentences whose sentence check found a phone number in no passage, brief or brand
    setting (graphs/checks/facts.py: "gives the phone number …"), as `Ask`s for `without`: the
    0.5B wrote "please contact us at 123-456-7890" into the demo email and kept it through every
    round; a made-up number in a public email reaches a stranger."""
    return [
        Ask(c.sentence, "phone number")
        for c in checks
        if c.status == "unsupported" and str(c.differs or "").startswith("gives the phone number")
    ]
