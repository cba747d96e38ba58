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

A stated saving must be one the quotes give ("save €59" where €59 is the offer price is not:
graphs/checks/savings.py).

The reasons are written for a marketer: "the price $199 is not in the cited quote (it says $149)".
`checkable_tokens(text)` lists what rule 3 checks, for tests and for the review card.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from typing_extensions import TypedDict

from graphs.checks.savings import saving_differs
from graphs.claim_tokens import Token, _stem, checkable_tokens, content_words
from graphs.claim_words import NEGATIONS
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


# -- matching ------------------------------------------------------------------------------------
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
    saving = saving_differs(text, [context], "the cited quote")  # "save €59" where €59 is a price
    if saving:
        return False, saving
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
