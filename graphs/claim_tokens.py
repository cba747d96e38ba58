"""The checkable pieces of a text (`Token`s: prices, percentages, numbers, dates, fractions,
names, strong words) and its content words, for the claim checkers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, NamedTuple

from graphs.claim_words import (
    _FUNCTION_WORDS,
    COMMON,
    CURRENCY_SIGNS,
    CURRENCY_WORDS,
    FRACTIONS,
    MONTHS,
    NUMBER_WORDS,
    PERIODS,
    SCALES,
    SIGN_FOR,
    STOPWORDS,
    STRONG,
    SYNONYMS,
    UNIT_ADJECTIVES,
    UNITS,
)


class Token(NamedTuple):
    """One checkable piece of a text."""

    kind: str  # price | percent | number | date | fraction | name | strong
    value: Any  # comparable value: (currency, amount, period), amount, (unit, n), text, ...
    text: str  # as written


# -- tokenising ----------------------------------------------------------------------------------
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SCALE = r"(?:\s?(?:k|m|mn|b|bn)\b|\s(?:thousand|million|billion)\b)"
_PERIOD = (
    r"(?:\s*/\s*(?:month|mo|year|yr|week|day|user|seat)\b|\s+(?:a|an|per|each|every)\s+"
    r"(?:month|year|week|day|user|seat|annum)\b|\s+(?:monthly|yearly|annually|weekly|daily)\b)"
)
_CUR_WORD = "|".join(sorted(CURRENCY_WORDS, key=len, reverse=True)).replace("$", r"\$")
_PRICE = re.compile(
    r"(?P<sign>[$€£¥₹])\s?(?P<a1>"
    + _NUM
    + r")(?P<s1>"
    + _SCALE
    + r")?(?P<p1>(?:"
    + _PERIOD
    + r")*)"
    r"|\b(?P<code>usd|eur|gbp|cad|aud|chf|jpy|inr)\s?(?P<a2>"
    + _NUM
    + r")(?P<s2>"
    + _SCALE
    + r")?(?P<p2>(?:"
    + _PERIOD
    + r")*)"
    r"|\b(?P<a3>" + _NUM + r")(?P<s3>" + _SCALE + r")?\s?(?P<word>" + _CUR_WORD + r")\b"
    r"(?P<p3>(?:" + _PERIOD + r")*)",
    re.IGNORECASE,
)
_PERCENT = re.compile(r"\b(" + _NUM + r")\s?(?:%|percent\b|per cent\b|-percent\b)", re.IGNORECASE)
_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
_DATE = re.compile(
    r"\b(?P<d1>\d{1,2})(?:st|nd|rd|th)?(?:\s+of)?\s+(?P<m1>" + _MONTH_RE + r")\b\.?"
    r"|\b(?P<m2>" + _MONTH_RE + r")\.?\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?\b(?!\s*(?:,\s*)?\d{3}\b)"
    r"|\b(?P<y3>\d{4})-(?P<m3>\d{2})-(?P<d3>\d{2})\b",
    re.IGNORECASE,
)
_BARE_MONTH = re.compile(r"\b(" + _MONTH_RE.replace("|may|", "|") + r"|May)\b")
_HALF_HOUR = re.compile(r"\bhalf an hour\b", re.IGNORECASE)
PERIOD_WORDS = {
    "second": "second",
    "seconds": "second",
    "minute": "minute",
    "minutes": "minute",
    "hour": "hour",
    "hours": "hour",
    "hourly": "hour",
    "day": "day",
    "days": "day",
    "daily": "day",
    "week": "week",
    "weeks": "week",
    "weekly": "week",
    "month": "month",
    "months": "month",
    "monthly": "month",
    "year": "year",
    "years": "year",
    "yearly": "year",
    "annual": "year",
    "annually": "year",
}
_ONE_PERIOD = re.compile(
    r"\b(?:every|each|per|once a|once an|one)\s+(second|minute|hour|day|week|month|year)\b",
    re.IGNORECASE,
)
_BARE_PERIOD = re.compile(r"\b(" + "|".join(PERIOD_WORDS) + r")\b", re.IGNORECASE)
_FRACTION = re.compile(
    r"\b(two thirds|three quarters|half|(?:a|one)\s+(?:third|quarter|fifth|tenth))\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"(?<![\w.,$€£¥₹#-])(?P<n>" + _NUM + r")(?:st|nd|rd|th)?(?P<s>" + _SCALE + r")?"
    r"(?:(?:\s*-\s*|\s*)(?:(?P<adj>" + "|".join(UNIT_ADJECTIVES) + r")\s+)?"
    r"(?P<u>°[cf]|[a-z]+(?:-hours?)?))?",
    re.IGNORECASE,
)
_NUMBER_WORD = re.compile(
    r"\b(?P<w>"
    + "|".join(NUMBER_WORDS)
    + r")\b(?:(?:\s*-\s*|\s+)(?:(?:"
    + "|".join(UNIT_ADJECTIVES)
    + r")\s+)?(?P<u>[a-z]+))?",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z][\w'’&.-]*[\w]|[A-Za-z]")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|\n\s*|[\"“(]\s*)$")


def _amount(number: str, scale: str | None) -> float:
    value = float(number.replace(",", ""))
    if scale:
        value *= SCALES[scale.strip().lower()]
    return round(value, 6)


def _periods(text: str | None) -> frozenset[str]:
    if not text:
        return frozenset()
    words = re.findall(r"[a-z]+", text.lower())
    return frozenset(PERIODS[w] for w in words if w in PERIODS)


def _fmt_amount(value: float) -> str:
    if value >= 1e6 and value % 1e5 == 0:
        return f"{value / 1e6:g} million"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"{int(value):,}"


def _fmt_price(value: tuple[str, float, frozenset[str]]) -> str:
    currency, amount, periods = value
    sign = SIGN_FOR.get(currency)
    text = f"{sign}{_fmt_amount(amount)}" if sign else f"{_fmt_amount(amount)} {currency}"
    for period in sorted(periods):
        text += f" per {period}"
    return text


def _mask(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """Blank out what was already read (with a non-space, so a masked figure splits a name)."""
    chars = list(text)
    for start, end in spans:
        for i in range(start, end):
            chars[i] = " " if chars[i].isspace() else "\x00"
    return "".join(chars)


def _common(lower: str) -> bool:
    """A word that starts sentences without being a name: a common word, or a compound of
    lower-case parts ending in one ("pre-order", "re-order", "one-click")."""
    if lower in COMMON:
        return True
    head, _, last = lower.rpartition("-")
    return bool(head) and head.replace("-", "").isalpha() and last in COMMON


def _names(text: str) -> list[Token]:
    """Capitalised word runs that are not sentence starters or common words; codes like LOOP26."""
    words = list(_WORD.finditer(text))
    # A title-case line ("Cut Your Heating Bill by 23%") capitalises its common words too:
    # every word of three letters or more, bar the small function words, starts upper-case.
    long = [w.group(0) for w in words if len(w.group(0)) >= 3]
    lower_words = [w for w in long if w[0].islower() and w.lower() not in _FUNCTION_WORDS]
    capital_common = [w for w in long[1:] if w[0].isupper() and w.lower() in COMMON]
    title_case = len(long) >= 3 and not lower_words and len(capital_common) >= 2
    tokens: list[Token] = []
    run: list[str] = []
    run_at_start = False

    def close() -> None:
        # A sentence start carries common words that are not names ("Customers", "The").
        while run and run_at_start and _common(run[0].lower()):
            run.pop(0)
        if run:
            phrase = " ".join(run)
            tokens.append(Token("name", phrase.lower(), phrase))
        run.clear()

    last_end = 0
    for m in words:
        word = m.group(0).rstrip(".").removesuffix("'s").removesuffix("’s")
        gap = text[last_end : m.start()]
        last_end = m.end()
        if run and (gap.strip() not in ("", "&") or "\n" in gap):
            close()
        lower = word.lower()
        is_code = bool(re.fullmatch(r"[A-Z]{2,}\d+[A-Z\d]*|[a-z]+[A-Z]\w*|[A-Z]\w*[A-Z]\w*", word))
        capital = word[:1].isupper()
        at_start = bool(_SENTENCE_START.search(text[: m.start()]))
        if lower in MONTHS or lower in CURRENCY_WORDS or lower in UNITS and not capital:
            close()
            continue
        if is_code and word.upper() not in ("USD", "EUR", "GBP", "CAD", "AUD", "CHF", "JPY"):
            run_at_start = run_at_start if run else at_start
            run.append(word)
        elif capital and lower not in ("i",):
            if title_case and lower in COMMON:
                close()  # in a title, common words separate names
                continue
            if at_start and _common(lower) and not run:
                continue
            if len(word) == 1 and not run:
                continue  # "A study…"
            run_at_start = run_at_start if run else at_start
            run.append(word)
        else:
            close()
    close()
    return tokens


def _strong(text: str) -> list[Token]:
    found = []
    for m in re.finditer(r"#1\b|\b[\w-]+\b", text.lower()):
        word = m.group(0)
        if word in STRONG:
            found.append(Token("strong", STRONG[word], word))
        elif word == "number" and text.lower()[m.end() : m.end() + 4] == " one":
            found.append(Token("strong", "#1", "number one"))
    return found


def checkable_tokens(text: str) -> list[Token]:
    """Prices, percentages, dates, fractions, numbers (with units), names and strong words."""
    tokens: list[Token] = []
    spans: list[tuple[int, int]] = []
    for m in _PRICE.finditer(text):
        if m.group("sign"):
            currency = CURRENCY_SIGNS[m.group("sign")]
            amount = _amount(m.group("a1"), m.group("s1"))
            periods = _periods(m.group("p1"))
        elif m.group("code"):
            currency = m.group("code").upper()
            amount = _amount(m.group("a2"), m.group("s2"))
            periods = _periods(m.group("p2"))
        else:
            currency = CURRENCY_WORDS[m.group("word").lower()]
            amount = _amount(m.group("a3"), m.group("s3"))
            periods = _periods(m.group("p3"))
        tokens.append(Token("price", (currency, amount, periods), m.group(0).strip()))
        spans.append(m.span())
    masked = _mask(text, spans)
    for m in _PERCENT.finditer(masked):
        tokens.append(Token("percent", _amount(m.group(1), None), m.group(0).strip()))
        spans.append(m.span())
    masked = _mask(text, spans)
    for m in _DATE.finditer(masked):
        if m.group("m1"):
            month, day = MONTHS[m.group("m1").lower()], int(m.group("d1"))
        elif m.group("m2"):
            month, day = MONTHS[m.group("m2").lower()], int(m.group("d2"))
        else:
            month, day = int(m.group("m3")), int(m.group("d3"))
            tokens.append(Token("number", (None, float(m.group("y3"))), m.group("y3")))
        if 1 <= day <= 31:
            tokens.append(Token("date", (month, day), m.group(0).strip()))
            spans.append(m.span())
    masked = _mask(text, spans)
    for m in _BARE_MONTH.finditer(masked):
        tokens.append(Token("date", (MONTHS[m.group(1).lower()], None), m.group(1)))
        spans.append(m.span())
    masked = _mask(text, spans)
    for m in _HALF_HOUR.finditer(masked):
        tokens.append(Token("number", ("minute", 30.0), m.group(0)))
        spans.append(m.span())
    masked = _mask(text, spans)
    for m in _FRACTION.finditer(masked):
        key = re.sub(r"^(?:a|one)\s+", "", m.group(1).lower())
        tokens.append(Token("fraction", round(FRACTIONS[key], 4), m.group(0)))
        spans.append(m.span())
    masked = _mask(text, spans)
    for m in _NUMBER.finditer(masked):
        unit_word = (m.group("u") or "").lower()
        unit = UNITS.get(unit_word)
        value = _amount(m.group("n"), m.group("s"))
        end = m.end() if unit else m.end("s") if m.group("s") else m.end("n")
        tokens.append(Token("number", (unit, value), masked[m.start() : end].strip()))
        spans.append((m.start(), end))
    masked = _mask(text, spans)
    for m in _NUMBER_WORD.finditer(masked):
        unit = UNITS.get((m.group("u") or "").lower())
        value = float(NUMBER_WORDS[m.group("w").lower()])
        end = m.end() if unit else m.end("w")
        tokens.append(Token("number", (unit, value), masked[m.start() : end].strip()))
        spans.append((m.start(), end))
    masked = _mask(text, spans)
    for m in _ONE_PERIOD.finditer(masked):  # "every week", "per day": one of them
        unit = PERIOD_WORDS[m.group(1).lower()]
        tokens.append(Token("number", (unit, 1.0), m.group(0)))
        spans.append(m.span())
    masked = _mask(text, spans)
    for m in _BARE_PERIOD.finditer(masked):
        tokens.append(Token("period", PERIOD_WORDS[m.group(1).lower()], m.group(1)))
        spans.append(m.span())
    masked = _mask(text, spans)
    tokens += _names(masked)
    tokens += _strong(text)
    return tokens


# -- content words -------------------------------------------------------------------------------
@lru_cache(maxsize=16384)
def _stem(word: str) -> str:
    w = word.lower().replace("’", "'").removesuffix("'s").strip("'")
    w = SYNONYMS.get(w, w)
    for suffix, repl in (("ies", "i"), ("ing", ""), ("ed", ""), ("es", "e"), ("s", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and not w.endswith("ss"):
            w = w[: len(w) - len(suffix)] + repl
            break
    if w.endswith("y"):
        w = w[:-1] + "i"
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]
    return w


def content_words(text: str) -> dict[str, str]:
    """The text's content words, stem -> the word as written (first seen)."""
    words = re.findall(r"[a-z][a-z'’-]*[a-z]|[a-z]", text.lower())
    out: dict[str, str] = {}
    for w in words:
        if w not in STOPWORDS and len(w) > 2:
            out.setdefault(_stem(w), w)
    return out
