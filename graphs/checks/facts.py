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
"€59" / "59 EUR"); a saving must be one the sheet gives ("save €59" where €79 is €59 with the
code is unsupported: graphs/checks/savings.py); ordinary capitalised words (sentence starts,
headings, common words) are not names. `known` texts (the brief, the brand's settings, the contact) support facts as well.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from graphs.checks.fact_tokens import (  # noqa: F401 - FACT_KINDS importable from here too
    _QUOTED,
    FACT_KINDS,
    _has_phrase,
    _is_fact,
    _name_facts,
    _Passage,
    _prepare,
    carries,
    facts_of,
    flatten,
)
from graphs.checks.pairing import SHEET, wrong_pairing
from graphs.checks.savings import saving_differs
from graphs.checks.sentences import (
    _GREETING,
    _SIGNATURE,
    _plain,
    known_from,
    outgoing,
    split_sentences,
    strip_citations,
)
from graphs.claim_tokens import Token, content_words
from graphs.quotes import speaker_of

Status = Literal["supported", "unsupported", "no_facts", "attributed"]
KNOWN_ID = "brief"  # passage_id of facts found in the `known` texts


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
        checks.append(
            _check_sentence(sentence, prepared, known_tokens, known_lower, elsewhere, known_text)
        )
    return checks


def _check_sentence(
    sentence: str,
    passages: list[_Passage],
    known_tokens: list[Token],
    known_lower: str,
    context: str,
    known_text: str = "",
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
    # a saving is a difference of two prices, not any price the sheet gives ("save €59" where
    # the sheet's €79 is €59 with the code): the brief's offer counts as a source
    saving = saving_differs(plain, [known_text, *(p.text for p in passages)], SHEET)
    if saving is not None:
        return verdict("unsupported", facts, [], saving)
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

    full = [p for p in passages if all(p.carried(f) for f in facts)]
    if full:
        full.sort(key=overlap, reverse=True)
        outside = [p for p in full if _outside_quotes(facts, p)]
        unmixed = [p for p in outside if not wrong_pairing(facts, p, plain)]
        if unmixed:
            return unmixed, None
        if outside:
            return outside, wrong_pairing(facts, outside[0], plain)
        who = next((q[1] for q in full[0].quotes), "a customer")
        return full, (
            f"{SHEET} has this only in a customer's words ({who}): quote them and say who "
            "said it, rather than making it the brand's own claim"
        )
    quoted_pair: list[_Passage] | None = None
    for a in passages:
        got = [f for f in facts if a.carried(f)]
        left = [f for f in facts if f not in got]
        if not got or not left:
            continue
        for b in passages:
            if b is not a and all(b.carried(f) for f in left):
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
    missing = [f for f in facts if not any(p.carried(f) for p in passages)]
    if not missing:
        return f"no one passage of {SHEET} says all of this together"
    phone = _PHONE.search(plain)
    if phone and any(f.text.strip(" .,;:!?") in phone.group(0) for f in missing):
        return (
            f"gives the phone number {phone.group(0)}, which is in neither {SHEET} nor the "
            "brand's settings"
        )

    def closeness(p: _Passage) -> tuple[int, int]:
        same = sum(1 for f in facts if p.carried(f))
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
        theirs = _quote_words(quoted)
        if len(theirs) < 3:
            continue
        shared = words.keys() & theirs
        if len(shared) >= 3 and len(shared) / len(theirs) >= MIN_QUOTE_OVERLAP:
            return quoted, who
    return None


@lru_cache(maxsize=4096)
def _quote_words(quoted: str) -> frozenset[str]:
    """A customer quote's content words (stems), once per process: every sentence of every
    draft is compared with the same passages' quotes."""
    return frozenset(content_words(quoted))


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
    if len(words) < 3 and not _part_of_a_quote(quoted, passages):
        return None  # a quoted word or title, not a quotation
    for p in passages:
        found = _quote_match(words, p.quotes) or (
            (quoted, "") if flatten(quoted).strip(" .,!…") in p.lower else None
        )
        if not found:
            continue
        _, who = found
        outside = (plain[: m.start()] + " " + plain[m.end() :]).strip()
        named = who and any(
            _has_phrase(part, flatten(outside)) for part in re.split(r"[,;(]", who)[:1] if part
        )
        # graphs/quotes.py (wr): a figure the customer never said is a misquote; a customer the
        # passage names is quoted by name, not "says Maria" for Tom's words
        misquoted = [
            f.text
            for f in facts_of(quoted)
            if f.kind != "name" and _is_fact(f) and not p.carried(f)
        ]
        if misquoted:
            return (
                "unsupported",
                [p],
                (
                    f"quotes {who or 'a customer'} saying {', '.join(misquoted)}, which their words "
                    f"in {SHEET} do not have"
                ),
            )
        if not named and speaker_of(who):
            return "unsupported", [p], f"quotes {who} without naming them: add their name"
        if named or _SAYS.search(outside):
            return "attributed", [p], None
        return (
            "unsupported",
            [p],
            (f"quotes {who or 'a customer'} without saying who said it: add their name"),
        )
    return "unsupported", [], f"the quote is not in {SHEET}"


def _part_of_a_quote(quoted: str, passages: list[_Passage]) -> bool:
    """Four or more words a customer said, word for word ("We saved $212 on heating")."""
    said = flatten(quoted).strip(" .,!?…")  # "…": a quote cut short is still their words
    return len(said.split()) >= 4 and any(
        said in flatten(q) for p in passages for q, _, _ in p.quotes
    )


def _restated(plain: str, passages: list[_Passage]) -> tuple[_Passage, str] | None:
    """A customer's words, unquoted: the brand claims what a customer said."""
    words = content_words(plain)
    for p in passages:
        found = _quote_match(words, p.quotes) if p.quotes else None
        if found:
            _, who = found
            return p, (
                f"restates a customer's words ({who}) as the brand's own claim: quote them and "
                "say who said it"
            )
    return None


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
