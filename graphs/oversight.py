"""What earned autonomy is worth: replay a generated history through a policy (`make oversight`).

A seeded 90-day history of proposals over every action type and channel: drafts improve over time
(the share a person would not let go out as written falls from `bad_start` to `bad_end`), and each
proposal carries what a person would have done with it (approve, edit, send back, reject) and what
the system's checks would have seen (the writer's confidence, unsupported claims, policy words,
a first contact, an over-budget spend). Detectors are imperfect on purpose: some bad drafts carry no
signal at all, and some good ones raise a false alarm.

The replay runs each proposal through the real routing (`graphs.policy.route`) at the action type's
current autonomy level, records what a person did with what they saw in the track record, demotes
at once on a rejection or a flag, and at the end of each day confirms every promotion
`graphs.autonomy.suggest` offers (as a person who trusts the suggestion would). "Review
everything" is the baseline: every proposal is looked at before it goes out.

Outcomes: reviews saved against the baseline, and what went out unreviewed that a person would have
stopped (rejected or sent back) or changed (edited), by risk tier.
"""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from graphs.autonomy import DEMOTING, suggest
from graphs.policy import Facts, Policy, route
from tools.registry import get_tool

# A plausible mix for a marketing agent: many small engagements, a few posts, emails and pages,
# the odd ad spend (share of proposals).
MIX = {
    "like_post": 0.33,
    "follow_account": 0.13,
    "repost_post": 0.09,
    "publish_post": 0.17,
    "publish_page": 0.07,
    "send_email": 0.14,
    "spend_ads": 0.07,
}
PEOPLE = ("ann@example.com", "bob@example.com", "cat@example.com")
STOP = ("reject", "revise")  # a person would not have let it go out
CHANGE = ("edit",)  # a person would have changed it first
OUTCOME = {"approve": "approved", "edit": "edited", "revise": "revised", "reject": "rejected"}


@dataclass(frozen=True)
class Proposal:
    day: int
    action: str
    channel: str
    tier: str
    verdict: str  # what a person would do: approve | edit | revise | reject
    facts: Facts


@dataclass
class Replay:
    """The result of one replay; `daily` holds one row per day (cumulative figures)."""

    policy: str
    proposals: int = 0
    reviews: int = 0
    unreviewed: Counter[tuple[str, str]] = field(default_factory=Counter)  # (tier, stop|change)
    promotions: list[dict[str, Any]] = field(default_factory=list)
    demotions: int = 0
    daily: list[dict[str, Any]] = field(default_factory=list)

    @property
    def saved(self) -> float:
        """Share of reviews saved against reviewing everything."""
        return 1 - self.reviews / self.proposals if self.proposals else 0.0

    def let_through(self, kind: str = "stop", tier: str | None = None) -> int:
        return sum(n for (t, k), n in self.unreviewed.items() if k == kind and tier in (None, t))

    def summary(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "proposals": self.proposals,
            "reviews": self.reviews,
            "saved": round(self.saved, 4),
            "stopped_unreviewed": {
                t: self.let_through("stop", t) for t in ("low", "medium", "high")
            },
            "changed_unreviewed": {
                t: self.let_through("change", t) for t in ("low", "medium", "high")
            },
            "promotions": len(self.promotions),
            "demotions": self.demotions,
        }


def generate(
    seed: int,
    days: int = 90,
    per_day: tuple[int, int] = (18, 30),
    bad_start: float = 0.30,
    bad_end: float = 0.05,
) -> list[Proposal]:
    """A seeded history (≈ 24 proposals a day: ≥ 2,000 over 90 days)."""
    rng = random.Random(seed)
    actions, weights = zip(*MIX.items(), strict=True)
    history: list[Proposal] = []
    for day in range(days):
        bad_rate = bad_start + (bad_end - bad_start) * day / max(days - 1, 1)
        for _ in range(rng.randint(*per_day)):
            action = rng.choices(actions, weights)[0]
            tool = get_tool(action)
            low = tool.risk.tier == "low"
            bad = rng.random() < (bad_rate / 2 if low else bad_rate)
            if bad:
                verdict = rng.choices(("reject", "revise", "edit"), (0.4, 0.15, 0.45))[0]
                writer = rng.uniform(0.25, 0.55) if rng.random() < 0.35 else rng.uniform(0.6, 0.95)
                unsupported = int(rng.random() < 0.45)
                words = ["guaranteed"] if rng.random() < 0.15 else []
            else:
                verdict = "approve"
                writer = rng.uniform(0.6, 0.98)
                unsupported = int(rng.random() < 0.04)
                words = ["guaranteed"] if rng.random() < 0.02 else []
            facts = Facts(
                action=action,
                channel=tool.channel,
                writer_confidence=round(writer, 3),
                claims=2 if action in ("send_email", "publish_post", "publish_page") else 0,
                unsupported=unsupported,
                policy_words=words,
                first_contact=action == "send_email" and rng.random() < 0.08,
                flagged_sources=0,
                over_limit="over the daily ad budget"
                if action == "spend_ads" and rng.random() < 0.05
                else None,
                over_daily_limit=False,
                invalid=None,
                placeholders=[],
                revision=0,
            )
            history.append(Proposal(day, action, tool.channel, tool.risk.tier, verdict, facts))
    return history


