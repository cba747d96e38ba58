"""Learning from edits, measured: does a second campaign repeat the faults a person edited out?

    figures = second_campaigns(runtime, home, [(product, first_result), ...], rerun=..., say=...)

For each product, a deterministic stand-in for the marketer edits the first campaign's drafts: it
cuts the stock phrases a marketer strikes (`STOCK_PHRASES`: "game-changer", "look no further"...),
at most `CUTS_PER_DRAFT` per draft. Each edit goes through `graphs.learning.learn`, the function
the runtime calls on an edit decision (graphs/runtime/reviews.py), so the cuts become the brand's
rules ("Never say 'game-changer'") exactly as they would from the inbox. Then the same brief runs
again and the second campaign's drafts are searched for the phrases that were cut.

The figure: of the phrases cut in campaign 1, how many campaign 2 repeats (in the same channel),
beside the same share for stock phrases that were *not* cut (the control: what repeats anyway).

Library code: it logs; `bench/eval_drafts.py` prints.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from graphs.humanize import count

log = logging.getLogger(__name__)

# Phrases a marketer strikes from small-model copy. Longest first, so "look no further" is cut
# whole rather than in part.
_STOCK = """
game-changer|game changer|revolutionary|revolutionize|revolutionise|unleash|elevate|
look no further|don't miss out|don't miss this opportunity|take it to the next level|
to the next level|cutting-edge|state-of-the-art|seamless|seamlessly|ultimate|unparalleled|
unmatched|unbeatable|innovative|incredible|amazing|exciting|excited|thrilled|delighted|
perfect|perfectly|must-have|world-class|best-in-class|effortless|effortlessly|hassle-free|
second to none|whether you're|like never before|in today's fast-paced world|dive into|embark
"""
STOCK_PHRASES = tuple(
    sorted(
        {p.strip() for p in _STOCK.replace("\n", "").split("|") if p.strip()}, key=len, reverse=True
    )
)
CUTS_PER_DRAFT = 2
TEXT_FIELDS = ("subject", "title", "body", "text", "description")


def _pattern(phrase: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])" + re.escape(phrase).replace("'", "['’]") + r"(?![\w-])", re.I)


def found_phrases(args: Mapping[str, Any]) -> list[str]:
    """The stock phrases in an action's text (lower case, each once, longest first)."""
    text = " ".join(str(args.get(k) or "") for k in TEXT_FIELDS)
    out: list[str] = []
    for phrase in STOCK_PHRASES:
        if _pattern(phrase).search(text) and not any(phrase in longer for longer in out):
            out.append(phrase)
    return out


def cut(args: Mapping[str, Any], phrases: Sequence[str]) -> dict[str, Any]:
    """The args with `phrases` struck out, as a person edits them (spaces tidied)."""
    edited = dict(args)
    for key in TEXT_FIELDS:
        value = edited.get(key)
        if not isinstance(value, str):
            continue
        for phrase in phrases:
            value = _pattern(phrase).sub("", value)
        value = re.sub(r"([.!?])(?:\s*[.!?,;:])+", r"\1", re.sub(r" +([,.!?;:])", r"\1", value))
        edited[key] = re.sub(r"[ \t]{2,}", " ", value)
    return edited


def second_campaigns(
    runtime: Any,
    home: Path,
    firsts: Sequence[tuple[Mapping[str, Any], Any]],
    *,
    rerun: Callable[[Mapping[str, Any]], Any],
    say: Callable[[str], None],
) -> dict[str, Any]:
    """Edit each first campaign's drafts, learn from the edits, run the brief again, count."""
    from graphs.eval_drafts import brief_for, passages_of
    from graphs.learning import learn

    cut_total = repeated = control_total = control_repeated = 0
    rules: list[str] = []
    per_product = []
    for product, first in firsts:
        brief = brief_for(product)
        sheet = [p["text"] for p in passages_of(product)]
        edited: dict[str, list[str]] = {}  # channel -> phrases cut
        control: dict[str, list[str]] = {}  # channel -> phrases left in
        for item in first.items:
            phrases = found_phrases(item["args"])
            if not phrases:
                continue
            chosen = phrases[:CUTS_PER_DRAFT]
            edited[item["channel"]] = chosen
            control[item["channel"]] = phrases[CUTS_PER_DRAFT:]
            after = cut(item["args"], chosen)
            rules += learn(home, brief, item["args"], {"type": "edit", "args": after}, sheet)
        if not edited:
            per_product.append({"slug": product["slug"], "cut": 0, "repeated": 0})
            say(f"    {product['slug']}: no stock phrase to edit out; no second campaign")
            continue
        say(f"[learning] {product['slug']}: cut {edited}; the same brief again")
        second = rerun(product)
        again = {item["channel"]: found_phrases(item["args"]) for item in second.items}
        n_cut = sum(len(v) for v in edited.values())
        n_rep = sum(1 for ch, ps in edited.items() for p in ps if p in again.get(ch, []))
        n_ctl = sum(len(v) for v in control.values())
        n_ctl_rep = sum(1 for ch, ps in control.items() for p in ps if p in again.get(ch, []))
        cut_total += n_cut
        repeated += n_rep
        control_total += n_ctl
        control_repeated += n_ctl_rep
        per_product.append(
            {
                "slug": product["slug"],
                "cut": n_cut,
                "repeated": n_rep,
                "edited": edited,
                "second": again,
                "seconds": round(second.seconds, 1),
                "error": second.error,
                "send_ready_first": sum(d.send_ready for d in first.drafts),
                "send_ready_second": sum(d.send_ready for d in second.drafts),
                "drafts": len(second.drafts),
            }
        )
        say(f"    repeated {n_rep} of {n_cut} cut phrases ({second.seconds:.0f} s)")
    return {
        "products": len(per_product),
        "phrases_cut": cut_total,
        "rules_learned": list(dict.fromkeys(rules)),
        "repeated": repeated,
        "repeated_pct": round(100.0 * repeated / cut_total, 1) if cut_total else None,
        "control_phrases": control_total,
        "control_repeated": control_repeated,
        "control_repeated_pct": (
            round(100.0 * control_repeated / control_total, 1) if control_total else None
        ),
        "per_product": per_product,
    }


def format_learning(figures: Mapping[str, Any] | None) -> str:
    """One paragraph for the eval's output."""
    if not figures:
        return "learning from edits: not run (--learn N runs it on N products)"
    if not figures["phrases_cut"]:
        return (
            f"learning from edits: {count(figures['products'], 'product')}, no stock phrase to edit out "
            "in the first campaign: nothing to measure"
        )
    line = (
        f"learning from edits: {figures['phrases_cut']} phrases cut by edits in campaign 1 "
        f"({len(figures['rules_learned'])} brand rules learned); campaign 2 of the same briefs "
        f"repeats {figures['repeated']} of them ({figures['repeated_pct']:.0f}%)"
    )
    if figures["control_phrases"]:
        line += (
            f"; stock phrases left unedited repeat {figures['control_repeated']} of "
            f"{figures['control_phrases']} ({figures['control_repeated_pct']:.0f}%)"
        )
    return line
