"""Sentence-level fact check of the text that would go out. Deterministic, no model.

    checks = check_text(body, passages, product="Brightloop 2")

Every sentence of the text (citation marks such as `[1]` removed, links and addresses masked)
is read for checkable facts: prices, percentages, numbers with their units, dates, fractions,
codes and names (of products and people). A sentence with facts is matched against **all** the
passages given (the product's knowledge), not only the one the model cited:

- `supported`: one passage (or, failing that, two together) carries every fact; the check says
  which (`passage_id`, `source`);
- `unsupported`: a fact is in none of them; `differs` says what, in a marketer's words
  ("says €79; the fact sheet says €59"); a customer's words restated as the brand's own claim
  are unsupported too ("restates a customer's words as the brand's own claim");
- `attributed`: a quote in quotation marks, said by someone the sentence names, and found in
  the passages;
- `no_facts`: nothing to check (greetings, calls to action, plain prose).

Unit variants match ("12-week" / "12 weeks", "90 minutes" / "an hour and a half",
"€59" / "59 EUR"); ordinary capitalised words (sentence starts, headings, common words) are not
names. `known` texts (the brief, the brand's settings, the contact) support facts as well.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from graphs.verifier import COMMON, Token, checkable_tokens, content_words

Status = Literal["supported", "unsupported", "no_facts", "attributed"]
FACT_KINDS = ("price", "percent", "number", "date", "fraction", "name")
KNOWN_ID = "brief"  # passage_id of facts found in the `known` texts
SHEET = "the fact sheet"


@dataclass
class SentenceCheck:
    """The verdict on one sentence of the text that goes out."""

    sentence: str  # as it goes out, without citation marks
    status: Status
    facts: list[str]  # the checkable facts, as written
    passage_id: str | None  # the passage that supports it (the first, when two do together)
    source: str | None  # where that passage comes from ("pricing.md › Price")
    differs: str | None  # what does not match, in plain words ("says €79; the fact sheet ...")
    supported_by: list[str] = field(default_factory=list)  # every supporting passage id


# -- text preparation ----------------------------------------------------------------------------
CITATION = re.compile(r"\s*\[(?:E?\d+(?:\s*(?:,|;|-|–|and)\s*E?\d+)*)\]")
_URL = re.compile(r"\bhttps?://\S+|\bwww\.\S+|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b", re.IGNORECASE)
_MD_LINK = re.compile(r"\[([^\]]+)\]\((?:[^)]+)\)")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9€$£#])")
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
    text = _MD_LINK.sub(r"\1", sentence)
    text = _BULLET.sub("", text)
    text = _EMPHASIS.sub(r"\2", text)
    text = _URL.sub(" ", text)
    return " ".join(text.split()), heading


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
    return re.search(r"\b[a-z][\w,’']*\s+" + re.escape(word) + r"\b", context) is not None


def _name_facts(tokens: list[Token], text: str, heading: bool, context: str) -> list[Token]:
    """Keep the name tokens that are names: not ordinary words, not a lone sentence start or a
    heading's capitalised word (unless the draft or the passages capitalise it mid-sentence)."""
    kept: list[Token] = []
    heading = heading or _title_case(text)
    for t in tokens:
        if t.kind != "name":
            continue
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


_QUOTED = re.compile(r"[\"“”„«]([^\"“”„«»]{12,}?)[\"“”»]")
_ATTRIBUTION_AFTER = re.compile(r"^\s*[,.]?\s*(?:[-—–]+|says|said|writes|wrote)\s*([^\n.]{2,60})")


def _testimonials(text: str, location: str) -> list[tuple[str, str, list[Token]]]:
    """Quoted words in a passage and who said them (the text after a dash, else the heading)."""
    found = []
    for m in _QUOTED.finditer(text):
        after = _ATTRIBUTION_AFTER.match(text[m.end() : m.end() + 80])
        who = (after.group(1) if after else location).strip() or "a customer"
        found.append((m.group(1).strip(), who, facts_of(m.group(1))))
    return found


def _prepare(passages: Sequence[Mapping[str, Any]]) -> list[_Passage]:
    prepared = []
    for n, p in enumerate(passages, start=1):
        text = str(p.get("text") or p.get("quote") or "")
        location = str(p.get("location") or "")
        source = str(p.get("source") or "")
        full = f"{location}\n{text}" if location and location not in text else text
        prepared.append(
            _Passage(
                id=str(p.get("id") or p.get("ref") or f"P{n}"),
                source=f"{source} › {location}" if source and location else source or location,
                text=full,
                lower=flatten(full),
                tokens=facts_of(full),
                quotes=_testimonials(text, location),
                words=dict(_content_words(full)),
            )
        )
    return prepared


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


