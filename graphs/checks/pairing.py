"""Which figure goes with which thing: a sentence whose every figure the fact sheet has can still
put a figure with the wrong thing. Read by the sentence check (graphs/checks/facts.py) on the
passage that would support the sentence.

- `mixed`: two figures the sheet gives for two different things, in one clause of the sentence
  ("For £9 a month, up to 5 people can use Ledgerly Solo": £9 is Solo's, 5 people Studio's), or
  swapped ("The thermostat costs $39, the sensors $149").
- `misplaced`: one price or percentage put with the thing the sheet gives another value of its
  kind to ("A pack of two room sensors costs $149" where the sheet says "The Brightloop 2
  thermostat costs $149. A pack of two room sensors costs $39."). The sentence's words around
  the figure name the other clause's subject (the words before its figure) and nothing that
  only the figure's own clause has.
- `wrong_pairing`: the first of the two that applies, in a marketer's words, or None.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from graphs.checks.fact_tokens import _Passage, carries, facts_of, flatten
from graphs.claim_tokens import Token, content_words

SHEET = "the fact sheet"


def wrong_pairing(facts: list[Token], p: _Passage, plain: str) -> str | None:
    """What the sentence pairs wrongly against passage `p`, or None."""
    return mixed(facts, p, plain) or misplaced(facts, p, plain)


_CLAUSE = re.compile(r"(?<=[.!?;])\s+|\n+")
_FIGURE_KINDS = ("price", "percent", "number", "date", "fraction")


_OWN_CLAUSE = re.compile(r";\s*|,?\s+(?:while|whereas)\s+|,\s+(?:but|and)\s+")


def mixed(facts: list[Token], p: _Passage, plain: str = "") -> str | None:
    """Figures the passage gives for two different things ("£9 a month" is Solo's price, "up to
    5 people" is Studio's): no clause carries both, and the clause of one gives another value of
    the other's kind. Returns what differs, or None."""
    figures = [f for f in facts if f.kind in _FIGURE_KINDS]
    if len(figures) < 2:
        return None
    clauses = _clauses(p.text)

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
            # another value of a's kind in b's clause: not a itself, nor b (the sheet's two
            # prices, each in its own clause, are not rivals of each other)
            rival = [
                t.text
                for t in clauses[at_b[0]][1]
                if t.kind == a.kind
                and not carries(a, [t], "")
                and not carries(b, [t], "")
                and t.kind != "name"
            ]
            if rival:
                return (
                    f"mixes two facts: {SHEET} gives {a.text} in “{_clip(clauses[at_a[0]][0])}” "
                    f"and {b.text} with {rival[0]} in “{_clip(clauses[at_b[0]][0])}”"
                )
            if a.kind == b.kind and _swapped(a, b, plain, clauses[at_a[0]][0], clauses[at_b[0]][0]):
                return (
                    f"swaps two facts: {SHEET} gives {a.text} in “{_clip(clauses[at_a[0]][0])}” "
                    f"and {b.text} in “{_clip(clauses[at_b[0]][0])}”"
                )
    return None


def _swapped(a: Token, b: Token, plain: str, sheet_a: str, sheet_b: str) -> bool:
    """Two values of one kind put with each other's things: the sentence's part (between
    commas) that gives `a` shares more words with the sheet's clause of `b` than with its own,
    and the part that gives `b` more with the clause of `a` ("The thermostat costs $39, the
    sensors $149" where the sheet prices the thermostat at $149, the sensors at $39)."""
    parts = _parts(plain.split(","))
    part_a, part_b = _part_with(a, parts), _part_with(b, parts)
    if part_a is None or part_b is None or part_a is part_b:
        return False
    own_a, own_b = content_words(sheet_a).keys(), content_words(sheet_b).keys()

    def leans(words: dict[str, str], own: Any, other: Any) -> bool:
        return len(words.keys() & other) > len(words.keys() & own)

    return leans(part_a, own_a, own_b) and leans(part_b, own_b, own_a)


Part = tuple[str, dict[str, str]]  # a part of the sentence: lower-cased text, content words


def _parts(pieces: list[str]) -> list[Part]:
    return [(flatten(c), content_words(c)) for c in pieces if c and c.strip()]


def _part_with(f: Token, parts: list[Part]) -> dict[str, str] | None:
    """The content words of the one part of the sentence that gives `f`; None when no part or
    several do."""
    found = [words for lower, words in parts if carries(f, facts_of(lower), lower)]
    return found[0] if len(found) == 1 else None


@lru_cache(maxsize=4096)
def _clauses(text: str) -> tuple[tuple[str, tuple[Token, ...], str], ...]:
    """A passage's clauses with their facts and lower-cased text, once per process."""
    return tuple((c, tuple(facts_of(c)), flatten(c)) for c in _CLAUSE.split(text) if c.strip())


def _clip(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


_MISPLACED_KINDS = ("price", "percent")


def misplaced(facts: list[Token], p: _Passage, plain: str) -> str | None:
    """A price or percentage of the sentence put with another thing than the sheet's: the
    passage has it in one clause ("The Brightloop 2 thermostat costs $149.") and another value
    of its kind in another clause whose subject the sentence names ("A pack of two room
    sensors costs $39."), and the sentence's part with the figure names nothing only its own
    clause has. Returns what differs, or None."""
    sheet = _clauses(p.text)
    parts = _parts(re.split(r",|" + _OWN_CLAUSE.pattern, plain))
    for f in facts:
        if f.kind not in _MISPLACED_KINDS:
            continue
        own = [i for i, (_, tokens, lower) in enumerate(sheet) if carries(f, tokens, lower)]
        if not own:
            continue
        part = _part_with(f, parts)
        said = (content_words(plain) if part is None else part).keys()
        own_words = set().union(*(content_words(sheet[i][0]).keys() for i in own))
        for i, (text, tokens, _) in enumerate(sheet):
            rival = next((t for t in tokens if t.kind == f.kind and not carries(f, [t], "")), None)
            if i in own or rival is None:
                continue
            subject = content_words(text[: max(text.find(rival.text), 0)]).keys() - own_words
            only_own = own_words - content_words(text).keys()
            if said & subject and not said & only_own:
                return (
                    f"puts {f.text} with the wrong thing: {SHEET} gives {f.text} in "
                    f"“{_clip(sheet[own[0]][0])}” and {rival.text} in “{_clip(text)}”"
                )
    return None
