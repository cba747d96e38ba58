"""A saving a text states must be a saving the facts give, not any price they give.

    problem = saving_differs("Save €59 with the code TRAIL30.", [sheet_text, offer])

"Save €59" is not supported by a sheet that prices the product at €79, or €59 with a code: €59
is a price there, and the saving is €20. An amount stated as a saving ("save €20", "saving of
€20", "€20 off", "a €20 discount", "€20 less") is supported when a source states that saving
itself, or when it is the difference between two prices one source gives in the same currency
(a passage's "€79 … €59", the brief's offer "€59 instead of €79"). Only money is checked here;
percentages ("save 23% on heating") stay with the sentence checker's figures.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from graphs.claim_tokens import _PRICE, Token, checkable_tokens

# Words before an amount that make it a saving ("save up to €20", "a discount of €20")
_BEFORE = re.compile(
    r"\b(?:save|saves|saved|saving|savings|discount|reduction)\s+"
    r"(?:(?:of|you|up\s+to|over|more\s+than|at\s+least|an?|extra|further|another|a\s+full)\s+)*$",
    re.IGNORECASE,
)
# ... and after it ("€20 off", "a €20 discount", "€20 less", "€20 cheaper")
_AFTER = re.compile(r"^\s*(?:off|less|cheaper|discount|saving|savings|reduction)\b", re.IGNORECASE)

Money = tuple[str, float]


def _money(token: Token) -> Money:
    currency, amount, _periods = token.value
    return str(currency), round(float(amount), 2)


def _show(money: Money, like: Sequence[Token]) -> str:
    """An amount as the sources write their currency ("€20", "$110")."""
    currency, amount = money
    sign = next((t.text[0] for t in like if t.value[0] == currency and not t.text[0].isalnum()), "")
    figure = f"{amount:,.2f}".rstrip("0").rstrip(".") if amount % 1 else f"{int(amount):,}"
    return f"{sign}{figure}" if sign else f"{figure} {currency}"


def savings_in(text: str) -> list[Token]:
    """The money amounts `text` states as savings."""
    out = []
    for m in _PRICE.finditer(text):
        if _BEFORE.search(text[: m.start()]) or _AFTER.match(text[m.end() :]):
            out += [t for t in checkable_tokens(m.group(0)) if t.kind == "price"]
    return out


# A source that gives an offer: its two prices are a price before and after ("€59 instead of
# €79", "Until 30 April it costs €59 with the code"), so their difference is worth naming.
_OFFER = re.compile(
    r"\b(?:instead of|was|now|until|with the code|code|reduced|down from|offer|discount|sale)\b",
    re.IGNORECASE,
)

Pair = tuple[Money, Money, Money, bool]  # saving, higher price, lower price, an offer's two


@lru_cache(maxsize=4096)
def _given(text: str) -> tuple[frozenset[Money], tuple[Pair, ...]]:
    """A source's savings: those it states, and (saving, higher, lower, offer) for each two
    prices of one currency and period it gives (read once per process: passages are shared by
    drafts). `offer`: the source gives just those two prices, with an offer's words."""
    stated = frozenset(_money(t) for t in savings_in(text))
    prices = [t for t in checkable_tokens(text) if t.kind == "price"]
    # an offer: the source gives just two prices of that currency, with an offer's words
    amounts: dict[str, set[Money]] = {}
    for t in prices:
        amounts.setdefault(str(t.value[0]), set()).add(_money(t))
    worded = _OFFER.search(text) is not None
    pairs = []
    for high in prices:
        for low in prices:
            (c1, a1), (c2, a2) = _money(high), _money(low)
            if c1 == c2 and a1 > a2 and high.value[2] == low.value[2]:
                offer = worded and len(amounts[c1]) == 2
                pairs.append(((c1, round(a1 - a2, 2)), (c1, a1), (c2, a2), offer))
    return stated, tuple(pairs)


def saving_differs(
    sentence: str, sources: Sequence[str], where: str = "the fact sheet"
) -> str | None:
    """What differs when `sentence` states a saving no source gives, in a marketer's words
    ("says you save €59; the saving in the fact sheet is €20, from €79 to €59"); None when every
    saving it states is given, or it states none. `where`: what the sources are called."""
    said = savings_in(sentence)
    if not said:
        return None
    stated: set[Money] = set()
    derived: set[Money] = set()
    offers: dict[Money, tuple[Money, Money]] = {}  # an offer's saving: its price before, after
    for text in sources:
        if not text:
            continue
        own, pairs = _given(text)
        stated |= own
        for saving, high, low, offer in pairs:
            derived.add(saving)
            if offer:
                offers.setdefault(saving, (high, low))
    prices = [t for text in sources if text for t in checkable_tokens(text) if t.kind == "price"]
    for token in said:
        money = _money(token)
        if money in stated or money in derived:
            continue
        known = sorted(s for s in stated | set(offers) if s[0] == money[0])
        if not known:
            return f"says you save {token.text}; there is no such saving in {where}"
        best = known[0]
        why = ""
        if best in offers and best not in stated:
            high, low = offers[best]
            why = f", from {_show(high, prices)} to {_show(low, prices)}"
        return f"says you save {token.text}; the saving in {where} is {_show(best, prices)}{why}"
    return None
