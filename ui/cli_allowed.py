"""What a pending item allows, in the CLI's words: the `Next:` hints (only the decisions the item
takes, and why approve is not offered), the refusal of one it does not take, and the facade's
field names (`checked=true`) as the CLI's flags (`--checked`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from graphs.errors import InvalidInput
from ui.cli_common import CliError

DECISIONS = ["approve", "edit", "revise", "reject"]


# The reasons the policy gives when approve is not offered (graphs/policy.py), up to the words
# that say what to do instead: what follows is the CLI's own list of what the item allows.
_NO_APPROVE = (". No autonomy level lifts this", " Edit it or send it back.")


def why_not_approve(item: dict[str, Any]) -> str:
    """Why an item does not offer approve ("Over the daily ad budget: 5000.00 of 200.00 EUR with
    this spend"), from the reasons the policy gave."""
    for reason in item.get("reasons") or []:
        for marker in _NO_APPROVE:
            if marker in reason:
                why = str(reason.split(marker)[0]).strip().rstrip(".")
                return why[:1].lower() + why[1:]
    return "the policy does not let this draft go out as it is"


def _edit_example(item: dict[str, Any]) -> str:
    """The `--args` of an edit hint: for a spend over its budget, what is left of the budget."""
    args = item.get("args") or {}
    if "amount" in args:
        left = None
        found = re.search(r"([\d.]+) of ([\d.]+)", why_not_approve(item))
        if found:
            total, budget = float(found.group(1)), float(found.group(2))
            left = round(budget - (total - float(args["amount"])), 2)
        amount = f"{left:g}" if left is not None and left > 0 else "AMOUNT"
        return '{"amount": ' + amount + "}"
    field = next((k for k in ("subject", "text", "title", "body") if k in args), "subject")
    return '{"' + field + '": "…"}'


def decide_hints(item: dict[str, Any]) -> list[str]:
    """The `signoff decide` commands an item allows (its `allowed_decisions`), first line the
    heading: 'Next:', or why approve is not offered."""
    allowed = item.get("allowed_decisions") or ["approve", "edit", "revise", "reject"]
    i = item["id"]
    lines = []
    if "approve" in allowed:
        lines.append(
            f"  signoff decide {i} approve --checked   # after checking the claims that cite no evidence"
            if item.get("needs_check")
            else f"  signoff decide {i} approve"
        )
    elif "edit" in allowed:
        note = "a smaller amount" if "amount" in (item.get("args") or {}) else "your own words"
        lines.append(f"  signoff decide {i} edit --args '{_edit_example(item)}'   # {note}")
    if "revise" in allowed:
        lines.append(f"  signoff decide {i} revise --feedback 'what to change'")
    if "reject" in allowed:
        lines.append(f"  signoff decide {i} reject --reason 'why'")
    head = (
        "Next:"
        if "approve" in allowed
        else f"Next (approve is not offered: {why_not_approve(item)}):"
    )
    return [head, *lines]


def allowed_words(allowed: list[str]) -> str:
    """['edit', 'reject'] → 'edit (`edit --args JSON`) or reject (`reject --reason TEXT`)'."""
    words = {
        "approve": "approve",
        "edit": "edit (`edit --args JSON`)",
        "revise": "send back (`revise --feedback TEXT`)",
        "reject": "reject (`reject --reason TEXT`)",
    }
    said = [words.get(d, d) for d in allowed]
    return ", ".join(said[:-1]) + " or " + said[-1] if len(said) > 1 else "".join(said)


def not_allowed(item: dict[str, Any], kind: str) -> CliError:
    """A decision the item does not offer (approve on a spend over its budget), before the
    facade is asked: what it allows and why."""
    allowed = item.get("allowed_decisions") or list(DECISIONS)
    why = f" ({why_not_approve(item)})" if kind == "approve" else ""
    return CliError(
        f"{item['id']} does not take {kind}{why}: {allowed_words(allowed)} it. Nothing was saved."
    )


@contextmanager
def cli_words(interrupt_id: str | None = None) -> Iterator[None]:
    """The facade's messages name its fields (`checked=true`); the CLI's flag is --checked."""
    try:
        yield
    except InvalidInput as exc:
        message = str(exc)
        command = f"`signoff decide {interrupt_id} approve --checked`" if interrupt_id else ""
        translated = re.sub(
            r"approve with checked=true(?: \('I checked these'\))?",
            "approve with --checked ('I checked these'" + (f": {command})" if command else ")"),
            message,
        ).replace("checked=true", "--checked")
        if translated == message:
            raise
        raise type(exc)(translated) from exc
