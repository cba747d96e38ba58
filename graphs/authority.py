"""Who may do what (DESIGN.md §5b): people, roles, approvals, thresholds, quorum, separation of duties.

The `authority:` section of the policy file names the people (their verified email, the roles they
hold, and the operating-system logins that speak for them on the command line), which roles may
decide a review per action type and channel, thresholds (a spend above an amount needs a role, or
several different people), separation of duties (the person who started a campaign is not enough
alone for its high-risk actions) and who may do everything else (send now, cancel, settle, undo,
promote, change the policy, add knowledge).

With no people configured, Signoff runs single-user: whoever runs it holds every role (local mode).

Everything here is pure: `parse_authority` validates the section, `requirement` says what a review
needs, `assess` says whether a set of approvers meets it. The runtime calls them for every attempt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

PERMISSIONS = (
    "start",  # start a campaign
    "send_now",  # release a held action before its time
    "cancel",  # cancel a held action
    "settle",  # settle an in-doubt send (mark as sent / send again) and retry a failed one
    "undo",  # undo an executed reversible action
    "acknowledge",  # acknowledge or flag an action that ran without review
    "promote",  # confirm a promotion of an action type's autonomy
    "change_policy",  # load a changed policy file
    "add_knowledge",  # add or remove knowledge-base documents
)
ROLE_WORDS = {"budget_owner": "a budget owner", "admin": "an admin"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ROLE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
LOCAL = "local mode: no people are configured, so whoever runs Signoff holds every role"


@dataclass(frozen=True)
class Person:
    email: str
    roles: frozenset[str]
    logins: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApproveRule:
    action: str  # an action type, or "*"
    channel: str  # a channel, or "*"
    roles: frozenset[str]


@dataclass(frozen=True)
class Threshold:
    action: str
    channel: str
    above: float  # applies when the action's `amount` is above this
    roles: frozenset[str] = frozenset()  # one approver must hold one of these (empty: any)
    quorum: int = 1  # this many different people must approve


@dataclass(frozen=True)
class Authority:
    people: tuple[Person, ...] = ()
    approve: tuple[ApproveRule, ...] = ()
    thresholds: tuple[Threshold, ...] = ()
    sod_tiers: frozenset[str] = frozenset({"high"})
    author_may_approve_alone: frozenset[str] = frozenset()  # action types exempt from SoD
    permissions: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def open(self) -> bool:
        """Local mode: no people configured, everyone who runs it holds every role."""
        return not self.people

    def person(self, identity: str) -> Person | None:
        """The person an identity (a verified email, or an OS login on the CLI) stands for."""
        key = identity.strip().lower()
        for p in self.people:
            if p.email == key or key in p.logins:
                return p
        return None

    def canonical(self, identity: str) -> str:
        """The name recorded for an identity: the person's email when it maps to one."""
        p = self.person(identity)
        return p.email if p else identity.strip()

    def roles(self, identity: str) -> frozenset[str]:
        if self.open:
            return self.all_roles() | {"*"}
        p = self.person(identity)
        return p.roles if p else frozenset()

    def all_roles(self) -> frozenset[str]:
        roles: set[str] = set()
        for p in self.people:
            roles |= p.roles
        return frozenset(roles)

    def holders(self, roles: frozenset[str]) -> list[str]:
        return [p.email for p in self.people if p.roles & roles]

    def may(self, identity: str, permission: str) -> bool:
        if self.open:
            return True
        allowed = self.permissions.get(permission, frozenset())
        return bool(self.roles(identity) & allowed)

    def who_may(self, permission: str) -> str:
        allowed = self.permissions.get(permission, frozenset())
        names = self.holders(allowed)
        roles = " or ".join(sorted(allowed)) or "nobody (no role is given this permission)"
        return f"{roles}: {', '.join(names) if names else 'nobody holds it'}"


@dataclass(frozen=True)
class Requirement:
    """What a review needs before it may go out."""

    may: frozenset[str]  # roles that may decide it at all
    needs: tuple[frozenset[str], ...] = ()  # each: some approver holds one of these roles
    quorum: int = 1  # different approvers
    author: str | None = None  # separation of duties: someone other than this person is needed


@dataclass(frozen=True)
class Verdict:
    allowed: bool  # may this person take part at all
    complete: bool  # with this person, is the requirement met
    missing: tuple[str, ...] = ()  # what is still needed, in words
    why: str = ""  # when not allowed: why, and who can


