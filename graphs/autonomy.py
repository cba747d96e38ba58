"""Earned autonomy: the track record of an action type × channel and the promotion it suggests.

Outcomes in the track record:
- good: `approved` (approved without edits), `acknowledged` (a notified action a person saw and
  let stand);
- not good: `edited`, `revised` (sent back), `rejected`, `flagged`;
- not counted: `expired` (nobody looked: never a rejection, never an approval).

A promotion is suggested when, over the last `window` counted outcomes since the level last
changed, there are at least `min_decisions` and the 95% Wilson lower bound of the good rate is at
least `min_lower_bound`. A person confirms it. A rejection or a flag demotes at once.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, NotRequired, TypedDict

from graphs.policy import LEVELS, Policy

GOOD = ("approved", "acknowledged")
BAD = ("edited", "revised", "rejected", "flagged")
DEMOTING = ("rejected", "flagged")
OUTCOMES = (*GOOD, *BAD, "expired")
SEVERITY = ("rejected", "flagged", "revised", "edited", "approved", "acknowledged", "expired")


class Suggestion(TypedDict):
    to: str
    rate: float
    lower_bound: float
    n: int
    why: str
    earned_by: NotRequired[list[tuple[str, int]]]  # whose decisions, most first


def wilson_lower_bound(good: int, n: int, z: float = 1.96) -> float:
    """Lower end of the Wilson score interval for a proportion (0 when there is no data)."""
    if n == 0:
        return 0.0
    p = good / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, (centre - spread) / (1 + z * z / n))


def record_counts(outcomes: list[str]) -> dict[str, int]:
    counts = {name: 0 for name in OUTCOMES}
    for outcome in outcomes:
        if outcome in counts:
            counts[outcome] += 1
    counts["total"] = sum(counts[o] for o in (*GOOD, *BAD))
    return counts


def suggest(
    policy: Policy,
    action: str,
    level: str,
    recent: list[str],
    by: list[str | None] | None = None,
) -> tuple[Suggestion | None, str]:
    """(suggestion or None, a sentence saying why or why not). `recent` is oldest first; `by`
    (same order) names who decided each, so the suggestion says whose decisions earned it."""
    spec = policy.action(action)
    window = int(policy.promotion["window"])
    pairs = [(o, (by or [])[i] if i < len(by or []) else None) for i, o in enumerate(recent)]
    pairs = [(o, who) for o, who in pairs if o in GOOD or o in BAD][-window:]
    counted = [o for o, _ in pairs]
    n = len(counted)
    good = sum(1 for o in counted if o in GOOD)
    rate = good / n if n else 0.0
    bound = wilson_lower_bound(good, n)
    if LEVELS.index(level) >= LEVELS.index(spec.max_autonomy):
        return None, f"Already at its maximum autonomy ('{spec.max_autonomy}')."
    need = int(policy.promotion["min_decisions"])
    if n < need:
        return None, f"{n} of the {need} decisions needed since the last change."
    target = policy.promotion["min_lower_bound"]
    numbers = f"{good} of the last {n} approved unedited ({rate:.0%}; 95% lower bound {bound:.0%})"
    if bound < target:
        return None, f"{numbers}: below the {target:.0%} needed."
    to = LEVELS[LEVELS.index(level) + 1]
    why = f"{numbers} ≥ {target:.0%}: suggest '{to}'."
    people = Counter(who for _, who in pairs if who).most_common()
    if people:
        why += " Earned by the decisions of " + ", ".join(f"{p} ({k})" for p, k in people) + "."
    found = Suggestion(to=to, rate=round(rate, 3), lower_bound=round(bound, 3), n=n, why=why)
    found["earned_by"] = people
    return found, why


def bulk_track(entries: list[tuple[str, str, str, str]]) -> dict[str, tuple[str, str]]:
    """Decisions one person made at once (`approve all`): one entry in the track record per
    action type × channel, with the worst outcome among them.

    `entries`: (interrupt_id, action, channel, outcome); returns {interrupt_id: (ref, outcome)}.
    """
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for interrupt_id, action, channel, outcome in entries:
        groups.setdefault((action, channel), []).append((interrupt_id, outcome))
    result: dict[str, tuple[str, str]] = {}
    for members in groups.values():
        worst = min((o for _, o in members), key=SEVERITY.index)
        ref = "bulk:" + members[0][0]
        for interrupt_id, _ in members:
            result[interrupt_id] = (ref, worst)
    return result


def describe_level(level: str) -> str:
    return {
        "supervised": "approve every medium- and high-risk action",
        "earned": "approve high-risk actions; medium-risk ones run and notify",
        "monitored": "exceptions only; the rest runs and notifies",
    }[level]


def summarise(rows: list[dict[str, Any]]) -> dict[str, int]:
    return record_counts([r["outcome"] for r in rows])
