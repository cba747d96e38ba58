"""The AI review of a draft: every check that can be made on the text that would go out.

Each failed check is a `Problem` with two wordings: `reason` for the person who reviews the
draft, `feedback` for the writer (specific: the sentence, the figure, the word, the length). The
facts are checked sentence by sentence against all of the product's passages
(`graphs.checks.facts.check_text`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from graphs.channels.base import Channel
from graphs.channels.text import sentences
from graphs.checks.asks import asks_in, campaign_texts, prompt_talk
from graphs.checks.scripts import foreign_scripts

log = logging.getLogger(__name__)

BRACKETS = re.compile(r"\[[^\]\d][^\]]{0,40}\]|\{[^}]{0,40}\}")
NAMED_BLANK = re.compile(
    r"\b(your|customer'?s?|company|recipient'?s?|first|contact|insert|sender'?s?)\s+"
    r"(name|company|address|phone( number)?|website( url)?|email|url|link|title)\b",
    re.IGNORECASE,
)
_NEVER = re.compile(
    r"\b(?:never|don'?t|do not|avoid)\s+(?:say|use|write|mention)?\s*[\"“'‘]([^\"”'’]{2,60})[\"”'’]",
    re.IGNORECASE,
)
_OFFER_TOKEN = re.compile(
    r"[€$£]\s?\d(?:[\d,.]*\d)?|\d(?:[\d,.]*\d)?\s?%|\b[A-Z]{2,}\d+[A-Z0-9]*\b|"
    r"\b[A-Z][A-Z0-9]{3,}\b|\b\d(?:[\d,.]*\d)?\b"
)


# What a reader can always do instead of an ask the campaign gives no means for (graphs/checks/asks.py)
ASK_INSTEAD = {"send_email": "reply to this email"}

# The fewest words a channel's copy may have (a landing page: graphs/checks/drafts.py PAGE_WORDS).
MIN_WORDS = {"publish_page": 100}


@dataclass(frozen=True)
class Problem:
    kind: str  # fact | placeholder | length | avoid | offer | link | ask | prompt | repeat | script | channel
    reason: str  # for the reviewer
    feedback: str  # for the writer

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def avoided_words(brand: Mapping[str, Any]) -> list[str]:
    """The brand's words to avoid, and those its rules forbid ("never say 'not perfect'")."""
    words = [str(w) for w in brand.get("avoid", [])]
    for rule in brand.get("rules", []):
        text = rule if isinstance(rule, str) else str(rule.get("text", ""))
        words += _NEVER.findall(text)
    return list(dict.fromkeys(w.strip() for w in words if w.strip()))


def _has(text: str, phrase: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(phrase.lower()) + r"(?!\w)", text.lower()) is not None


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _as_feedback(differs: str) -> str:
    """The checker's words ("says €79; the fact sheet says €59") addressed to the writer."""
    text = differs.replace("the fact sheet says", "the facts give").replace(
        "the fact sheet", "the facts"
    )
    if text.startswith(("says ", "names ", "quotes ", "restates ", "mixes ", "gives ")):
        return "it " + text
    return text


def offer_tokens(offer: str) -> list[str]:
    """What an offer must keep word for word: its prices, percentages and codes (plain numbers
    such as a date's day only when it has none of those)."""
    found = list(dict.fromkeys(t.strip() for t in _OFFER_TOKEN.findall(offer)))
    key = [t for t in found if not re.fullmatch(r"[\d,.]+", t)]
    return key or found


def fact_checks(
    text: str,
    passages: Sequence[Mapping[str, Any]],
    brief: Mapping[str, Any],
    brand: Mapping[str, Any],
) -> list[Any]:
    """The sentence checks of `text` (graphs.checks.facts): against all of the product's
    passages, with the brief and the brand settings as known texts (the offer, the signature)."""
    from graphs.checks.facts import check_text, known_from

    product = str(brief.get("product") or "") or None
    return list(check_text(text, passages, product=product, known=known_from(brief, brand)))


