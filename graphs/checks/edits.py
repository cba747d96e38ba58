"""An edit meets the same hard rules as a draft before it is accepted (DESIGN.md §3).

A person's edit is what goes out, so it is checked like the writer's draft: it may not take a
spend over a budget, send to a recipient nobody gave, or add a link or contact that is not from
the brief, the brand or the allowlist. Each refusal says why, in a marketer's words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphs.checks.links import RECIPIENT_FIELDS, Allowed, contacts_in, describe, foreign


def edit_problems(
    name: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    contacts_allowed: list[str],
    *,
    over_budget: str | None = None,
) -> list[str]:
    """Why the edited args (`after`) may not replace `before`; empty when they may.

    `contacts_allowed` is the review payload's list (brief, brand, allowlist); the links and
    contacts of the draft the person saw stay allowed. `over_budget` is the budget check's verdict
    on the edited args (graphs/assess.py), computed by the caller.
    """
    allowed = Allowed.from_list(contacts_allowed)
    for value in before.values():
        if isinstance(value, str):
            allowed.add_text(value)
    problems = []
    for field in RECIPIENT_FIELDS.get(name, ()):
        new, old = str(after.get(field, "")), str(before.get(field, ""))
        if new.strip().lower() != old.strip().lower():
            found = [f for f in contacts_in(new) if f.kind == "email"]
            if not found or not all(f.key in allowed.emails for f in found):
                problems.append(
                    f"it sends to {new.strip()!r}, a new recipient that is not in the brief or "
                    "your allowlist (start a campaign for that audience instead)"
                )
    problems += [f"it {describe(f)}" for f in foreign(name, after, allowed)]
    if over_budget:
        problems.append(f"{over_budget[0].lower()}{over_budget[1:]}; no edit may go over a budget")
    return problems
