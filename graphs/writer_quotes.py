"""writer_quotes: a customer's words that the draft made the brand's own claim, put back in their
own words and with their name.

The sample kit's customers say "We saved $212 on heating…" (Tom, Denver); the 0.5B model writes
"We saved $212 on heating…" as the brand, and keeps it through every round of the AI review's
feedback ("quote them and say who said it"). The words and the speaker are in the knowledge base,
so the writer puts them in itself, as it adds an offer the model left out or takes out an ask
nobody can follow:

    “We saved $212 on heating between November and March compared with the winter before.”
    — Tom, Denver.

Only a sentence the claim checker found to be wholly a customer's words is replaced; one that
mixes them with the brand's own facts ("part of this only in a customer's words") is left for the
model and the reviewer. The draft is kept as it was unless the replacement leaves fewer problems
and none of a new kind (a post over its length, say).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from graphs.channels import Channel
from graphs.checks.asks import replace_sentences
from graphs.checks.fact_tokens import passage_quotes
from graphs.claim_tokens import content_words
from graphs.quotes import quotations

log = logging.getLogger(__name__)

# what graphs/checks/facts.py says of a sentence that is wholly a customer's words
_WHOLLY = ("has this only in a customer's words (", "restates a customer's words (")


def customer_quotes(
    checks: Sequence[Any], passages: Sequence[Mapping[str, Any]], copy: str = ""
) -> dict[str, list[str]]:
    """Each sentence the checks found to be wholly a customer's words → those words, quoted and
    attributed (`“…” — Tom, Denver.`), then shorter forms of them (`shortened`), to try in turn.
    A sentence whose passage names no speaker is left out, and a quote is used once (a second
    sentence restating the same words, or one whose words `copy` already quotes, maps to [""]:
    it goes)."""
    quotes_of = passage_quotes(passages)
    out: dict[str, list[str]] = {}
    used = {
        " ".join(q.split())
        for quotes in quotes_of.values()
        for q, _ in quotes
        if _quoted_in(q, copy)
    }
    for check in checks:
        differs = str(getattr(check, "differs", "") or "")
        if check.status != "unsupported" or not any(w in differs for w in _WHOLLY):
            continue
        quotes = quotes_of.get(str(check.passage_id or ""))
        if not quotes:
            continue
        words = content_words(check.sentence).keys()
        quoted, who = max(quotes, key=lambda q: len(words & content_words(q[0]).keys()))
        who = _speaker(who)
        if not who or not words & content_words(quoted).keys():
            continue
        said = " ".join(quoted.split())
        if said in used:
            out[check.sentence] = [""]
            continue
        used.add(said)
        out[check.sentence] = [
            f"“{form}” — {who}." for form in [said, *shortened(said, check.sentence)]
        ]
    return out


MIN_QUOTED_WORDS = 4  # a shortened quote keeps at least this many of the customer's words
MAX_FORMS = 12  # shortened forms tried per sentence


def shortened(said: str, sentence: str) -> list[str]:
    """The quote's first words with "…" for what is left out, longest first, each keeping the
    figures the draft's sentence took from it ("We saved $212 on heating…"): a post has no room
    for all of Tom's words, and his words cut short are still his. None for a quote whose
    figures the sentence did not use: without its figure a cut quote loses its point ("It is
    the only thing…" of "…that stopped my afternoon cola habit"), so it goes whole or not at all."""
    words = said.rstrip(".!?").split()
    figures = {w.strip(".,;:!?") for w in sentence.split() if any(c.isdigit() for c in w)}
    needed = [i for i, w in enumerate(words) if w.strip(".,;:!?") in figures]
    if not needed:
        return []
    least = max([MIN_QUOTED_WORDS, *(i + 1 for i in needed)])
    forms = [
        " ".join(words[:n]).rstrip(",;:—–-") + "…"
        for n in range(len(words) - 1, least - 1, -1)
        if words[n - 1].lower().strip(",;:") not in _NO_END
    ]
    return forms[:MAX_FORMS]


# words a shortened quote does not end on ("…compared with the…")
_NO_END = frozenset(
    "a an the and or but nor with without between on of to for in at by from compared than as "
    "that which who i we you my our your is are was were be been it its this these".split()
)


def asked_quote(
    feedback: Sequence[str], passages: Sequence[Mapping[str, Any]], copy: str
) -> list[str]:
    """The quote the latest send-back asks for by name ("Quote Tom from Denver by name"), as
    `customer_quotes` gives it (whole, then shortened), when the redraft's `copy` does not quote
    those words yet; [] when none is asked or the knowledge has no words of theirs. The channel
    puts it after the model's words (the `add_quote` note of its `assemble`): the 0.5B named Tom
    as reported speech, or not at all, where the reviewer asked for his words."""
    from graphs.feedback_asks import quote_asks

    if not feedback:
        return []
    quotes_of = passage_quotes(passages)
    for ask in quote_asks(feedback[-1]):
        if not ask.who:
            continue
        first = re.compile(r"(?<!\w)" + re.escape(ask.who.split()[0]) + r"(?!\w)", re.I)
        for quotes in quotes_of.values():
            for quoted, who in quotes:
                who = _speaker(who)
                if not who or not first.search(who):
                    continue
                if _quoted_in(quoted, copy):
                    return []
                said = " ".join(quoted.split())
                return [f"“{form}” — {who}." for form in [said, *shortened(said, said)]]
    return []


def _speaker(who: str) -> str:
    """Who said a quote, as the attribution writes it ("Tom, Denver"); "" when the checker
    found nobody named ("a customer")."""
    who = " ".join(who.split()).strip(" #:-—–")
    return "" if who == "a customer" else who


def _quoted_in(quoted: str, copy: str) -> bool:
    """Whether `copy` has the quote's first words inside quotation marks."""
    head = " ".join(quoted.split()[:MIN_QUOTED_WORDS]).lower()
    return any(head in m.group(0).lower() for m in quotations(copy))


def quoted_as_theirs(
    channel: Channel,
    args: dict[str, Any],
    brief: Mapping[str, Any],
    brand: Mapping[str, Any],
    checkable: list[dict[str, Any]],
    problems: list[Any],
    checks: Any,
) -> tuple[dict[str, Any], list[Any], Any]:
    """The draft with each sentence that is wholly a customer's words replaced by their words,
    quoted and attributed (`customer_quotes`: the whole quote, else the longest shortened form
    that fits), reviewed again; a form is kept only when it leaves fewer problems and none of a
    kind the draft did not have (a post over its length keeps the model's sentence)."""
    from graphs.checks.draft import review

    swapped = 0
    for sentence, forms in customer_quotes(checks, checkable, channel.copy(args)).items():
        for form in forms:
            changed = replace_sentences(args, functools.partial(_swap, said=sentence, quote=form))
            if changed == args:
                break
            new_problems, new_checks = review(channel, changed, brief, brand, checkable)
            kinds = {p.kind for p in problems}
            if len(new_problems) < len(problems) and all(p.kind in kinds for p in new_problems):
                args, problems, checks = changed, new_problems, new_checks
                swapped += 1
                break
    if swapped:
        log.info("AI review: %s: quoted %d customer sentence(s) as theirs", channel.key, swapped)
    return args, problems, checks


def _swap(sentence: str, said: str, quote: str) -> str | None:
    """`quote` for the sentence that carries `said` ("" takes it out), else None (kept)."""
    return quote if said and said in sentence else None