def review(
    channel: Channel,
    args: Mapping[str, Any],
    brief: Mapping[str, Any],
    brand: Mapping[str, Any],
    passages: Sequence[Mapping[str, Any]],
) -> tuple[list[Problem], list[Any]]:
    """The problems of one assembled draft, and its sentence checks."""
    problems: list[Problem] = []
    copy = channel.copy(args)
    if not copy:
        return problems, []
    checks = fact_checks(copy, passages, brief, brand)
    for check in checks:
        if check.status != "unsupported":
            continue
        said = _short(check.sentence)
        if check.differs:
            problems.append(
                Problem(
                    "fact",
                    f"Not in the facts: “{said}” ({check.differs})",
                    f"Drop the sentence “{said}” or correct it: {_as_feedback(check.differs)}.",
                )
            )
        else:
            facts = ", ".join(check.facts) or "a fact"
            problems.append(
                Problem(
                    "fact",
                    f"Not in the facts: “{said}” ({facts} is not in any passage about "
                    f"{brief.get('product')})",
                    f"The sentence “{said}” states {facts}, which the facts do not give. Drop it "
                    "or use only facts from the list.",
                )
            )
    blanks = sorted(set(BRACKETS.findall(copy)) | {m.group(0) for m in NAMED_BLANK.finditer(copy)})
    if blanks:
        problems.append(
            Problem(
                "placeholder",
                f"Placeholders left in the text: {', '.join(blanks)}",
                f"Remove {', '.join(repr(b) for b in blanks)}: write the words themselves; the "
                "greeting and signature are added for you.",
            )
        )
    least = MIN_WORDS.get(channel.action)
    words = len(copy.split("\n\n", 1)[-1].split())  # under the title or subject
    if least and words < least:
        problems.append(
            Problem(
                "length",
                f"Too short: {words} words, a {channel.label} needs at least {least}",
                f"The text has {words} words; write at least {least + 20}: give every section "
                "three or four full sentences.",
            )
        )
    limit = channel.limit()
    if limit is not None and len(copy) > limit:
        problems.append(
            Problem(
                "length",
                f"Too long: {len(copy)} characters, the limit is {limit}",
                f"The text is {len(copy)} characters; write at most {channel.model_limit(brief)}.",
            )
        )
    avoided = [w for w in avoided_words(brand) if _has(copy, w)]
    if avoided:
        problems.append(
            Problem(
                "avoid",
                f"Uses words the brand avoids: {', '.join(avoided)}",
                f"Do not use {', '.join(repr(w) for w in avoided)}; say it another way.",
            )
        )
    offer = str(brief.get("offer") or "").strip()
    if offer:
        missing = [t for t in offer_tokens(offer) if t not in copy]
        if missing or (not offer_tokens(offer) and not _has(copy, offer)):
            problems.append(
                Problem(
                    "offer",
                    f"The offer is missing: {offer}",
                    f"Mention the offer exactly: {offer}.",
                )
            )
    link = str(brief.get("link") or "").strip()
    if link and link not in " ".join(str(v) for v in args.values()):
        problems.append(
            Problem("link", f"The link {link} is missing", f"Keep the link {link} in the text.")
        )
    for ask in asks_in(copy, brief, brand, passages):
        instead = f"visit {link}" if link else ASK_INSTEAD.get(channel.action, "leave the ask out")
        problems.append(
            Problem(
                "ask",
                f"Asks readers to “{ask.sentence}”, but the campaign gives no {ask.missing}: "
                "they cannot do it",
                f"Do not write “{ask.sentence}”: readers have no {ask.missing} to use. End with "
                f"something they can do: {instead}.",
            )
        )
    for talk in prompt_talk(copy):
        problems.append(
            Problem(
                "prompt",
                f"Talks about the drafting, not the product: “{_short(talk.sentence)}”",
                f"Leave out “{_short(talk.sentence)}”: readers never see the review or the "
                "previous draft.",
            )
        )
    problems += channel.checks(args, brief)
    for sentence, times in repeated_sentences(copy)[:MAX_REPEATS_SHOWN]:
        said = "twice" if times == 2 else f"{times} times"
        problems.append(
            Problem(
                "repeat",
                f"Says the same sentence {said}: “{_short(sentence)}”",
                f"You wrote “{_short(sentence)}” {said}; say each thing once.",
            )
        )
    for script, written in foreign_scripts(copy, campaign_texts(brief, brand, passages)).items():
        shown = ", ".join(f"“{w}”" for w in written)
        problems.append(
            Problem(
                "script",
                f"Written partly in {script} ({shown}), which neither the brief nor the facts "
                "use: check the wording before it goes out",
                f"Write only in the language of the brief and the facts: replace {shown}.",
            )
        )
    return problems, checks


