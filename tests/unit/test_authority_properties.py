"""Property tests over random policies, people and attempts (10,000 examples in all).

An oracle written here, independently of graphs/authority.py, says what the policy demands; the
properties: no decision is applied for someone without the authority, a quorum is never met by
one person twice, separation of duties holds, and every refused attempt is audited.
"""

from __future__ import annotations

import random
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.approvals import Approvals
from graphs.authority import PERMISSIONS, Authority, assess, parse_authority, requirement
from graphs.errors import NotAllowed
from graphs.store import Store, connect

ROLES = ["marketer", "budget_owner", "admin", "legal"]
ACTIONS = {
    "spend_ads": "ads",
    "send_email": "email",
    "publish_post": "social",
    "like_post": "social",
}
TIERS = {"spend_ads": "high", "send_email": "high", "publish_post": "high", "like_post": "low"}
OUTSIDER = "eve@outside.example"


def policy(rng: random.Random) -> dict[str, Any]:
    """A random valid policy: 1-5 people with 1-3 roles, approve rules, thresholds, quorum,
    separation of duties and permissions, every rule naming roles someone holds."""
    n = rng.randint(1, 5)
    people = [
        {"email": f"p{i}@team.example", "roles": rng.sample(ROLES, rng.randint(1, 3))}
        for i in range(n)
    ]
    held = sorted({r for p in people for r in p["roles"]})

    def roles() -> list[str]:
        return rng.sample(held, rng.randint(1, len(held)))

    approve = [{"action": "*", "roles": roles()}]
    for action in rng.sample(list(ACTIONS), rng.randint(0, 2)):
        rule: dict[str, Any] = {"action": action, "roles": roles()}
        if rng.random() < 0.5:
            rule["channel"] = ACTIONS[action]
        approve.append(rule)
    thresholds = []
    for _ in range(rng.randint(0, 3)):
        t: dict[str, Any] = {"action": "spend_ads", "above": rng.choice([0, 100, 500, 1000])}
        quorum = rng.randint(1, n)
        if quorum > 1:
            t["quorum"] = quorum
        if quorum == 1 or rng.random() < 0.5:
            t["roles"] = roles()
        thresholds.append(t)
    return {
        "people": people,
        "approve": approve,
        "thresholds": thresholds,
        "separation_of_duties": {
            "tiers": rng.sample(["low", "medium", "high"], rng.randint(0, 3)),
            "author_may_approve_alone": rng.sample(list(ACTIONS), rng.randint(0, 2)),
        },
        "permissions": {p: roles() for p in PERMISSIONS},
    }


def parse(doc: dict[str, Any]) -> Authority:
    problems: list[str] = []
    people = {p["email"]: p["roles"] for p in doc["people"]}
    rules = {k: v for k, v in doc.items() if k != "people"}
    auth = parse_authority(rules, problems, set(ACTIONS), set(ACTIONS.values()), people)
    assert problems == []
    return auth


# -- the oracle: what the policy demands, read straight from the YAML-shaped document ----------
def roles_of(doc: dict[str, Any], who: str) -> set[str]:
    return next((set(p["roles"]) for p in doc["people"] if p["email"] == who), set())


def may_roles(doc: dict[str, Any], action: str) -> set[str]:
    channel = ACTIONS[action]
    best, score = set(), -1
    for rule in doc["approve"]:
        a, c = rule.get("action", "*"), rule.get("channel", "*")
        if a in ("*", action) and c in ("*", channel):
            s = (a != "*") * 2 + (c != "*")
            if s > score:
                best, score = set(rule["roles"]), s
    return best


def demanded(
    doc: dict[str, Any], action: str, amount: float
) -> tuple[set[str], list[set[str]], int]:
    needs = [
        set(t["roles"])
        for t in doc["thresholds"]
        if t["action"] == action and amount > t["above"] and t.get("roles")
    ]
    quorum = max(
        [
            t.get("quorum", 1)
            for t in doc["thresholds"]
            if t["action"] == action and amount > t["above"]
        ]
        + [1]
    )
    return may_roles(doc, action).union(*needs), needs, quorum


def sod(doc: dict[str, Any], action: str) -> bool:
    rule = doc["separation_of_duties"]
    return TIERS[action] in rule["tiers"] and action not in rule["author_may_approve_alone"]


def check_applied(
    doc: dict[str, Any], action: str, amount: float, author: str, approvers: list[str]
) -> None:
    may, needs, quorum = demanded(doc, action, amount)
    assert len(set(approvers)) == len(approvers), f"someone counted twice: {approvers}"
    for who in approvers:
        assert roles_of(doc, who) & may, f"{who} had no authority for {action}"
    assert len(approvers) >= quorum
    for roles in needs:
        assert any(roles_of(doc, who) & roles for who in approvers)
    if sod(doc, action):
        assert any(who != author for who in approvers), "the author approved alone"


