"""Customer quotes and their speakers: the facts the writer reads, and who said a quote.

A knowledge-base passage is often a quote alone, its speaker in the heading above it (the sample
kit's customers.md: `## Tom, Denver` then `"We saved $212 on heating…"`): the passage text alone
would reach the model without its speaker, and a send-back "Quote Tom from Denver by name" could
not be followed. So a quotation whose passage does not say who said it gets its speaker from the
passage's heading (the document's structure), the way the sheets write it:

    "We saved $212 on heating between November and March…" — Tom, Denver

A quote already attributed in its text (`"…" — Lena, Munich`, `Tom says "…"`) is left as it is,
and a heading that is no one's name ("What customers say", "Reviews", "page 2") adds nothing.
The claim checker (graphs/checks/fact_tokens.py `_testimonials`) reads the same heading as the
speaker, so a draft that quotes them this way is checked as `attributed`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from graphs.checks.fact_tokens import ORDINARY
from graphs.claim_words import COMMON

# A quotation: double quotes or guillemets; or single quotes that open after a space or the start
# and close before a space, punctuation or the end (so "don't" is no quote mark).
_QUOTATION = re.compile(
    r"[\"“„«](?P<d>[^\"“”„«»]{12,}?)[\"”»]|(?:(?<=\s)|^)['‘](?P<s>[^\n]{12,}?)['’](?=[\s,.;:!?—–-]|$)"
)
_DASH_AFTER = re.compile(r"^\s*[,.]?\s*(?:[-—–]+|\bsays\b|\bsaid\b|\bwrites\b|\bwrote\b)\s*\S")
_SAYS = re.compile(
    r"\b(?:says?|said|writes?|wrote|told us|tells us|according to|puts it|put it)\b", re.I
)
_NAME_BEFORE = re.compile(
    r"^\s*[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}\s*(?:,[^:\"“]{1,50})?\s*:\s*$"
)
_GENERIC = frozenset(
    """
    review reviews testimonial testimonials quote quotes quotation quotations praise press
    feedback voices story stories case study studies rating ratings result results proof
    customer customers client clients user users buyer buyers people says said what our
    paragraph page section chapter part introduction summary overview faq notes note
    materials material warranty battery delivery shipping returns awards award media
    """.split()
)
MAX_SPEAKER = 60  # characters of a heading that can be a speaker ("Dev, small office owner in…")


def quotations(text: str) -> list[re.Match[str]]:
    """The quotations in `text` (12 or more characters between quote marks)."""
    return list(_QUOTATION.finditer(text))


def attributed(text: str, quote: re.Match[str]) -> bool:
    """Whether the text says who said the quotation: a dash or "says" after it, "says"
    around it, or a name and a colon before it (`Tom, Denver: "…"`)."""
    after = text[quote.end() : quote.end() + 80]
    if _DASH_AFTER.match(after):
        return True
    before = text[: quote.start()]
    outside = before + " " + after
    return bool(_SAYS.search(outside)) or bool(before.strip() and _NAME_BEFORE.match(before))


def speaker_of(heading: str) -> str:
    """The heading as a speaker ("Tom, Denver"; "Dev, small office owner in Austin"), or "" when
    it names no one: the part before its first comma must be one to four capitalised words, none
    of them an ordinary word or a heading's ("Reviews", "What customers say", "page 3")."""
    heading = " ".join(str(heading or "").split()).strip(" #:-—–")
    if not heading or len(heading) > MAX_SPEAKER:
        return ""
    name = heading.split(",", 1)[0].strip()
    words = name.split()
    if not 1 <= len(words) <= 4:
        return ""
    for word in words:
        bare = word.strip(".'’()")
        if not bare or not bare[0].isupper() or not bare[0].isalpha():
            return ""
        low = bare.lower()
        if low in _GENERIC or low in ORDINARY or low in COMMON or any(c.isdigit() for c in bare):
            return ""
    return heading


def fact_line(text: str, heading: str = "") -> str:
    """One passage as the writer reads it: its words on one line, and its one quotation that
    does not say who said it followed by the speaker from the passage's heading."""
    return _fact_line(str(text), str(heading or ""))


@lru_cache(maxsize=4096)
def _fact_line(text: str, heading: str) -> str:
    # The same knowledge-base passages reach the writer's prompt for every draft of a product
    # (and every AI review round): each is read once per process.
    line = " ".join(text.split())
    found = quotations(line)
    if len(found) != 1 or attributed(line, found[0]):
        return line
    who = speaker_of(heading)
    if not who or who.lower() in line.lower():
        return line
    end = found[0].end()
    return f"{line[:end]} — {who}{line[end:]}"


def facts_lines(evidence: Sequence[Mapping[str, Any]]) -> list[str]:
    """The writer's facts: one line per passage not flagged as carrying instructions."""
    return [
        fact_line(str(e.get("quote") or ""), str(e.get("location") or ""))
        for e in evidence
        if not e.get("flags")
    ]


_ATTRIBUTION_TAIL = re.compile(
    r"^\s*[,.]?\s*(?:[-—–]+|says|said|writes|wrote)\s*[^\n.!?]{2,60}[.!?]?"
)


def keep_speaker(text: str, quote: str) -> str:
    """A short quote of a passage (an exact prefix of its text) that stops right after a
    quotation, extended by the attribution that follows it (`— Tom, Denver`): cut short, the
    quote would lose its speaker. Still an exact prefix of `text`."""
    text = text.strip()
    if not quote or not text.startswith(quote) or len(quote) >= len(text):
        return quote
    tail = _ATTRIBUTION_TAIL.match(text[len(quote) :])
    if not tail or not quotations(quote):
        return quote
    return text[: len(quote) + tail.end()].rstrip()


def asked_facts(
    feedback: Sequence[str], passages: Sequence[Mapping[str, Any]], known: Sequence[str] = ()
) -> list[dict[str, str]]:
    """The passages a send-back asks for by name that the writer's facts lack: "Quote Tom from
    Denver by name" needs Tom's quote, which the researcher's few searched passages may not
    have. Each is the passage whose heading or text names someone the latest send-back asks to
    quote or name, as evidence-like dicts ("quote", "location", "ref"); `known` are the quotes
    the writer has already."""
    from graphs.feedback_asks import name_asks, quote_asks

    if not feedback:
        return []
    note = feedback[-1]
    names = [a.who for a in quote_asks(note) if a.who] + name_asks(note)
    if not names:
        return []
    have = {" ".join(str(k).split()) for k in known}
    found: list[dict[str, str]] = []
    for p in passages:
        text = " ".join(str(p.get("text") or p.get("quote") or "").split())
        where = str(p.get("location") or "")
        said = f"{where}\n{text}"
        if not text or text in have:
            continue
        if any(re.search(r"(?<!\w)" + re.escape(n.split()[0]) + r"(?!\w)", said) for n in names):
            found.append({"quote": text, "location": where, "ref": str(p.get("id") or "")})
    return found[:MAX_ASKED]


MAX_ASKED = 3  # passages a send-back can add to the writer's facts


def quote_to_use(feedback: Sequence[str], lines: Sequence[str]) -> str:
    """The writer's fact line with the quote the latest send-back asks for ("Quote Tom from
    Denver": the line with a quotation that names Tom), or "" when it asks for none or no line
    has it."""
    from graphs.feedback_asks import quote_asks

    if not feedback:
        return ""
    for ask in quote_asks(feedback[-1]):
        if not ask.who:
            continue
        first = re.escape(ask.who.split()[0])
        for line in lines:
            if quotations(line) and re.search(r"(?<!\w)" + first + r"(?!\w)", line):
                return line
    return ""
