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
from typing import Any, TypedDict

from graphs.policy import LEVELS, Policy

GOOD = ("approved", "acknowledged")
BAD = ("edited", "revised", "rejected", "flagged")
DEMOTING = ("rejected", "flagged")
OUTCOMES = (*GOOD, *BAD, "expired")


class Suggestion(TypedDict):
    to: str
    rate: float
    lower_bound: float
    n: int
    why: str


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
    policy: Policy, action: str, level: str, recent: list[str]
) -> tuple[Suggestion | None, str]:
    """(suggestion or None, a sentence saying why or why not). `recent` is oldest first."""
    spec = policy.action(action)
    counted = [o for o in recent if o in GOOD or o in BAD]
    window = int(policy.promotion["window"])
    counted = counted[-window:]
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
    return Suggestion(to=to, rate=round(rate, 3), lower_bound=round(bound, 3), n=n, why=why), why


def describe_level(level: str) -> str:
    return {
        "supervised": "approve every medium- and high-risk action",
        "earned": "approve high-risk actions; medium-risk ones run and notify",
        "monitored": "exceptions only; the rest runs and notifies",
    }[level]


def summarise(rows: list[dict[str, Any]]) -> dict[str, int]:
    return record_counts([r["outcome"] for r in rows])
