"""What a send-back asks for by name: a customer's quote, a name, a number; and whether the
redraft has it (for `graphs.checks.draft.feedback_left`).

    asks_left("Quote Tom from Denver by name", redraft_copy)
    # ['The send-back asked to quote Tom (from Denver) in their own words, in quotation marks;
    #   the redraft does not name Tom.']

- a quote: "Quote Tom from Denver", "use Tom's quote", "add a quote from Maria", "quote a
  customer", "add a testimonial": the redraft must have a quotation (words in quotation marks)
  and, when a speaker is named, their name;
- a name: "name Tom", "mention Tom by name", "say who said it" (with a name), "credit Priya":
  the redraft must say the name;
- a number: "mention the 4.7 rating", "say 3,400 reviews", "use $212": the redraft must state
  that figure (in any of its written forms: "3,400" / "3400", "$212" / "212 dollars"), unless the
  send-back asks to drop it ("drop the 4.7"), or it is a limit ("under 200 characters").

Every wording is a marketer's: the send-back's own words are quoted back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from graphs.quotes import quotations

_NAME = r"[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,2}"
_QUOTE_OF = re.compile(
    r"\b(?i:quote|cite)\s+(?P<who>" + _NAME + r")(?:'s|’s)?"
    r"(?:\s+(?:from|in|of)\s+(?P<place>" + _NAME + r"))?",
)
_QUOTE_FROM = re.compile(
    r"\b(?P<who>" + _NAME + r")(?:'s|’s)\s+(?i:quote|testimonial|review|words)\b"
    r"|\b(?i:quote|testimonial|review|words)\s+(?:from|of|by)\s+(?P<who2>" + _NAME + r")"
    r"(?:\s+(?:from|in|of)\s+(?P<place>" + _NAME + r"))?",
)
_QUOTE_ANY = re.compile(
    r"\b(?:quote|cite)\s+(?:a|one|the|our|some)\s+(?:customer|client|reviewer|user|buyer)s?\b"
    r"|\b(?:add|include|use|with|give)\s+(?:a|one|the|our|some|their)\s+"
    r"(?:customer\s+|client\s+)?(?:quote|quotation|testimonial)s?\b",
    re.IGNORECASE,
)
_NAME_ASK = re.compile(
    r"\b(?i:name|credit)\s+(?P<who>" + _NAME + r")"
    r"|\b(?P<who2>" + _NAME + r")(?:\s+(?:from|in|of)\s+" + _NAME + r")?"
    r"\s+by\s+(?:name|their name|his name|her name)\b",
)
_NUMBER = re.compile(r"(?<![\w.,])[€$£]?\d[\d,.]*\d?%?(?![\w])")
_LIMIT_AFTER = re.compile(
    r"^\s*(?:characters?|chars?|words?|sentences?|lines?|paragraphs?|hashtags?|emojis?|"
    r"times|rounds?|bullets?|points?|items?|sections?)\b",
    re.IGNORECASE,
)
_LIMIT_BEFORE = re.compile(
    r"\b(?:under|below|at most|max(?:imum)?|no more than|fewer than|less than|up to|within|"
    r"at least|over|above|more than)\s*$",
    re.IGNORECASE,
)
_ADD_VERB = re.compile(
    r"\b(?:mention|add|include|say|use|state|give|quote|cite|put|show|keep|write|name)\b", re.I
)
_DROP_VERB = re.compile(
    r"\b(?:drop|remove|delete|cut|never|don'?t|do not|without|no longer|not|avoid|lose)\b", re.I
)
# Words of a name group that are not a name: "Quote The Team", "name It"; and the verbs a
# send-back starts with ("Use Tom's quote", "Mention Dev by name"), dropped from its front
_NOT_NAMES = frozenset({"the", "a", "an", "it", "this", "that", "them", "him", "her", "their"})
_VERBS = frozenset(
    "use add mention include quote cite name credit say give put show keep write please and "
    "also then now just maybe".split()
)


@dataclass(frozen=True)
class QuoteAsk:
    who: str  # "" when any customer will do
    place: str = ""


def _clean(name: str | None) -> str:
    words = (name or "").split()
    while words and words[0].lower() in _VERBS:
        words.pop(0)
    while words and words[-1].lower() in ("by", "from", "in", "of"):
        words.pop()
    if not words or words[0].lower() in _NOT_NAMES:
        return ""
    return " ".join(words).strip(".")


def quote_asks(note: str) -> list[QuoteAsk]:
    """The quotes a send-back asks for, each with who should be quoted ("" for anyone)."""
    asks: list[QuoteAsk] = []
    for m in _QUOTE_OF.finditer(note):
        who = _clean(m.group("who"))
        if who:
            asks.append(QuoteAsk(who, _clean(m.group("place"))))
    for m in _QUOTE_FROM.finditer(note):
        who = _clean(m.group("who") or m.group("who2"))
        if who:
            asks.append(QuoteAsk(who, _clean(m.group("place"))))
    if not asks and _QUOTE_ANY.search(note):
        asks.append(QuoteAsk(""))
    return list(dict.fromkeys(asks))


def name_asks(note: str) -> list[str]:
    """The names a send-back asks the redraft to say ("name Tom", "Tom by name")."""
    names = [_clean(m.group("who") or m.group("who2")) for m in _NAME_ASK.finditer(note)]
    return list(dict.fromkeys(n for n in names if n))


def number_asks(note: str) -> list[str]:
    """The figures a send-back asks the redraft to state, as written in the send-back: those
    after a verb of adding ("mention", "say", "use"…), not limits and not ones to drop."""
    found = []
    for m in _NUMBER.finditer(note):
        text = m.group(0).rstrip(".,")
        if not any(c.isdigit() for c in text):
            continue
        clause = re.split(r"[.;!?\n]|,\s+(?:and|but)\s+", note[: m.start()])[-1]
        if _LIMIT_AFTER.match(note[m.end() :]) or _LIMIT_BEFORE.search(clause):
            continue
        if _DROP_VERB.search(clause) or not _ADD_VERB.search(clause):
            continue
        found.append(text)
    return list(dict.fromkeys(found))


def says_name(text: str, name: str) -> bool:
    """Whether `text` says the name (its first word is enough: "Tom" for "Tom Becker")."""
    first = name.split()[0]
    return re.search(r"(?<!\w)" + re.escape(first) + r"(?!\w)", text) is not None


def has_figure(text: str, figure: str) -> bool:
    """Whether `text` states the figure in any written form ("3,400" / "3400", "$212" / "212
    dollars", "4.7")."""
    from graphs.checks.fact_tokens import carries, facts_of, flatten

    wanted = [t for t in facts_of(figure) if t.kind != "name"]
    if wanted:
        tokens, lower = facts_of(text), flatten(text)
        return all(carries(t, tokens, lower) for t in wanted)
    digits = re.sub(r"[,\s]", "", figure)
    return digits in re.sub(r"(?<=\d),(?=\d{3})", "", text)


def asks_left(note: str, copy: str) -> list[str]:
    """What the send-back `note` asked for by name (a quote, a name, a figure) that the
    redraft's text `copy` does not have, in a marketer's words."""
    left: list[str] = []
    quoted = bool(quotations(copy))
    named: set[str] = set()
    for ask in quote_asks(note):
        whose = ask.who + (f" from {ask.place}" if ask.place else "")
        if ask.who:
            named.add(ask.who.split()[0])
        if ask.who and not says_name(copy, ask.who):
            left.append(
                f"The send-back asked to quote {whose} by name; the redraft does not name "
                f"{ask.who.split()[0]}."
            )
        elif not quoted:
            left.append(
                f"The send-back asked for a quote{' from ' + whose if ask.who else ''}; the "
                "redraft has no words in quotation marks."
            )
    for name in name_asks(note):
        if name.split()[0] in named:
            continue
        if not says_name(copy, name):
            left.append(f"The send-back asked to name {name}; the redraft does not say it.")
    for figure in number_asks(note):
        if not has_figure(copy, figure):
            left.append(f"The send-back asked for {figure}; the redraft does not say it.")
    return left


def covers(phrase: str, note: str) -> bool:
    """Whether a phrase another check would ask for word for word ("Tom from Denver", "a
    customer quote") is a name or a quote checked here instead."""
    low = phrase.lower()
    if re.search(r"\b(?:quote|quotation|testimonial)s?\b", low):
        return True
    names = [a.who for a in quote_asks(note)] + name_asks(note)
    return any(low.startswith(n.lower()) for n in names if n)