def requirement(
    auth: Authority,
    action: str,
    channel: str,
    tier: str,
    args: dict[str, Any],
    author: str | None,
) -> Requirement:
    """The requirement for a review of `action` on `channel` with these args."""
    if auth.open:
        return Requirement(may=frozenset({"*"}))
    rules = [r for r in auth.approve if _matches(r.action, r.channel, action, channel)]
    rules.sort(key=lambda r: (r.action != "*") * 2 + (r.channel != "*"), reverse=True)
    may = rules[0].roles if rules else frozenset()
    needs: list[frozenset[str]] = []
    quorum = 1
    amount = args.get("amount")
    if isinstance(amount, int | float) and not isinstance(amount, bool):
        for t in auth.thresholds:
            if _matches(t.action, t.channel, action, channel) and float(amount) > t.above:
                if t.roles:
                    needs.append(t.roles)
                quorum = max(quorum, t.quorum)
    sod = tier in auth.sod_tiers and action not in auth.author_may_approve_alone
    owner = auth.canonical(author) if (sod and author) else None
    return Requirement(
        may=may | frozenset().union(*needs), needs=tuple(needs), quorum=quorum, author=owner
    )


@dataclass(frozen=True)
class Decidable:
    """Which reviews one person may decide, as data a query can apply (the inbox's "only what
    I can decide" filter), with the same outcome as `can_take_part(requirement(...))`:

    - `rules`: the approve rules, most specific first, as (action, channel, allowed): the first
      whose action and channel match an item (None matches any) says whether their roles may
      decide it;
    - `above`: (action, channel, amount): they may also decide a matching item whose `amount`
      is above this, where a threshold asks for one of their roles.
    """

    rules: tuple[tuple[str | None, str | None, bool], ...]
    above: tuple[tuple[str | None, str | None, float], ...] = ()


def decidable(auth: Authority, identity: str) -> Decidable | None:
    """What `identity` may decide; None in local mode (everyone may decide everything)."""
    if auth.open:
        return None
    roles = auth.roles(identity)
    ordered = sorted(  # the order `requirement` picks its rule in (a stable sort)
        auth.approve, key=lambda r: (r.action != "*") * 2 + (r.channel != "*"), reverse=True
    )
    return Decidable(
        rules=tuple((_any(r.action), _any(r.channel), bool(r.roles & roles)) for r in ordered),
        above=tuple(
            (_any(t.action), _any(t.channel), float(t.above))
            for t in auth.thresholds
            if t.roles & roles
        ),
    )


def _any(value: str) -> str | None:
    return None if value == "*" else value


def _matches(rule_action: str, rule_channel: str, action: str, channel: str) -> bool:
    return rule_action in ("*", action) and rule_channel in ("*", channel)


def can_take_part(auth: Authority, req: Requirement, identity: str) -> bool:
    if auth.open:
        return True
    return bool(auth.roles(identity) & req.may)


def missing(auth: Authority, req: Requirement, approvers: list[str]) -> list[str]:
    """What the approvers (distinct, in order) still lack, in words; empty when it is met."""
    if auth.open:
        return [] if approvers else ["an approval"]
    people = list(dict.fromkeys(auth.canonical(a) for a in approvers))
    lacking: list[str] = []
    for roles in req.needs:
        if not any(auth.roles(a) & roles for a in people):
            lacking.append(f"needs {_role_words(roles)}: {', '.join(auth.holders(roles))}")
    if len(people) < req.quorum:
        more = req.quorum - len(people)
        lacking.append(
            f"needs {req.quorum} different people ({more} more): {', '.join(auth.holders(req.may))}"
        )
    if req.author and all(a == req.author for a in people):
        others = [e for e in auth.holders(req.may) if e != req.author]
        lacking.append(
            f"needs someone other than the campaign's author ({req.author}): {', '.join(others)}"
        )
    if not people:
        lacking.append("needs an approval")
    return lacking


def assess(auth: Authority, req: Requirement, earlier: list[str], identity: str) -> Verdict:
    """May `identity` approve, and would that complete the requirement with the earlier approvers?"""
    me = auth.canonical(identity)
    if not can_take_part(auth, req, identity):
        who = auth.holders(req.may)
        return Verdict(
            False,
            False,
            why=f"{me} may not decide this: it {describe(auth, req)} "
            f"({', '.join(who) if who else 'nobody holds these roles'}).",
        )
    done = [auth.canonical(a) for a in earlier]
    if me in done:
        still = missing(auth, req, done)
        return Verdict(
            False,
            False,
            tuple(still),
            why=f"{me} has already approved this; one person counts once. It still "
            + "; ".join(still)
            + ".",
        )
    lacking = missing(auth, req, [*done, me])
    return Verdict(True, not lacking, tuple(lacking))