# -- the check -----------------------------------------------------------------------------------
def check_text(
    text: str,
    passages: Sequence[Mapping[str, Any]],
    *,
    product: str | None = None,
    known: Sequence[str] = (),
) -> list[SentenceCheck]:
    """One check per sentence of `text`, in order.

    `passages`: the product's knowledge, dicts with "id", "text" and "source" (also accepted:
    "ref", "quote", "location"). `product`: the product's name (a fact in itself). `known`: other
    texts whose facts may be used (the brief, the brand's settings, the contact's name).
    """
    prepared = _prepare(passages)
    known_text = "\n".join([*(k for k in known if k), product or ""])
    known_tokens = facts_of(known_text)
    known_lower = flatten(known_text)
    context = "\n".join([strip_citations(text), known_text, *(p.text for p in prepared)])
    checks: list[SentenceCheck] = []
    for sentence in split_sentences(text):
        # a word counts as a name when it is capitalised mid-sentence *elsewhere*: a title-case
        # subject ("Discover the Ultimate Solution...") is no evidence for its own words
        elsewhere = context.replace(sentence, " ")
        checks.append(_check_sentence(sentence, prepared, known_tokens, known_lower, elsewhere))
    return checks


def _check_sentence(
    sentence: str,
    passages: list[_Passage],
    known_tokens: list[Token],
    known_lower: str,
    context: str,
) -> SentenceCheck:
    plain, heading = _plain(sentence)

    def verdict(
        status: Status,
        facts: list[Token],
        by: list[_Passage] | None = None,
        differs: str | None = None,
    ) -> SentenceCheck:
        by = by or []
        return SentenceCheck(
            sentence=sentence,
            status=status,
            facts=list(dict.fromkeys(t.text.strip(" .,;:!?") for t in facts)),
            passage_id=by[0].id if by else None,
            source="; ".join(dict.fromkeys(p.source for p in by if p.source)) or None,
            differs=differs,
            supported_by=[p.id for p in by],
        )

    if len(plain) < 60 and (_GREETING.match(plain) or _SIGNATURE.match(plain)):
        return verdict("no_facts", [])
    quote = _quote_verdict(plain, passages)
    tokens = facts_of(plain)
    names = _name_facts(tokens, plain, heading, context)
    facts = [t for t in tokens if t.kind != "name" and _is_fact(t)] + names
    if quote is not None:
        status, by, differs = quote
        return verdict(status, facts, by, differs)
    if not facts:
        restated = _restated(plain, passages)
        if restated:
            return verdict("unsupported", facts, [restated[0]], restated[1])
        return verdict("no_facts", [])
    # Facts the brief or the brand's settings give need no passage.
    open_facts = [f for f in facts if not carries(f, known_tokens, known_lower)]
    if not open_facts:
        known_passage = _Passage(KNOWN_ID, "the brief", "", "", [], [], {})
        return verdict("supported", facts, [known_passage])
    support = _support(open_facts, plain, passages)
    if support is None:
        return verdict("unsupported", facts, [], _differs(open_facts, plain, passages))
    by, only_quoted = support
    if only_quoted is not None:
        return verdict("unsupported", facts, by, only_quoted)
    return verdict("supported", facts, by)


def _support(
    facts: list[Token], plain: str, passages: list[_Passage]
) -> tuple[list[_Passage], str | None] | None:
    """The passages that carry every fact: one if it can, else two; None when none do.

    A figure a passage has only inside a customer's quote does not support the brand saying it:
    then the second element says so."""
    words = content_words(plain)

    def overlap(p: _Passage) -> int:
        return len(words.keys() & p.words.keys())

    full = [p for p in passages if all(carries(f, p.tokens, p.lower) for f in facts)]
    if full:
        full.sort(key=overlap, reverse=True)
        outside = [p for p in full if _outside_quotes(facts, p)]
        unmixed = [p for p in outside if not _mixed(facts, p, plain)]
        if unmixed:
            return unmixed, None
        if outside:
            return outside, _mixed(facts, outside[0], plain)
        who = next((q[1] for q in full[0].quotes), "a customer")
        return full, (
            f"{SHEET} has this only in a customer's words ({who}): quote them and say who "
            "said it, rather than making it the brand's own claim"
        )
    quoted_pair: list[_Passage] | None = None
    for a in passages:
        got = [f for f in facts if carries(f, a.tokens, a.lower)]
        left = [f for f in facts if f not in got]
        if not got or not left:
            continue
        for b in passages:
            if b is not a and all(carries(f, b.tokens, b.lower) for f in left):
                if _outside_quotes(got, a) and _outside_quotes(left, b):
                    return [a, b], None
                quoted_pair = quoted_pair or [a, b]
    if quoted_pair is not None:
        # e.g. "840 grams, the perfect choice for a four-day hike in the Alps": the weight is
        # the sheet's, the four-day hike in the Alps only a customer's
        who = next((q[1] for p in quoted_pair for q in p.quotes), "a customer")
        return quoted_pair, (
            f"{SHEET} has part of this only in a customer's words ({who}): quote them and say "
            "who said it, rather than making it the brand's own claim"
        )
    return None