MAX_REPEATS_SHOWN = 3  # repeated sentences named, each once with how often it is said


def repeated_sentences(copy: str) -> list[tuple[str, int]]:
    """The sentences said more than once in one draft (case, spacing and punctuation aside),
    each with how often, in the order they first come. Headings are not sentences; nor is a
    subject or title (the first line, when it ends without a full stop) that the text repeats."""
    lines = [line.strip() for line in copy.splitlines() if line.strip()]
    if len(lines) > 1 and "\n" in copy.strip() and not re.search(r"[.!?]$", lines[0]):
        lines = lines[1:]
    counts: dict[str, int] = {}
    first: dict[str, str] = {}
    for line in lines:
        if line.startswith("#"):
            continue
        for sentence in sentences(line):
            key = re.sub(r"\W+", " ", sentence.lower()).strip()
            if len(key) <= 12 or len(key.split()) < 3:
                continue
            counts[key] = counts.get(key, 0) + 1
            first.setdefault(key, sentence.strip())
    return [(first[k], n) for k, n in counts.items() if n > 1]


_QUOTED = r"[\"“'‘]([^\"”'’]{2,60})[\"”'’]"
_DROP = re.compile(
    r"\b(?:drop|remove|delete|cut|never say|don'?t say|do not say|don'?t use|do not use|avoid|"
    r"without|no more)\s+(?:the\s+(?:word|words|phrase)\s+)?" + _QUOTED,
    re.IGNORECASE,
)
_ADD = re.compile(
    r"\b(?:mention|add|include|say|use)\s+(?:the\s+(?:word|words|phrase)\s+)?" + _QUOTED,
    re.IGNORECASE,
)
_ADD_PLAIN = re.compile(
    r"\b(?:mention|include|add)\s+(?:the\s+|our\s+|a\s+|an\s+)?([^\s\"“'‘.,;!?]+(?:\s+[^\s\"“'‘.,;!?]+){0,2})",
    re.IGNORECASE,
)
_UNDER = re.compile(
    r"\b(?:under|at most|max(?:imum)?|no more than)\s+(\d{2,4})\s*(characters|chars|words)", re.I
)
_FIGURE = re.compile(r"[€$£]\s?\d[\d,.]*|\d[\d,.]*\s?%|\b[A-Z]{2,}\d+[A-Z0-9]*\b")


def feedback_left(
    channel: Channel,
    args: Mapping[str, Any],
    feedback: Sequence[str],
    previous: Mapping[str, Any] | None = None,
) -> list[str]:
    """What the latest send-back asked that the redraft still does not do (what can be checked:
    a word to drop, a word or figure to add, a customer's quote or a name, a length, "shorter")."""
    if not feedback or not channel.drafted:
        return []
    note = feedback[-1]
    copy = channel.copy(args)
    left = []
    dropped = _DROP.findall(note)
    for word in dropped:
        if _has(copy, word):
            left.append(f"The send-back asked to drop “{word}”; the redraft still says it.")
    from graphs.feedback_asks import asks_left, covers  # a quote, a name, a number (wr)

    asked = [w for w in [*_ADD.findall(note), *_ADD_PLAIN.findall(note)] if w not in dropped]
    for word in dict.fromkeys(w for w in asked if not covers(w, note)):
        if not _has(copy, word):
            left.append(f"The send-back asked for “{word}”; the redraft does not say it.")
    figures = _FIGURE.findall(note)
    for figure in figures:
        if figure not in copy and not _DROP.search(note):
            left.append(f"The send-back named {figure}; the redraft does not say it.")
    left += [a for a in asks_left(note, copy) if not any(f in a for f in figures)]
    for number, unit in _UNDER.findall(note):
        size = len(copy.split()) if unit.lower().startswith("word") else len(copy)
        if size > int(number):
            left.append(f"The send-back asked for at most {number} {unit}; the redraft has {size}.")
    if re.search(r"\bshorter\b", note, re.I) and previous is not None:
        before = len(channel.copy(previous))
        if len(copy) >= before:
            left.append(
                f"The send-back asked for a shorter text; the redraft has {len(copy)} characters, "
                f"the previous draft {before}."
            )
    return left
