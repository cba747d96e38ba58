"""Learning from edits: a person's edits and send-backs become brand rules the next drafts follow.

The rules are plain sentences on the Brand page (graphs/brand.py), where the marketer sees,
edits and deletes them. From a send-back, a note that reads as a rule ("never say 'not
perfect'", "sign as The Northpeak team", "always mention the warranty") is kept as written. From
an edit, a short phrase the person cut out becomes "Never say '…'", and a signature they changed
becomes "Sign emails as '…'".

A cut is not always a ban: a person who rephrases "The Brightloop 2 thermostat costs $149" still
sells the Brightloop 2. No "Never say" rule is learned for a phrase that names the product or the
brand (a capitalised word of the brief's product, the brand's name or its products), that the
knowledge base or the brief uses in a sentence about the product, that is still in the edited
text, or that the edit only reworded (the words it put in place share a word with it).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_RULE_LIKE = re.compile(
    r"^\s*(never|always|don'?t|do not|avoid|sign (as|off|with)|call (it|us|the)|use|no more|"
    r"stop)\b",
    re.IGNORECASE,
)
MAX_PHRASE_WORDS = 5
MAX_FROM_EDIT = 3


def rules_from_feedback(feedback: str) -> list[str]:
    """A send-back note that reads as a rule, as written (one rule per sentence)."""
    out = []
    for sentence in re.split(r"(?<=[.!?;])\s+|\n+", feedback.strip()):
        sentence = sentence.strip().rstrip(".;")
        if sentence and _RULE_LIKE.match(sentence) and len(sentence) <= 200:
            out.append(sentence[0].upper() + sentence[1:])
    return out


_TOKEN = re.compile(r"[\w'’-]+|[^\w\s]")


def _tokens(text: str) -> list[re.Match[str]]:
    """Words and punctuation marks apart: cutting "Look no further." after "a game-changer!"
    deletes the words "Look no further", not "game-changer! Look no further"."""
    return list(_TOKEN.finditer(text))


# Words that say nothing of their own: a phrase is about the product when it shares another word.
_STOP = frozenset(
    "a an the and or of for to in on at by with from our your its it is are be this that".split()
)
_WORD = re.compile(r"[\w’'-]+")


def _words_of(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


def _content(text: str) -> set[str]:
    return {w for w in _words_of(text) if w not in _STOP and not w.isdigit()}


def _said(phrase: str, text: str) -> bool:
    """Whether `phrase` is in `text` as whole words (case, spacing and curly quotes aside)."""
    words = _words_of(phrase)
    if not words:
        return False
    pattern = r"(?<![\w'-])" + r"[^\w'-]+".join(re.escape(w) for w in words) + r"(?![\w'-])"
    return re.search(pattern, " ".join(text.replace("’", "'").lower().split())) is not None


@dataclass(frozen=True)
class Protected:
    """What a learned "Never say" rule must leave alone: the product's and the brand's own
    names, and the sentences of the knowledge base and the brief that are about the product."""

    names: frozenset[str] = frozenset()  # lower-cased name words ("brightloop", "trailhead")
    about: tuple[str, ...] = ()  # sentences of the sources that name the product

    def covers(self, phrase: str) -> bool:
        if set(_words_of(phrase)) & self.names:
            return True
        return any(_said(phrase, sentence) for sentence in self.about)


def protected(
    brief: Mapping[str, Any], brand_names: Iterable[str] = (), sources: Iterable[str] = ()
) -> Protected:
    """The names and product sentences of a brief, its brand (`brand_names`: the brand's name
    and its products) and the knowledge it was drafted from (`sources`: passages, quotes)."""
    product = str(brief.get("product") or "")
    # A name's own words: the capitalised ones ("Trailhead", not "backpack"), all of a brand's.
    names = {w.lower() for w in re.findall(r"\b[A-Z][\w’'-]*", product) if len(w) > 2}
    for name in brand_names:
        names |= {w for w in _words_of(str(name)) if len(w) > 2 and w not in _STOP}
    names -= _STOP
    about = []
    texts = [*(str(v) for v in brief.values() if isinstance(v, str)), *map(str, sources)]
    for text in texts:
        for sentence in re.split(r"(?<=[.!?;])\s+|\n+", text):
            if names & set(_words_of(sentence)) or (product and _said(product, sentence)):
                about.append(sentence)
    return Protected(frozenset(names), tuple(about))


def rules_from_edit(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    signature: str = "",
    keep: Protected = Protected(),
) -> list[str]:
    """Short phrases the person cut from the copy, and a changed signature. `keep`: what no
    "Never say" rule may ban (the product's and brand's names, the sources' words for it)."""
    rules: list[str] = []
    kept = " ".join(str(after.get(key, "")) for key in ("body", "text", "subject", "title"))
    for key in ("body", "text", "subject", "title"):
        old, new = str(before.get(key, "")), str(after.get(key, ""))
        if not old or old == new:
            continue
        if signature and key == "body" and signature in old and signature not in new:
            tail = [line.strip() for line in new.split("\n--\n")[0].splitlines() if line.strip()]
            if tail and len(tail[-1]) <= 60:
                rules.append(f"Sign emails as '{tail[-1]}'")
        a, b = _tokens(old), _tokens(new)
        matcher = difflib.SequenceMatcher(
            a=[m.group(0) for m in a], b=[m.group(0) for m in b], autojunk=False
        )
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            words = [m for m in a[i1:i2] if re.match(r"[\w'’-]", m.group(0))]
            if op in ("delete", "replace") and 0 < len(words) <= MAX_PHRASE_WORDS:
                phrase = old[words[0].start() : words[-1].end()].strip(" ,.;:!?\"'")
                if len(phrase) >= 4 and not re.fullmatch(r"[\d\W]+", phrase) and "\n" not in phrase:
                    put = " ".join(m.group(0) for m in b[j1:j2])
                    if _bans(phrase, put, kept, keep):
                        rules.append(f"Never say '{phrase}'")
    return list(dict.fromkeys(rules))[:MAX_FROM_EDIT]


def _kin(a: str, b: str) -> bool:
    """One word in another form ("setting" / "set", "saves" / "save"); hyphenated words whole."""
    if a == b:
        return True
    if "-" in a or "-" in b or "'" in a or "'" in b:
        return False
    short, long = sorted((a, b), key=len)
    return len(short) >= 3 and long.startswith(short)


def _bans(phrase: str, put: str, kept: str, keep: Protected) -> bool:
    """Whether cutting `phrase` (with `put` written in its place, `kept` the edited text) says
    "never say it": not when it names the product or the brand, or is the sources' word for the
    product, or is still in the text, or was only reworded (a word of it written in its place,
    or every word of it still in the text in some form)."""
    if keep.covers(phrase) or _said(phrase, kept):
        return False
    words, put_words, kept_words = _content(phrase), _content(put), _content(kept)
    if any(_kin(w, p) for w in words for p in put_words):
        return False
    return not (words and all(any(_kin(w, k) for k in kept_words) for w in words))


def learn(
    home: Any,
    brief: Mapping[str, Any],
    before: Mapping[str, Any],
    decision: Mapping[str, Any],
    sources: Sequence[str] = (),
) -> list[str]:
    """Add the rules a decision teaches to the campaign's brand; returns the rules added.
    `sources`: the knowledge the draft was written from (passages, quotes): a phrase they use
    for the product is never banned."""
    from graphs.brand import BrandBook

    book = BrandBook(home)
    brand = book.for_brief(brief)
    if decision.get("type") == "revise":
        rules = rules_from_feedback(str(decision.get("feedback", "")))
        origin = "send back"
    elif decision.get("type") == "edit":
        keep = protected(brief, [brand.name, *brand.products], sources)
        rules = rules_from_edit(before, decision.get("args") or {}, brand.signature, keep)
        origin = "edit"
    else:
        return []
    if not rules:
        return []
    if brand.name not in {b.name for b in book.all()}:
        book.save(brand)  # a brand made up for the product: keep it, with its rules
    for rule in rules:
        book.add_rule(brand.name, rule, origin=origin)
    return rules