def describe(auth: Authority, req: Requirement) -> str:
    """'needs a marketer or a budget owner' (for who may decide a review)."""
    return f"needs {_role_words(req.may)}"


def _role_words(roles: frozenset[str]) -> str:
    names = [ROLE_WORDS.get(r, f"a {r.replace('_', ' ')}") for r in sorted(roles)]
    return " or ".join(names) if names else "a role nobody holds"


# -- parsing ---------------------------------------------------------------------------------
def parse_authority(
    raw: Any,
    problems: list[str],
    actions: set[str],
    channels: set[str],
    raw_people: Any = None,
) -> Authority:
    """Validate the policy's `people:` (email → roles) and `authority:` sections; each problem is
    appended to `problems`."""

    def bad(key: str, value: Any, allowed: str) -> None:
        problems.append(f"`authority.{key}` is {value!r}; expected {allowed}")

    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        bad(
            "", raw, "a mapping with logins, approve, thresholds, separation_of_duties, permissions"
        )
        return Authority()
    known = {"logins", "approve", "thresholds", "separation_of_duties", "permissions"}
    for key in sorted(set(raw) - known):
        bad(key, raw[key], f"one of {sorted(known)}")
    roster: dict[str, frozenset[str]] = {}
    if raw_people is not None and not isinstance(raw_people, dict):
        problems.append(
            f"`people` is {raw_people!r}; expected a mapping of emails to lists of roles, "
            "e.g. {ann@example.com: [marketer]}"
        )
    for email, roles in (raw_people or {}).items() if isinstance(raw_people, dict) else ():
        if not isinstance(email, str) or not _EMAIL.match(email.strip()):
            problems.append(f"`people.{email}` is not an email; expected e.g. ann@example.com")
            continue
        if isinstance(roles, str):
            roles = [roles]
        roster[email.strip().lower()] = _roles(roles, f"people.{email}", problems_bad(problems))
    logins: dict[str, list[str]] = {}
    raw_logins = raw.get("logins") or {}
    if not isinstance(raw_logins, dict):
        bad("logins", raw_logins, "a mapping of operating-system user names to people's emails")
        raw_logins = {}
    for login, email in raw_logins.items():
        target = str(email).strip().lower() if isinstance(email, str) else None
        if not isinstance(login, str) or not login.strip() or target not in roster:
            bad(f"logins.{login}", email, f"the email of someone under `people` ({sorted(roster)})")
            continue
        if login.strip().lower() in roster:
            bad(f"logins.{login}", email, "a user name, not an email")
            continue
        logins.setdefault(target, []).append(login.strip().lower())
    people = [Person(email, roles, tuple(logins.get(email, ()))) for email, roles in roster.items()]
    all_roles = frozenset().union(*(p.roles for p in people)) if people else frozenset()

    def held(roles: frozenset[str], key: str) -> None:
        """A rule whose roles nobody holds could never be met (a typo, or a missing person)."""
        if people and roles and not roles & all_roles:
            bad(
                key,
                sorted(roles),
                f"at least one role someone under `people` holds ({sorted(all_roles)})",
            )

    approve: list[ApproveRule] = []
    raw_approve = raw.get("approve") or []
    if not isinstance(raw_approve, list):
        bad("approve", raw_approve, "a list of {action, channel, roles}")
        raw_approve = []
    for i, entry in enumerate(raw_approve):
        key = f"approve[{i}]"
        if not isinstance(entry, dict):
            bad(key, entry, "a mapping {action: spend_ads, channel: ads, roles: [budget_owner]}")
            continue
        for extra in sorted(set(entry) - {"action", "channel", "roles"}):
            bad(f"{key}.{extra}", entry[extra], "only action, channel, roles")
        action, channel = _target(entry, key, actions, channels, bad)
        roles = _roles(entry.get("roles"), f"{key}.roles", bad)
        held(roles, f"{key}.roles")
        approve.append(ApproveRule(action, channel, roles))
    thresholds: list[Threshold] = []
    raw_thresholds = raw.get("thresholds") or []
    if not isinstance(raw_thresholds, list):
        bad("thresholds", raw_thresholds, "a list of {action, above, roles, quorum}")
        raw_thresholds = []
    for i, entry in enumerate(raw_thresholds):
        key = f"thresholds[{i}]"
        if not isinstance(entry, dict):
            bad(key, entry, "a mapping {action: spend_ads, above: 500, roles: [budget_owner]}")
            continue
        for extra in sorted(set(entry) - {"action", "channel", "above", "roles", "quorum"}):
            bad(f"{key}.{extra}", entry[extra], "only action, channel, above, roles, quorum")
        action, channel = _target(entry, key, actions, channels, bad)
        above = entry.get("above")
        if not isinstance(above, int | float) or isinstance(above, bool) or above < 0:
            bad(f"{key}.above", above, "an amount ≥ 0 (the threshold applies above it)")
            above = 0
        roles = _roles(entry.get("roles"), f"{key}.roles", bad) if "roles" in entry else frozenset()
        held(roles, f"{key}.roles")
        quorum = entry.get("quorum", 1)
        if not isinstance(quorum, int) or isinstance(quorum, bool) or quorum < 1:
            bad(f"{key}.quorum", quorum, "a whole number ≥ 1 (different people)")
            quorum = 1
        elif people and quorum > len(people):
            bad(f"{key}.quorum", quorum, f"at most the {len(people)} people configured")
        if not roles and quorum == 1:
            bad(key, entry, "roles or a quorum above 1 (otherwise the threshold changes nothing)")
        thresholds.append(Threshold(action, channel, float(above), roles, quorum))
    sod = raw.get("separation_of_duties") or {}
    tiers: frozenset[str] = frozenset({"high"})
    exempt: frozenset[str] = frozenset()
    if not isinstance(sod, dict):
        bad("separation_of_duties", sod, "a mapping {tiers: [high], author_may_approve_alone: []}")
    else:
        for extra in sorted(set(sod) - {"tiers", "author_may_approve_alone"}):
            bad(f"separation_of_duties.{extra}", sod[extra], "only tiers, author_may_approve_alone")
        t = sod.get("tiers", ["high"])
        if not isinstance(t, list) or not set(t) <= {"low", "medium", "high"}:
            bad("separation_of_duties.tiers", t, "a list of risk tiers (low, medium, high)")
        else:
            tiers = frozenset(t)
        e = sod.get("author_may_approve_alone", []) or []
        if not isinstance(e, list) or not set(e) <= actions:
            bad(
                "separation_of_duties.author_may_approve_alone",
                e,
                f"a list of action types ({sorted(actions)})",
            )
        else:
            exempt = frozenset(e)
    permissions: dict[str, frozenset[str]] = {}
    raw_perms = raw.get("permissions") or {}
    if not isinstance(raw_perms, dict):
        bad("permissions", raw_perms, f"a mapping of {list(PERMISSIONS)} to role lists")
        raw_perms = {}
    for key, value in raw_perms.items():
        if key not in PERMISSIONS:
            bad(f"permissions.{key}", value, f"one of {list(PERMISSIONS)}")
            continue
        roles = _roles(value, f"permissions.{key}", bad)
        held(roles, f"permissions.{key}")
        permissions[key] = roles
    if people:
        for perm in PERMISSIONS:
            if perm not in permissions:
                bad(
                    f"permissions.{perm}",
                    None,
                    "a list of roles (every permission is named once people are configured)",
                )
        if not approve:
            bad("approve", [], "at least one rule such as {action: '*', roles: [marketer]}")
    return Authority(
        people=tuple(people),
        approve=tuple(approve),
        thresholds=tuple(thresholds),
        sod_tiers=tiers,
        author_may_approve_alone=exempt,
        permissions=permissions,
    )


def _roles(value: Any, key: str, bad: Any) -> frozenset[str]:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(r, str) and _ROLE.match(r) for r in value)
    ):
        bad(
            key.removeprefix("authority."),
            value,
            "a non-empty list of role names such as [marketer, budget_owner]",
        )
        return frozenset()
    return frozenset(value)


def _target(
    entry: dict[str, Any], key: str, actions: set[str], channels: set[str], bad: Any
) -> tuple[str, str]:
    action = entry.get("action", "*")
    if action != "*" and action not in actions:
        bad(f"{key}.action", action, f"'*' or an action type of the policy ({sorted(actions)})")
    channel = entry.get("channel", "*")
    if channel != "*" and channel not in channels:
        bad(f"{key}.channel", channel, f"'*' or a channel ({sorted(channels)})")
    return str(action), str(channel)


def problems_bad(problems: list[str]) -> Any:
    """A `bad(key, value, allowed)` for top-level keys (such as `people.ann@…`)."""

    def bad(key: str, value: Any, allowed: str) -> None:
        problems.append(f"`{key}` is {value!r}; expected {allowed}")

    return bad
