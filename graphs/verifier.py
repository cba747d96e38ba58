"""verifier: checks each claim of a draft against the evidence it cites. Deterministic, no model.

A claim is *supported* only when

1. it cites evidence, and every cited item is one the researcher found;
2. each cited quote is still in the knowledge base (`lookup(ref)` returns the passage, and the
   quote is part of it);
3. the cited quotes (with their headings) together carry the claim's checkable content: numbers
   with their units, prices with their currency and period, percentages, dates, fractions, names
   and codes, and strong words ("guaranteed", "best", "free", "all", "unlimited");
4. the claim keeps the quote's polarity (a "not" the quote does not have flips the meaning), and
   enough of its words are the quote's words (a claim can reuse a number for another fact).

The reasons are written for a marketer: "the price $199 is not in the cited quote (it says $149)".
`checkable_tokens(text)` lists what rule 3 checks, for tests and for the review card.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from typing_extensions import TypedDict

from graphs.state import Claim, Evidence

MIN_OVERLAP_WITH_FACTS = 0.5  # share of the claim's words in the quote, when numbers etc. match
MIN_OVERLAP_WORDS_ONLY = 0.6  # ... when the claim has nothing checkable: a paraphrase at most
MIN_SHARED_WORDS = 2


class ClaimCheck(TypedDict):
    text: str
    evidence_ids: list[str]
    supported: bool
    reason: str  # plain words for a marketer
    quote: str | None  # the cited quote(s)
    source: str | None  # "pricing.md › Price"


class Token(NamedTuple):
    """One checkable piece of a text."""

    kind: str  # price | percent | number | date | fraction | name | strong
    value: Any  # comparable value: (currency, amount, period), amount, (unit, n), text, ...
    text: str  # as written


# -- vocabulary ----------------------------------------------------------------------------------
CURRENCY_SIGNS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR"}
CURRENCY_WORDS = {
    "usd": "USD",
    "dollar": "USD",
    "dollars": "USD",
    "us$": "USD",
    "eur": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "gbp": "GBP",
    "pound": "GBP",
    "pounds": "GBP",
    "jpy": "JPY",
    "yen": "JPY",
    "inr": "INR",
    "rupees": "INR",
    "cad": "CAD",
    "aud": "AUD",
    "chf": "CHF",
}
SIGN_FOR = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}
SCALES = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
}
UNITS = {
    "second": "second",
    "seconds": "second",
    "sec": "second",
    "secs": "second",
    "minute": "minute",
    "minutes": "minute",
    "min": "minute",
    "mins": "minute",
    "hour": "hour",
    "hours": "hour",
    "hr": "hour",
    "hrs": "hour",
    "h": "hour",
    "day": "day",
    "days": "day",
    "week": "week",
    "weeks": "week",
    "month": "month",
    "months": "month",
    "year": "year",
    "years": "year",
    "yr": "year",
    "yrs": "year",
    "w": "watt",
    "watt": "watt",
    "watts": "watt",
    "wh": "watt-hour",
    "watt-hour": "watt-hour",
    "watt-hours": "watt-hour",
    "kw": "kilowatt",
    "kwh": "kilowatt-hour",
    "v": "volt",
    "volt": "volt",
    "volts": "volt",
    "inch": "inch",
    "inches": "inch",
    "in": "inch",
    "cm": "cm",
    "mm": "mm",
    "m": "metre",
    "metre": "metre",
    "metres": "metre",
    "meter": "metre",
    "meters": "metre",
    "km": "km",
    "mile": "mile",
    "miles": "mile",
    "kg": "kg",
    "g": "gram",
    "lb": "lb",
    "lbs": "lb",
    "gb": "GB",
    "mb": "MB",
    "tb": "TB",
    "pm": "pm",
    "am": "am",
    "°c": "°C",
    "°f": "°F",
    "degrees": "degree",
    "degree": "degree",
    "x": "times",
    "times": "times",
    "star": "star",
    "stars": "star",
}
PERIODS = {
    "month": "month",
    "mo": "month",
    "monthly": "month",
    "year": "year",
    "yr": "year",
    "annum": "year",
    "yearly": "year",
    "annually": "year",
    "annual": "year",
    "week": "week",
    "weekly": "week",
    "day": "day",
    "daily": "day",
    "user": "user",
    "seat": "seat",
}
UNIT_ADJECTIVES = {"business", "working", "calendar", "full", "extra", "more", "whole"}
NUMBER_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "ninety": 90,
    "hundred": 100,
    "dozen": 12,
}
FRACTIONS = {
    "half": 0.5,
    "third": 1 / 3,
    "quarter": 0.25,
    "fifth": 0.2,
    "tenth": 0.1,
    "two thirds": 2 / 3,
    "three quarters": 0.75,
}
MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
STRONG = {
    "guarantee": "guarant",
    "guaranteed": "guarant",
    "guarantees": "guarant",
    "best": "best",
    "only": "only",
    "first": "first",
    "fastest": "fastest",
    "cheapest": "cheapest",
    "lowest": "lowest",
    "highest": "highest",
    "largest": "largest",
    "biggest": "biggest",
    "smartest": "smartest",
    "greatest": "greatest",
    "leading": "leading",
    "all": "all",
    "every": "every",
    "each": "each",
    "always": "always",
    "never": "never",
    "instantly": "instant",
    "instant": "instant",
    "forever": "forever",
    "lifetime": "lifetime",
    "unlimited": "unlimited",
    "free": "free",
    "#1": "#1",
    "risk-free": "risk-free",
    "certified": "certified",
    "proven": "proven",
    "clinically": "clinically",
}
NEGATIONS = {"not", "no", "never", "cannot", "nothing", "none", "nobody"}

# Words that start sentences (or appear in title-case lines) without being names.
COMMON = frozenset(
    """
    a about above after again all also always an and any are as at be because been before being
    below between both but by can cannot could did do does doing down during each few for from
    further get gets getting got had has have having he her here hers him his how i if in into is
    it its itself just last least less let like made make makes many may me more most much must my
    never new next no nor not now of off on once one only or other our ours out over own per
    please same see she should since so some such than that the their theirs them then there these
    they this those though through to too under until up upon us very was we were what when where
    which while who whom why will with within without would yes yet you your yours
    add adds buy buys call cut cuts cutting enjoy find get give go join keep learn learns let lower
    lowers meet order orders pay plan plans reduce reduces save saves saving savings shop sign
    start starts stay stays switch take try turn upgrade use uses want warm work works
    customer customers home homes homeowner homeowners family families people everyone anyone
    team teams user users owner owners renter renters business businesses office offices room rooms
    price prices pricing cost costs offer offers deal deals shipping returns return refund warranty
    support subscription plan plans app apps energy heating cooling bill bills thermostat
    thermostats sensor sensors winter summer spring autumn fall today tonight tomorrow now soon
    comfort control install installation setup reports report study studies field average
    results result smart easy quick simple fast free every each more most less fewer better best
    up down our their its just even still only also here there
    cut your heating bill bills warmer cooler colder hotter smaller bigger lower higher
    """.split()
)
_FUNCTION_WORDS = frozenset(
    "a an and are as at be but by for from in into is it nor of off on or over per so the to "
    "via with yet".split()
)
WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
STOPWORDS = frozenset(
    """
    a an and are as at be by for from has have in is it its of on or our that the their this to
    with we you your who what will can do does how which when than then so if into up out over
    about after any all also just more most much per via was were been being them they it's
    get gets got i me my us
    """.split()
)
SYNONYMS = {
    "price": "cost",
    "priced": "cost",
    "prices": "cost",
    "costs": "cost",
    "buy": "order",
    "purchase": "order",
    "orders": "order",
    "reduce": "cut",
    "reduces": "cut",
    "lower": "cut",
    "lowers": "cut",
    "over": "more",
    "than": "more",
    "shows": "show",
    "showed": "show",
    "found": "show",
}


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
        while run and run_at_start and run[0].lower() in COMMON:
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
            if at_start and lower in COMMON and not run:
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


# -- matching ------------------------------------------------------------------------------------
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


def _has_phrase(phrase: str, haystack: str) -> bool:
    pattern = r"(?<!\w)" + r"\s+".join(re.escape(p) for p in phrase.split()) + r"(?:'s|s)?(?!\w)"
    return re.search(pattern, haystack) is not None


def _price_ok(value: tuple[str, float, frozenset[str]], quote_prices: list[Token]) -> bool:
    currency, amount, periods = value
    return any(
        q.value[0] == currency and q.value[1] == amount and periods <= q.value[2]
        for q in quote_prices
    )


def _number_ok(value: tuple[str | None, float], quote_tokens: list[Token]) -> bool:
    unit, amount = value
    for q in quote_tokens:
        if q.kind == "number":
            q_unit, q_amount = q.value
            if q_amount == amount and (unit is None or unit == q_unit):
                return True
        elif q.kind == "price" and unit is None and q.value[1] == amount:
            return True  # "the $149 model" style mentions
        elif q.kind == "percent" and unit is None and q.value == amount:
            return True
    return False


def _says(tokens: list[Token], kind: str) -> str:
    shown = list(dict.fromkeys(t.text for t in tokens if t.kind == kind))[:3]
    return f" (it says {', '.join(shown)})" if shown else ""


def _missing_fact(
    claim_tokens: list[Token], quote_tokens: list[Token], haystack: str
) -> str | None:
    """The first piece of the claim the quotes do not carry, as a reason; None if all are there."""
    by_kind: dict[str, list[Token]] = {}
    for q in quote_tokens:
        by_kind.setdefault(q.kind, []).append(q)
    for t in claim_tokens:
        if t.kind == "price" and not _price_ok(t.value, by_kind.get("price", [])):
            return f"the price {t.text} is not in the cited quote{_says(quote_tokens, 'price')}"
        if t.kind == "percent" and t.value not in {q.value for q in by_kind.get("percent", [])}:
            return f"the figure {t.text} is not in the cited quote{_says(quote_tokens, 'percent')}"
        if t.kind == "number" and not _number_ok(t.value, quote_tokens):
            unit, amount = t.value
            same = [q for q in by_kind.get("number", []) if q.value[1] == amount]
            if unit and same:
                return (
                    f"{t.text} is not in the cited quote (it says "
                    f"{', '.join(dict.fromkeys(q.text for q in same))}): right number, wrong unit"
                )
            return f"the number {t.text} is not in the cited quote{_says(quote_tokens, 'number')}"
        if t.kind == "date":
            month, day = t.value
            ok = any(
                q.value[0] == month and (day is None or q.value[1] in (day, None) and q.value[1])
                for q in by_kind.get("date", [])
            ) or (day is None and any(q.value[0] == month for q in by_kind.get("date", [])))
            if not ok:
                return f"the date {t.text} is not in the cited quote{_says(quote_tokens, 'date')}"
        if t.kind == "period" and not any(
            q.kind == "period"
            and q.value == t.value
            or q.kind == "number"
            and q.value[0] == t.value
            or q.kind == "price"
            and t.value in q.value[2]
            for q in quote_tokens
        ):
            return f"the claim says '{t.text}' but the cited quote does not"
        if t.kind == "fraction" and t.value not in {q.value for q in by_kind.get("fraction", [])}:
            alt = _says(quote_tokens, "percent") or _says(quote_tokens, "fraction")
            return f"'{t.text}' is not in the cited quote{alt}"
        if t.kind == "name" and not _has_phrase(t.value, haystack):
            return f"the name '{t.text}' is not in the cited quote"
        if t.kind == "strong" and not any(q.value == t.value for q in by_kind.get("strong", [])):
            return f"the claim says '{t.text}' but the cited quote does not"
    return None


_SENTENCE = re.compile(r"(?<=[.!?;])[\"'”’)\]]*\s+")
_FIGURES = ("price", "percent", "number", "date", "fraction")


def _carries(fact: Token, tokens: list[Token]) -> bool:
    if fact.kind == "price":
        return _price_ok(fact.value, [t for t in tokens if t.kind == "price"])
    if fact.kind == "number":
        return _number_ok(fact.value, tokens)
    if fact.kind == "date":
        return any(t.kind == "date" and t.value[0] == fact.value[0] for t in tokens)
    return any(t.kind == fact.kind and t.value == fact.value for t in tokens)


def _unbound(claim_tokens: list[Token], cited: list[Evidence]) -> str | None:
    """A figure the quote gives for something else ("€12" is the starting price, not the Team
    plan's): each figure must sit in a sentence that names (or follows a sentence, or a heading,
    that names) one of the claim's names."""
    names = [t for t in claim_tokens if t.kind == "name"]
    figures = [t for t in claim_tokens if t.kind in _FIGURES]
    if not names or not figures:
        return None
    for fact in figures:
        bound = False
        for e in cited:
            sentences = [s for s in _SENTENCE.split(e["quote"]) if s.strip()]
            for i, sentence in enumerate(sentences):
                if not _carries(fact, checkable_tokens(sentence)):
                    continue
                before = _norm(" ".join([e.get("location", ""), *sentences[: i + 1]])).lower()
                if any(_has_phrase(n.value, before) for n in names):
                    bound = True
                    break
            if bound:
                break
        if not bound:
            return (
                f"the cited quote gives {fact.text} for something else, not for "
                f"{' or '.join(repr(n.text) for n in names)}"
            )
    return None


