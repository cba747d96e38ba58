"""The facts a text states (figures with their units, dates, names and codes), normalised so
variants match, and the passages prepared for matching them (graphs/checks/facts.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from graphs.claim_tokens import Token, checkable_tokens, content_words
from graphs.claim_words import COMMON

FACT_KINDS = ("price", "percent", "number", "date", "fraction", "name")

# -- names ---------------------------------------------------------------------------------------
# Words a sentence, a heading or a subject line capitalises without their being names.
ORDINARY = COMMON | frozenset(
    """
    hi hello hey dear thanks thank regards cheers sincerely warmly welcome congratulations
    discover introducing introduce meet explore visit book reserve grab claim unlock enjoy
    ready why love loved loves feel feels treat treats taste tastes fresh new now today
    here's it's that's there's what's we're we've you're you'll you've don't can't won't
    limited time offer exclusive special early bird only just last chance hurry
    free shipping delivery delivered fast easy simple better smarter quieter lighter
    perfect ideal great good best top first final big small little more less every
    your our their his her its my this that these those each all any both
    morning afternoon evening night weekend week month year day days season holiday holidays
    spring summer autumn fall winter christmas
    learn read watch listen shop order buy get try start join sign subscribe download
    upgrade save switch build make create design plan grow run manage track share send
    call contact reply ask tell find see check pick choose
    about how when where who what which while whether with without
    inside outside behind beyond before after during between
    yes no not never always sometimes often
    customer customers client clients guest guests member members reader readers
    friend friends neighbour neighbours community local locals family families kids
    product products service services feature features benefit benefits plan plans
    price prices pricing cost costs value quality results proof story stories
    why how what our your the a an and or but so for to in on at by of from with
    note p.s ps faq faqs questions question answer answers step steps
    introduction overview summary details detail highlights highlight
    call-to-action cta conclusion next
    email post page ad ads offer offers deal deals sale sales discount discounts code
    """.split()
)
_CODE = re.compile(r"[A-Z]{2,}\d+[A-Z\d]*|\d+[A-Z]{2,}\w*|[a-z]+[A-Z]\w*|[A-Z]\w*[A-Z]\w*")


def _is_ordinary(phrase: str) -> bool:
    return all(w.lower().strip(".'’") in ORDINARY for w in phrase.split())


def _title_case(text: str) -> bool:
    """A heading or subject written in title case capitalises its ordinary words too."""
    words = [w for w in re.findall(r"[A-Za-z][\w'’-]*", text) if len(w) >= 3]
    small = {"and", "the", "for", "with", "from", "into", "over", "your", "our", "you"}
    lower = [w for w in words if w[0].islower() and w.lower() not in small]
    return len(words) >= 3 and not lower


def _seen_as_name(word: str, context: str) -> bool:
    """Capitalised right after a lower-case word somewhere: a name, not a sentence start."""
    if word not in context:  # every match has the word itself: no scan of the context
        return False
    return re.search(r"\b[a-z][\w,’']*\s+" + re.escape(word) + r"\b", context) is not None


def _name_facts(tokens: list[Token], text: str, heading: bool, context: str) -> list[Token]:
    """Keep the name tokens that are names: not ordinary words, not a lone sentence start or a
    heading's capitalised word (unless the draft or the passages capitalise it mid-sentence)."""
    kept: list[Token] = []
    names = [t for t in tokens if t.kind == "name"]
    if not names:  # nothing to keep: the title-case test is not needed
        return kept
    heading = heading or _title_case(text)
    for t in names:
        phrase = t.text.strip()
        if any(_CODE.fullmatch(w) for w in phrase.split()) and not _is_ordinary(phrase):
            kept.append(t)
            continue
        words = [w for w in phrase.split() if w.lower().strip(".'’") not in ORDINARY]
        if not words:
            continue
        at_start = text.lstrip("\"'“‘(* ").startswith(phrase)
        if heading:
            # A title capitalises every word: the name is the run of words seen as names
            # elsewhere ("Greenleaf" of "Greenleaf Home Cleaning Campaign").
            run = _named_run(phrase, context)
            if run:
                kept.append(Token("name", run.lower(), run))
            continue
        if at_start and len(phrase.split()) == 1 and not _seen_as_name(phrase, context):
            continue  # no evidence it is a name rather than a capitalised word
        kept.append(t)
    return kept


def _named_run(phrase: str, context: str) -> str:
    """The longest run of a title's words that are names (seen capitalised mid-sentence)."""
    best: list[str] = []
    run: list[str] = []
    for word in phrase.split():
        named = word.lower() not in ORDINARY and (
            _seen_as_name(word, context) or bool(_CODE.fullmatch(word))
        )
        if named or (run and word[:1].isdigit()):
            run.append(word)
            if len(run) > len(best):
                best = list(run)
        else:
            run = []
    return " ".join(best)


