"""The policy's `notifications:` section: how the people of `authority:` are reached
(graphs/notify.py). Validated with the rest of the policy by `graphs.policy.parse_policy`.

    notifications:
      escalate_after: 86400        # seconds an item may wait before it also goes to escalate_to
      escalate_to: [admin]         # roles or emails
      digest_every: 86400          # how often a digest goes to people who chose "digest"
      link_expires_after: 259200   # a link in a message opens the item for this long

Who is told about an item is whoever the authority rules let decide it (graphs/authority.py).
"""

from __future__ import annotations

from typing import Any

REACH_DEFAULTS: dict[str, Any] = {
    "escalate_after": None,
    "escalate_to": [],
    "digest_every": 86400,
    "link_expires_after": 3 * 86400,
}


def parse_reach(raw: Any, problems: list[str]) -> dict[str, Any]:
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
    return reach