def _negated(text: str) -> bool:
    words = set(re.findall(r"[a-z]+", text.lower()))
    return bool(words & NEGATIONS) or "n't" in text.lower() or "n’t" in text.lower()


def _norm(text: str) -> str:
    return " ".join(text.replace("’", "'").split())


def verify_claims(
    claims: list[Claim], evidence: list[Evidence], lookup: Callable[[str], str | None]
) -> list[ClaimCheck]:
    """One check per claim, in order. `lookup(ref)` returns a passage's text from the knowledge
    base (e.g. `KnowledgeBase.lookup`), or None when it is not there (any more)."""
    by_id = {e["id"]: e for e in evidence}
    checks: list[ClaimCheck] = []
    for claim in claims:
        ids = list(dict.fromkeys(claim.get("evidence_ids") or []))
        cited = [by_id[i] for i in ids if i in by_id]
        quote = " … ".join(e["quote"] for e in cited) or None
        source = "; ".join(f"{e['source']} › {e['location']}" for e in cited) or None
        supported, reason = _check(claim["text"], ids, cited, lookup)
        checks.append(
            ClaimCheck(
                text=claim["text"],
                evidence_ids=ids,
                supported=supported,
                reason=reason,
                quote=quote,
                source=source,
            )
        )
    return checks


