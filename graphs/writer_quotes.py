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

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from graphs.channels import Channel
from graphs.checks.asks import KEEP_FIELDS
from graphs.checks.fact_tokens import passage_quotes
from graphs.checks.sentences import split_sentences
from graphs.claim_tokens import content_words

log = logging.getLogger(__name__)

# what graphs/checks/facts.py says of a sentence that is wholly a customer's words
_WHOLLY = ("has this only in a customer's words (", "restates a customer's words (")


def customer_quotes(checks: Sequence[Any], passages: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Each sentence the checks found to be wholly a customer's words → those words, quoted and
    attributed (`“…” — Tom, Denver.`). A sentence whose passage names no speaker is left out, and
    a quote is used once (a second sentence restating the same words maps to "")."""
    quotes_of = passage_quotes(passages)
    out: dict[str, str] = {}
    used: set[str] = set()
    for check in checks:
        differs = str(getattr(check, "differs", "") or "")
        if check.status != "unsupported" or not any(w in differs for w in _WHOLLY):
            continue
        quotes = quotes_of.get(str(check.passage_id or ""))
        if not quotes:
            continue
        words = content_words(check.sentence).keys()
        quoted, who = max(quotes, key=lambda q: len(words & content_words(q[0]).keys()))
        who = " ".join(who.split()).strip(" #:-—–")
        if not who or who == "a customer" or not words & content_words(quoted).keys():
            continue
        said = " ".join(quoted.split())
        out[check.sentence] = "" if said in used else f"“{said}” — {who}."
        used.add(said)
    return out


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
    quoted and attributed (`customer_quotes`), reviewed again; kept as it was unless that leaves
    fewer problems and none of a kind it did not have."""
    from graphs.checks.draft import review

    swaps = customer_quotes(checks, checkable)
    if not swaps:
        return args, problems, checks
    changed = _replaced(args, swaps)
    if changed == args:
        return args, problems, checks
    new_problems, new_checks = review(channel, changed, brief, brand, checkable)
    kinds = {p.kind for p in problems}
    if len(new_problems) >= len(problems) or any(p.kind not in kinds for p in new_problems):
        return args, problems, checks
    log.info("AI review: %s: quoted %d customer sentence(s) as theirs", channel.key, len(swaps))
    return changed, new_problems, new_checks


def _replaced(args: Mapping[str, Any], swaps: Mapping[str, str]) -> dict[str, Any]:
    """`args` with each sentence of `swaps` replaced in its text field ("" takes it out)."""
    out = dict(args)
    for key, value in args.items():
        if not isinstance(value, str) or key in KEEP_FIELDS:
            continue
        for sentence in split_sentences(value):
            quote = next((q for said, q in swaps.items() if said and said in sentence), None)
            if quote is None:
                continue
            found = re.search(re.escape(sentence) + ("" if quote else r"[ \t]*"), value)
            if found:
                value = value[: found.start()] + quote + value[found.end() :]
        out[key] = re.sub(r"[ \t]+(\n|$)", r"\1", value)
    return out