# -- facts ---------------------------------------------------------------------------------------
_DURATION = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}
_MONTHLY = {"month": 1, "year": 12}
_HOUR_AND_HALF = re.compile(r"\b(?:an|one) hour and a half\b|\ban hour and thirty minutes\b", re.I)
_HALF_HOURS = re.compile(r"\b(\d+|one|two|three|four|five) and a half hours\b", re.I)
_WORD_NUM = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}


_MONTH_NAMES = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_DAY_RANGE = re.compile(
    r"\b(\d{1,2})(\s*(?:-|–|—|to|and|until|till)\s*)(\d{1,2})\s+(" + _MONTH_NAMES + r")\b",
    re.IGNORECASE,
)


# Unit words the tokenizer knows only in short form: "840 grams" is "840 g".
_UNIT_SHORT = {
    "gram": "g",
    "grams": "g",
    "gramme": "g",
    "grammes": "g",
    "kilo": "kg",
    "kilos": "kg",
    "kilogram": "kg",
    "kilograms": "kg",
    "millimetre": "mm",
    "millimetres": "mm",
    "millimeter": "mm",
    "millimeters": "mm",
    "centimetre": "cm",
    "centimetres": "cm",
    "centimeter": "cm",
    "centimeters": "cm",
    "kilometre": "km",
    "kilometres": "km",
    "kilometer": "km",
    "kilometers": "km",
}
_UNIT_WORDS = re.compile(
    r"(\d)\s*-?\s*(" + "|".join(sorted(_UNIT_SHORT, key=len, reverse=True)) + r")\b", re.IGNORECASE
)


def _normalise(text: str) -> str:
    """Spell-outs the tokenizer reads as one figure: "an hour and a half" is 90 minutes, and
    "18 to 20 June" is "18 June to 20 June"."""
    text = _DAY_RANGE.sub(lambda m: f"{m[1]} {m[4]}{m[2]}{m[3]} {m[4]}", text)
    text = _UNIT_WORDS.sub(lambda m: f"{m[1]} {_UNIT_SHORT[m[2].lower()]}", text)
    text = _HOUR_AND_HALF.sub("90 minutes", text)
    return _HALF_HOURS.sub(
        lambda m: f"{(_WORD_NUM.get(m.group(1).lower()) or float(m.group(1))) * 60 + 30:g} minutes",
        text,
    )


def _canonical(t: Token) -> Token:
    """Durations in seconds, months and years in months: "2 hours" equals "120 minutes"."""
    if t.kind == "number":
        unit, value = t.value
        if unit in _DURATION:
            return Token("number", ("duration", value * _DURATION[unit]), t.text)
        if unit in _MONTHLY:
            return Token("number", ("months", value * _MONTHLY[unit]), t.text)
    return t


def facts_of(text: str) -> list[Token]:
    """The checkable facts of a piece of text (names not yet filtered), canonical units."""
    return list(_facts_of(text))


@lru_cache(maxsize=8192)
def _facts_of(text: str) -> tuple[Token, ...]:
    # Every draft is checked against all of its product's passages: each passage's facts are
    # read once per process, not once per draft (tokens are immutable tuples).
    return tuple(_canonical(t) for t in checkable_tokens(_normalise(text)) if t.kind in FACT_KINDS)


@lru_cache(maxsize=8192)
def _content_words(text: str) -> tuple[tuple[str, str], ...]:
    return tuple(content_words(text).items())


def _is_fact(t: Token) -> bool:
    if t.kind == "number":
        unit, _ = t.value
        # a spelled-out small number without a unit ("two ways", "three reasons") is prose
        return bool(unit) or any(c.isdigit() for c in t.text)
    return True


@dataclass
class _Passage:
    id: str
    source: str
    text: str
    lower: str
    tokens: list[Token]
    quotes: list[tuple[str, str, list[Token]]]  # (quoted words, who said it, their facts)
    words: dict[str, str]
    # `carried` answers, by fact: a prepared passage is shared by every draft of its product
    # (`_prepare_one`), and a draft's facts (its product's name, its price) are looked for in
    # the same passages sentence after sentence and draft after draft
    found: dict[Token, bool] = field(default_factory=dict, compare=False, repr=False)

    def carried(self, fact: Token) -> bool:
        """`carries(fact, self.tokens, self.lower)`, remembered (at most `MAX_FOUND` facts)."""
        known = self.found.get(fact)
        if known is None:
            known = carries(fact, self.tokens, self.lower)
            if len(self.found) >= MAX_FOUND:
                self.found.clear()
            self.found[fact] = known
        return known