def _check(
    text: str, ids: list[str], cited: list[Evidence], lookup: Callable[[str], str | None]
) -> tuple[bool, str]:
    if not ids:
        return False, "cites no evidence"
    unknown = [i for i in ids if i not in {e["id"] for e in cited}]
    if unknown:
        return False, f"cites {', '.join(unknown)}, which the research did not find"
    for e in cited:
        ref = e.get("ref")
        passage = lookup(ref) if ref else None
        if passage is None or _norm(e["quote"]) not in _norm(passage):
            return False, f"quote not found in the knowledge base ({e['id']}: {e['source']})"
    quotes = " \n".join(e["quote"] for e in cited)
    context = quotes + " \n" + " \n".join(e.get("location", "") for e in cited)
    claim_tokens = checkable_tokens(text)
    quote_tokens = checkable_tokens(context)
    missing = _missing_fact(claim_tokens, quote_tokens, _norm(context).lower())
    if missing:
        return False, missing
    unbound = _unbound(claim_tokens, cited)
    if unbound:
        return False, unbound
    if _negated(text) and not _negated(quotes):
        return (
            False,
            "the claim says 'not' where the cited quote does not: the meaning may be flipped",
        )
    claim_words = content_words(_mask_tokens(text, claim_tokens))
    quote_words = content_words(context)
    if any(t.kind == "price" for t in quote_tokens):  # "$249 per user" says what it costs
        quote_words.update({_stem(w): w for w in ("cost", "pay", "sell")})
    shared = claim_words.keys() & quote_words.keys()
    missing_words = {claim_words[w] for w in claim_words.keys() - quote_words.keys()}
    coverage = len(shared) / len(claim_words) if claim_words else 1.0
    facts = [t for t in claim_tokens if t.kind != "strong"]
    numeric = [t for t in facts if t.kind not in ("name", "period")]
    if facts and coverage >= MIN_OVERLAP_WITH_FACTS:
        kinds = [k for k in _KIND_ORDER if k in {_KIND_WORDS[t.kind] for t in facts}]
        return True, f"the {_and(kinds)} {'is' if len(kinds) == 1 else 'are'} in the cited quote"
    if numeric:
        return False, (
            "the numbers match but the cited quote is about something else "
            f"(it does not mention {_list(missing_words)})"
        )
    needed = MIN_OVERLAP_WITH_FACTS if facts else MIN_OVERLAP_WORDS_ONLY
    if coverage < needed or len(shared) < min(MIN_SHARED_WORDS, len(claim_words)):
        return False, (
            f"the cited quote does not say this (it does not mention {_list(missing_words)})"
        )
    return True, "the cited quote says this in the same words"


_KIND_ORDER = ("price", "figure", "date", "number", "period", "name")
_KIND_WORDS = {
    "price": "price",
    "percent": "figure",
    "number": "number",
    "date": "date",
    "fraction": "figure",
    "name": "name",
    "period": "period",
}


def _mask_tokens(text: str, tokens: list[Token]) -> str:
    """The claim without its checked facts: what is left must be about the quote's subject."""
    for t in tokens:
        if t.kind == "name":
            text = re.sub(re.escape(t.text), " ", text, flags=re.IGNORECASE)
        elif t.kind != "strong":
            text = text.replace(t.text, " ")
    return text


def _list(words: set[str]) -> str:
    shown = sorted(words)[:4]
    return ", ".join(f"'{w}'" for w in shown) or "its words"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
