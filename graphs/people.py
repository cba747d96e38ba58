"""The policy's `people:` and `notifications:` sections: who is on the team and how they are
reached (DESIGN.md §5b). Validated with the rest of the policy by `graphs.policy.parse_policy`.

    people:                        # verified sign-in emails → roles
      ann@example.com: [approver]
      bob@example.com: [budget_owner, admin]
    notifications:
      escalate_after: 86400        # seconds an item may wait before it also goes to escalate_to
      escalate_to: [admin]         # roles or emails
      digest_every: 86400          # how often a digest goes to people who chose "digest"
      link_expires_after: 259200   # a link in a message opens the item for this long
      approvers:                   # optional: who is asked about an action type (roles)
        spend_ads: [budget_owner]

Roles themselves (who may approve what, quorum, separation of duties) belong to the authority
rules; here a role is only a name used to pick whom to tell.
"""

from __future__ import annotations

import re
from typing import Any

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
REACH_DEFAULTS: dict[str, Any] = {
    "escalate_after": None,
    "escalate_to": [],
    "digest_every": 86400,
    "link_expires_after": 3 * 86400,
    "approvers": {},
}


def parse_people(raw: Any, problems: list[str]) -> dict[str, tuple[str, ...]]:
    """`people:` → {email (lower-case): roles}; problems are appended as sentences."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(f"`people` is {raw!r}; expected a mapping of emails to lists of roles")
        return {}
    people: dict[str, tuple[str, ...]] = {}
    for email, roles in raw.items():
        if not isinstance(email, str) or not EMAIL.match(email):
            problems.append(f"`people.{email}` is not an email; expected e.g. ann@example.com")
            continue
        if isinstance(roles, str):
            roles = [roles]
        if not isinstance(roles, list) or not all(isinstance(r, str) and r for r in roles):
            problems.append(f"`people.{email}` is {roles!r}; expected a list of role names")
            continue
        people[email.lower()] = tuple(roles)
    return people


def parse_reach(raw: Any, actions: set[str], problems: list[str]) -> dict[str, Any]:
    """`notifications:` → settings with defaults; problems are appended as sentences."""
    reach = dict(REACH_DEFAULTS)
    if raw is None:
        return reach
    if not isinstance(raw, dict):
        problems.append(f"`notifications` is {raw!r}; expected a mapping")
        return reach
    for key in sorted(set(raw) - set(REACH_DEFAULTS)):
        problems.append(
            f"`notifications.{key}` is {raw[key]!r}; expected one of {sorted(REACH_DEFAULTS)}"
        )
    for key in ("escalate_after", "digest_every", "link_expires_after"):
        value = raw.get(key, reach[key])
        if value is None and key == "escalate_after":
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            problems.append(
                f"`notifications.{key}` is {value!r}; expected seconds (a whole number > 0)"
            )
        else:
            reach[key] = value
    targets = raw.get("escalate_to", [])
    if isinstance(targets, str):
        targets = [targets]
    if not isinstance(targets, list) or not all(isinstance(t, str) and t for t in targets):
        problems.append(f"`notifications.escalate_to` is {targets!r}; expected roles or emails")
    else:
        reach["escalate_to"] = [t.lower() if "@" in t else t for t in targets]
    approvers = raw.get("approvers", {}) or {}
    if not isinstance(approvers, dict):
        problems.append(f"`notifications.approvers` is {approvers!r}; expected action: [roles]")
    else:
        for action, roles in approvers.items():
            if action not in actions:
                problems.append(
                    f"`notifications.approvers.{action}` names an action the policy does not "
                    f"have; expected one of {sorted(actions)}"
                )
            elif not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
                problems.append(f"`notifications.approvers.{action}` is {roles!r}; expected roles")
        reach["approvers"] = {k: tuple(v) for k, v in approvers.items() if isinstance(v, list)}
    return reach