def replay(
    history: list[Proposal], policy: Policy, *, seed: int = 0, name: str | None = None
) -> Replay:
    """Run the history through `policy`, promotions confirmed as they are suggested."""
    rng = random.Random(seed)
    result = Replay(policy=name or policy.version)
    level: dict[str, str] = {a: policy.level_for(a, None) for a in policy.actions}
    record: dict[str, list[tuple[str, str]]] = {a: [] for a in policy.actions}
    daily_count: Counter[tuple[int, str]] = Counter()

    def track(action: str, outcome: str, who: str) -> None:
        record[action].append((outcome, who))
        if outcome in DEMOTING and level[action] != "supervised":
            level[action] = "supervised"
            record[action] = []
            result.demotions += 1

    last_day = -1
    for p in history:
        if p.day != last_day:
            if last_day >= 0:
                _end_of_day(policy, level, record, result, last_day)
            last_day = p.day
        if p.action not in policy.actions:
            continue
        spec = policy.actions[p.action]
        over = spec.daily_limit is not None and daily_count[(p.day, p.action)] >= spec.daily_limit
        facts = Facts(**{**p.facts, "level": level[p.action], "over_daily_limit": over})
        routed = route(policy, facts)["route"]
        result.proposals += 1
        who = rng.choice(PEOPLE)
        if routed == "skip":  # over a daily limit: not done, nothing to review
            continue
        daily_count[(p.day, p.action)] += 1
        if routed == "review":
            result.reviews += 1
            track(p.action, OUTCOME[p.verdict], who)
            continue
        # it went out without a review: auto (logged) or notify (in the feed, looked at later)
        if p.verdict in STOP:
            result.unreviewed[(p.tier, "stop")] += 1
        elif p.verdict in CHANGE:
            result.unreviewed[(p.tier, "change")] += 1
        if routed == "notify":
            flagged = p.verdict in STOP or (p.verdict in CHANGE and rng.random() < 0.5)
            track(p.action, "flagged" if flagged else "acknowledged", who)
    if last_day >= 0:
        _end_of_day(policy, level, record, result, last_day)
    return result


def _end_of_day(
    policy: Policy,
    level: dict[str, str],
    record: dict[str, list[tuple[str, str]]],
    result: Replay,
    day: int,
) -> None:
    for action in policy.actions:
        outcomes = [o for o, _ in record[action]]
        who: list[str | None] = [w for _, w in record[action]]
        found, _why = suggest(policy, action, level[action], outcomes, who)
        if found is not None:  # a person confirms the suggestion
            result.promotions.append(
                {
                    "day": day,
                    "action": action,
                    "to": found["to"],
                    "earned_by": found.get("earned_by"),
                }
            )
            level[action] = found["to"]
            record[action] = []
    result.daily.append(
        {
            "day": day,
            "proposals": result.proposals,
            "reviews": result.reviews,
            "saved": round(result.saved, 4),
            "stopped_unreviewed": result.let_through("stop"),
            "stopped_unreviewed_high": result.let_through("stop", "high"),
            "changed_unreviewed": result.let_through("change"),
            "levels": dict(level),
        }
    )


def review_everything(history: list[Proposal]) -> Replay:
    """The baseline: every proposal is reviewed before it goes out."""
    result = Replay(policy="review everything", proposals=len(history), reviews=len(history))
    days = sorted({p.day for p in history})
    for day in days:
        n = sum(1 for p in history if p.day <= day)
        result.daily.append(
            {
                "day": day,
                "proposals": n,
                "reviews": n,
                "saved": 0.0,
                "stopped_unreviewed": 0,
                "stopped_unreviewed_high": 0,
                "changed_unreviewed": 0,
                "levels": {},
            }
        )
    return result


def variant(policy: Policy, name: str, **actions: dict[str, Any]) -> Policy:
    """The policy with some action settings changed, e.g. `publish_post={"max_autonomy": "earned"}`."""
    changed = dict(policy.actions)
    for action, changes in actions.items():
        changed[action] = dataclasses.replace(policy.actions[action], **changes)
    return dataclasses.replace(policy, actions=changed, version=name)
