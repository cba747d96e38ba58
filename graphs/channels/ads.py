"""The ad spend channel: nothing is drafted. The amount is the marketer's (the brief's budget, or
a figure named in a send-back), the currency the policy's."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from graphs.channels.base import Channel, register
from graphs.humanize import money

_AMOUNT = re.compile(r"(?<![\w.])(\d{1,7}(?:[.,]\d{1,2})?)(?![\w%])")


def amount_from_feedback(feedback: list[str]) -> float | None:
    """The one amount a send-back names ("make it 100"), else None."""
    found = [m.group(1) for note in feedback[-1:] for m in _AMOUNT.finditer(note)]
    if len(found) != 1:
        return None
    return round(float(found[0].replace(",", ".")), 2)


def assemble(
    draft: Any,
    brief: Mapping[str, Any],
    brand: Mapping[str, Any],
    previous: Mapping[str, Any] | None,
    notes: Mapping[str, Any],
) -> dict[str, Any]:
    if previous is not None:
        args = dict(previous["args"])
        amount = amount_from_feedback(list(notes.get("feedback", [])))
        if amount:
            args["amount"] = amount
        return args
    return {
        "amount": round(float(brief.get("ad_budget", 0)), 2),
        "currency": notes.get("currency", "EUR"),
        "description": f"{brief['product']}: {brief['goal']}"[:200],
    }


CHANNEL = register(
    Channel(
        key="ads",
        action="spend_ads",
        prefix="ads",
        label="ad spend",
        assemble=assemble,
        preview=lambda args: (
            f"Spend {money(args.get('amount'), args.get('currency'))}: {args.get('description', '')}"
        ),
    )
)