def attempts(rng: random.Random) -> list[tuple[int, str]]:
    """1-8 attempts by people (index 5 and above: someone outside the team), mostly approvals."""
    kinds = ["approve", "approve", "approve", "reject"]
    return [(rng.randint(0, 5), rng.choice(kinds)) for _ in range(rng.randint(1, 8))]


# Hypothesis draws a seed; the policy and the attempts are built from it with `random` (drawing
# each choice through Hypothesis made an example ~70 ms; this way 10,000 take a minute or two).
def cases(n: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """`n` examples of (seed, action, amount, author), with no deadline."""

    def decorate(test: Callable[..., None]) -> Callable[..., None]:
        drawn = given(
            seed=st.integers(0, 2**32 - 1),
            action=st.sampled_from(list(ACTIONS)),
            amount=st.sampled_from([50, 300, 700, 1200]),
            author=st.integers(0, 5),
        )(test)
        return settings(
            max_examples=n, deadline=None, suppress_health_check=[HealthCheck.too_slow]
        )(drawn)

    return decorate


def scene(seed: int, author: int) -> tuple[dict[str, Any], list[tuple[int, str]], list[str], str]:
    """From the seed: the policy, the attempts, the people's addresses (the outsider last, for
    every index past the team) and the author's."""
    rng = random.Random(seed)
    doc, tries = policy(rng), attempts(rng)
    emails = [p["email"] for p in doc["people"]] + [OUTSIDER]
    return doc, tries, emails, person(emails, author)


def person(emails: list[str], index: int) -> str:
    return emails[min(index, len(emails) - 1)]


@cases(9000)
def test_pure_rules_hold_for_random_policies_people_and_attempts(
    seed: int, action: str, amount: float, author: int
) -> None:
    doc, tries, emails, author_email = scene(seed, author)
    auth = parse(doc)
    req = requirement(
        auth, action, ACTIONS[action], TIERS[action], {"amount": amount}, author_email
    )
    endorsers: list[str] = []
    for index, _kind in tries:
        who = person(emails, index)
        verdict = assess(auth, req, endorsers, who)
        if not verdict.allowed:
            assert not (roles_of(doc, who) & demanded(doc, action, amount)[0]) or who in endorsers
            continue
        assert who not in endorsers
        if verdict.complete:
            check_applied(doc, action, amount, author_email, [*endorsers, who])
            return
        endorsers.append(who)


_DB: dict[str, Store] = {}


def store() -> Store:
    if "store" not in _DB:
        path = Path(tempfile.mkdtemp(prefix="authority-props-")) / "signoff.db"
        _DB["store"] = Store(connect(path))
    return _DB["store"]


@cases(1000)
def test_the_runtime_checks_record_endorsements_apply_once_and_audit_refusals(
    seed: int, action: str, amount: float, author: int
) -> None:
    """The same attempts through `Approvals` over a real store, as `Signoff.decide` makes them."""
    doc, tries, emails, author_email = scene(seed, author)
    s = store()
    approvals = Approvals(s, parse(doc))
    thread = uuid.uuid4().hex
    s.audit("campaign.started", {}, thread_id=thread, actor=author_email)
    item = {
        "interrupt_id": uuid.uuid4().hex,
        "thread_id": thread,
        "action_id": "a1",
        "kind": "review",
        "payload": {
            "action": {"name": action, "args": {"amount": amount}},
            "channel": ACTIONS[action],
            "risk": TIERS[action],
        },
    }
    applied: list[str] | None = None
    for index, kind in tries:
        who = person(emails, index)
        refused_before = len(s.audit_log(thread, 10**6, event="authority.refused"))
        decision = {"type": kind} if kind == "approve" else {"type": "reject", "reason": "no"}
        try:
            plan = approvals.plan(item, decision, who, None)
        except NotAllowed:
            assert len(s.audit_log(thread, 10**6, event="authority.refused")) == refused_before + 1
            continue
        if kind == "reject":
            assert roles_of(doc, who) & demanded(doc, action, amount)[0]
            return  # a rejection stops it; nothing goes out
        if plan.complete:
            applied = list(plan.approvers)
            break
        approvals.endorse(item, who, plan)
    if applied is not None:
        check_applied(doc, action, amount, author_email, applied)
        assert applied[:-1] == approvals.endorsers(item["interrupt_id"])