MAX_FOUND = 512  # facts remembered per passage


_QUOTED = re.compile(r"[\"“”„«]([^\"“”„«»]{12,}?)[\"“”»]")
_SINGLE_QUOTED = re.compile(r"(?:(?<=\s)|^)['‘]([^\n]{12,}?)['’](?=\s*[,.]?\s*(?:[-—–]|says|said))")
_ATTRIBUTION_AFTER = re.compile(r"^\s*[,.]?\s*(?:[-—–]+|says|said|writes|wrote)\s*([^\n.]{2,60})")


def _testimonials(text: str, location: str) -> list[tuple[str, str, list[Token]]]:
    """Quoted words in a passage and who said them (the text after a dash, else the heading)."""
    found = []
    for m in _QUOTED.finditer(text):
        after = _ATTRIBUTION_AFTER.match(text[m.end() : m.end() + 80])
        who = (after.group(1) if after else location).strip() or "a customer"
        found.append((m.group(1).strip(), who, facts_of(m.group(1))))
    # single-quoted words with a speaker after them ('It paid for itself in one winter' — Tom)
    for m in _SINGLE_QUOTED.finditer(text):
        after = _ATTRIBUTION_AFTER.match(text[m.end() : m.end() + 80])
        if after:
            found.append((m.group(1).strip(), after.group(1).strip(), facts_of(m.group(1))))
    return found


def _prepare(passages: Sequence[Mapping[str, Any]]) -> list[_Passage]:
    return [
        _prepare_one(
            str(p.get("id") or p.get("ref") or f"P{n}"),
            str(p.get("text") or p.get("quote") or ""),
            str(p.get("location") or ""),
            str(p.get("source") or ""),
        )
        for n, p in enumerate(passages, start=1)
    ]


def passage_quotes(passages: Sequence[Mapping[str, Any]]) -> dict[str, list[tuple[str, str]]]:
    """Each passage's customer quotes and who said them ("a customer" when nobody is named), by
    passage id, as the claim checker reads them."""
    return {p.id: [(quoted, who) for quoted, who, _ in p.quotes] for p in _prepare(passages)}


@lru_cache(maxsize=4096)
def _prepare_one(pid: str, text: str, location: str, source: str) -> _Passage:
    """One passage, tokenised once per process (every draft and every AI review round of a
    product checks against the same passages); the result is shared: never change it."""
    full = f"{location}\n{text}" if location and location not in text else text
    return _Passage(
        id=pid,
        source=f"{source} › {location}" if source and location else source or location,
        text=full,
        lower=flatten(full),
        tokens=facts_of(full),
        quotes=_testimonials(text, location),
        words=dict(_content_words(full)),
    )


def flatten(text: str) -> str:
    return " ".join(text.replace("’", "'").lower().split())


def _has_phrase(phrase: str, haystack: str) -> bool:
    words = phrase.replace("’", "'").lower().split()
    pattern = r"(?<!\w)" + r"[\s&,.-]+".join(re.escape(w) for w in words) + r"(?:'s|s)?(?!\w)"
    return re.search(pattern, haystack) is not None


def carries(fact: Token, tokens: Iterable[Token], lower: str) -> bool:
    """Whether a passage (its tokens, its lower-cased text) carries one fact."""
    if fact.kind == "name":
        return _has_phrase(fact.value, lower)
    for q in tokens:
        if fact.kind == "price" and q.kind == "price":
            currency, amount, periods = fact.value
            if q.value[0] == currency and q.value[1] == amount and periods <= q.value[2]:
                return True
        elif fact.kind == "percent":
            if q.kind == "percent" and q.value == fact.value:
                return True
            if q.kind == "fraction" and round(q.value * 100, 2) == fact.value:
                return True
        elif fact.kind == "fraction":
            if q.kind == "fraction" and q.value == fact.value:
                return True
            if q.kind == "percent" and round(fact.value * 100, 2) == q.value:
                return True
        elif fact.kind == "date" and q.kind == "date":
            month, day = fact.value
            if q.value[0] == month and (day is None or q.value[1] == day):
                return True
        elif fact.kind == "number":
            unit, amount = fact.value
            if q.kind == "number" and q.value[1] == amount and (unit is None or q.value[0] == unit):
                return True
            if unit is None and q.kind in ("price", "percent"):
                value = q.value[1] if q.kind == "price" else q.value
                if value == amount:
                    return True
    return False