_CLAUSE = re.compile(r"(?<=[.!?;])\s+|\n+")
_FIGURE_KINDS = ("price", "percent", "number", "date", "fraction")


_OWN_CLAUSE = re.compile(r";\s*|,?\s+(?:while|whereas)\s+|,\s+(?:but|and)\s+")


def _mixed(facts: list[Token], p: _Passage, plain: str = "") -> str | None:
    """Figures the passage gives for two different things ("£9 a month" is Solo's price, "up to
    5 people" is Studio's): no clause carries both, and the clause of one gives another value of
    the other's kind. Returns what differs, or None."""
    figures = [f for f in facts if f.kind in _FIGURE_KINDS]
    if len(figures) < 2:
        return None
    clauses = [(c, facts_of(c), flatten(c)) for c in _CLAUSE.split(p.text) if c.strip()]

    def where(f: Token) -> list[int]:
        return [i for i, (_, tokens, lower) in enumerate(clauses) if carries(f, tokens, lower)]

    # the sentence's own clauses: "Solo costs £9 a month, while Studio costs £24 a month for up
    # to 5 people" keeps each figure with its own thing, as the sheet does
    own = [(facts_of(c), flatten(c)) for c in _OWN_CLAUSE.split(plain) if c.strip()]

    def together(a: Token, b: Token) -> bool:
        return not own or any(
            carries(a, tokens, lower) and carries(b, tokens, lower) for tokens, lower in own
        )

    for a in figures:
        for b in figures:
            if a is b or not together(a, b):
                continue
            at_a, at_b = where(a), where(b)
            if not at_a or not at_b or set(at_a) & set(at_b):
                continue
            rival = [
                t.text
                for t in clauses[at_b[0]][1]
                if t.kind == a.kind and not carries(a, [t], "") and t.kind != "name"
            ]
            if rival:
                return (
                    f"mixes two facts: {SHEET} gives {a.text} in “{_clip(clauses[at_a[0]][0])}” "
                    f"and {b.text} with {rival[0]} in “{_clip(clauses[at_b[0]][0])}”"
                )
    return None


def _clip(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _outside_quotes(facts: list[Token], p: _Passage) -> bool:
    """Whether every figure of `facts` is in the passage outside its customers' quotes."""
    if not p.quotes:
        return True
    lower = p.lower
    for quoted, _, _ in p.quotes:
        lower = lower.replace(flatten(quoted), " ")
    rest = facts_of(lower)
    return all(f.kind == "name" or carries(f, rest, lower) for f in facts)


_PHONE = re.compile(r"(?<![\w€$£])\+?\(?\d[\d ()-]{6,}\d(?![\w%])")


def _differs(facts: list[Token], plain: str, passages: list[_Passage]) -> str:
    """What the sentence says that no passage does, with what the closest passage says."""
    words = content_words(plain)
    missing = [f for f in facts if not any(carries(f, p.tokens, p.lower) for p in passages)]
    if not missing:
        return f"no one passage of {SHEET} says all of this together"
    phone = _PHONE.search(plain)
    if phone and any(f.text.strip(" .,;:!?") in phone.group(0) for f in missing):
        return (
            f"gives the phone number {phone.group(0)}, which is in neither {SHEET} nor the "
            "brand's settings"
        )

    def closeness(p: _Passage) -> tuple[int, int]:
        same = sum(1 for f in facts if carries(f, p.tokens, p.lower))
        return same, len(words.keys() & p.words.keys())

    ranked = sorted(passages, key=closeness, reverse=True)
    parts = []
    for fact in missing[:2]:
        # what the closest passage that has a figure of this kind says instead
        alt = next((a for a in (_alternatives(fact, p) for p in ranked) if a), [])
        if fact.kind == "name":
            parts.append(f"names '{fact.text}', which {SHEET} does not mention")
        elif alt:
            parts.append(f"says {fact.text}; {SHEET} says {' or '.join(alt[:2])}")
        else:
            parts.append(f"says {fact.text}, which is not in {SHEET}")
    return "; ".join(parts)


def _alternatives(fact: Token, p: _Passage) -> list[str]:
    """The passage's facts of the same kind (and unit), as written."""
    out: list[str] = []
    if fact.kind == "number" and fact.value[0] is None:
        return out  # a bare number: any other number of the sheet is no hint
    for q in p.tokens:
        if q.kind != fact.kind and not {q.kind, fact.kind} <= {"percent", "fraction"}:
            continue
        if fact.kind == "number" and fact.value[0] is not None and q.value[0] != fact.value[0]:
            continue
        out.append(q.text)
    if fact.kind == "price":  # the same currency first
        same = [q.text for q in p.tokens if q.kind == "price" and q.value[0] == fact.value[0]]
        out = same + [o for o in out if o not in same]
    return list(dict.fromkeys(out))


# -- quotes --------------------------------------------------------------------------------------
_SAYS = re.compile(
    r"\b(?:says?|said|writes?|wrote|told us|tells us|according to|in (?:his|her|their) words)\b"
    r"|[-—–]\s*[A-Z]",
    re.IGNORECASE,
)
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|my|me|we|we're|we've|our|us)\b")
MIN_QUOTE_OVERLAP = 0.6


def _quote_match(words: dict[str, str], quotes: Iterable[tuple[str, str, list[Token]]]) -> Any:
    for quoted, who, _ in quotes:
        theirs = content_words(quoted)
        if len(theirs) < 3:
            continue
        shared = words.keys() & theirs.keys()
        if len(shared) >= 3 and len(shared) / len(theirs) >= MIN_QUOTE_OVERLAP:
            return quoted, who
    return None


def _quote_verdict(
    plain: str, passages: list[_Passage]
) -> tuple[Status, list[_Passage], str | None] | None:
    """A sentence that quotes someone: attributed when the quote is in the passages and the
    sentence says who said it; None when the sentence quotes nobody."""
    m = _QUOTED.search(plain)
    if not m:
        return None
    quoted = m.group(1)
    words = content_words(quoted)
    if len(words) < 3:
        return None  # a quoted word or title, not a quotation
    for p in passages:
        found = _quote_match(words, p.quotes) or (
            (quoted, "") if flatten(quoted).strip(" .,!") in p.lower else None
        )
        if not found:
            continue
        _, who = found
        outside = (plain[: m.start()] + " " + plain[m.end() :]).strip()
        named = who and any(
            _has_phrase(part, flatten(outside)) for part in re.split(r"[,;(]", who)[:1] if part
        )
        if named or _SAYS.search(outside):
            return "attributed", [p], None
        return (
            "unsupported",
            [p],
            (f"quotes {who or 'a customer'} without saying who said it: add their name"),
        )
    return "unsupported", [], f"the quote is not in {SHEET}"


def _restated(plain: str, passages: list[_Passage]) -> tuple[_Passage, str] | None:
    """A customer's words, unquoted: the brand claims what a customer said."""
    words = content_words(plain)
    for p in passages:
        found = _quote_match(words, p.quotes)
        if found:
            _, who = found
            return p, (
                f"restates a customer's words ({who}) as the brand's own claim: quote them and "
                "say who said it"
            )
    return None


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


def check_args(
    args: Mapping[str, Any],
    passages: Sequence[Mapping[str, Any]],
    brief: Mapping[str, Any],
    brand: Mapping[str, Any] | None = None,
) -> list[SentenceCheck]:
    """`check_text` of an action's outgoing text, with the brief and the brand as known texts."""
    return check_text(
        outgoing(args),
        passages,
        product=str(brief.get("product") or "") or None,
        known=known_from(brief, brand),
    )


def as_dict(check: SentenceCheck) -> dict[str, Any]:
    """JSON form (for the gate's payload, the audit, the page)."""
    return {
        "sentence": check.sentence,
        "status": check.status,
        "facts": list(check.facts),
        "passage_id": check.passage_id,
        "source": check.source,
        "differs": check.differs,
        "supported_by": list(check.supported_by),
    }
