"""The policy: how much oversight each action gets (DESIGN.md §5), read from one YAML file.

`load_policy()` validates the file and says, for each problem, the key, the bad value and what is
allowed. `route(policy, facts)` is a pure function from what is known about one proposed action
to its route — "auto" (run and log), "notify" (run, log, and put it in the reviewer's feed),
"review" (wait for a person) or "skip" (a reversible action over its daily limit) — with the
reasons in plain words. The graph's `assess` node gathers the facts; the policy simulation replays
recorded facts through a candidate policy.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypedDict

import yaml

from graphs.authority import Authority, parse_authority
from graphs.errors import InvalidInput
from graphs.humanize import count

DEFAULT_POLICY = Path(__file__).with_name("policy.yaml")
LEVELS = ("supervised", "earned", "monitored")
TIERS = ("low", "medium", "high")
Route = Literal["auto", "notify", "review", "skip"]
ROUTE_WORDS = {
    "auto": "run and log",
    "notify": "run and notify",
    "review": "wait for a person",
    "skip": "skip (daily limit)",
}
# What waits, by autonomy level and risk tier (before exceptions).
BASE_ROUTES: dict[str, dict[str, Route]] = {
    "supervised": {"low": "auto", "medium": "review", "high": "review"},
    "earned": {"low": "auto", "medium": "notify", "high": "review"},
    "monitored": {"low": "auto", "medium": "notify", "high": "notify"},
}
# The confidence each system check gives an action that fails it. All are below every sensible
# threshold, so each of them brings the action to a person.
CHECK_CONFIDENCE = {
    "unsupported claims": 0.2,
    "contains instructions": 0.2,
    "policy words": 0.3,
    "first contact": 0.4,
}


@dataclass(frozen=True)
class ActionPolicy:
    name: str
    risk: str
    reversible: bool
    hold_seconds: int
    start_autonomy: str
    max_autonomy: str
    daily_limit: int | None = None
    limits: dict[str, Any] = field(default_factory=dict)


def unlisted(name: str, risk: Any) -> ActionPolicy:
    """The policy of an action the file does not name: its tool's risk tier, supervised (every
    draft waits for a person), no hold; add it under `actions:` to change that."""
    return ActionPolicy(
        name=name,
        risk=risk.tier,
        reversible=risk.reversible,
        hold_seconds=0,
        start_autonomy="supervised",
        max_autonomy="supervised",
    )


@dataclass(frozen=True)
class Policy:
    version: str
    path: str
    digest: str  # sha256 of the file's bytes, first 12 hex digits
    actions: dict[str, ActionPolicy]
    confidence: dict[str, float]
    expiry: dict[str, int | None]
    remind_before: int
    promotion: dict[str, float]
    policy_words: tuple[str, ...]
    authority: Authority = field(default_factory=Authority)  # who may do what (graphs/authority)
    reach: dict[str, Any] = field(
        default_factory=dict
    )  # `notifications:` (graphs/notify_policy.py)
    # links and contacts a draft may carry besides the brief's: {domains, emails, phones, handles}
    allowlist: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def action(self, name: str) -> ActionPolicy:
        try:
            return self.actions[name]
        except KeyError:
            from tools.registry import TOOLS

            if name in TOOLS:  # a tool the file does not name yet (a new channel's): its own
                return unlisted(name, TOOLS[name].risk)  # risk, and always a person's decision
            raise InvalidInput(
                f"The policy ({self.path}) has no entry for action '{name}'; expected one of "
                f"{sorted(self.actions)}. Add it under `actions:`."
            ) from None

    def level_for(self, name: str, recorded: str | None) -> str:
        """The effective autonomy level: the recorded one (or the start), capped by the max."""
        spec = self.action(name)
        level = recorded or spec.start_autonomy
        return cap(level, spec.max_autonomy)

    def expires_after(self, tier: str) -> int | None:
        return self.expiry.get(tier)

    def routing_table(self) -> list[dict[str, Any]]:
        """One row per action type: its tier, hold, limits and what happens at each level."""
        from tools.registry import get_tool

        rows = []
        for name, spec in self.actions.items():
            tool = get_tool(name)
            routes = {}
            for level in LEVELS:
                if LEVELS.index(level) > LEVELS.index(spec.max_autonomy):
                    routes[level] = "— (above max autonomy)"
                    continue
                base = _base_route(spec, level)
                routes[level] = ROUTE_WORDS[base]
            limits = dict(spec.limits)
            if spec.daily_limit is not None:
                limits["daily_limit"] = spec.daily_limit
            rows.append(
                {
                    "action": name,
                    "channel": tool.channel,
                    "title": tool.title,
                    "tier": spec.risk,
                    "reversible": spec.reversible,
                    "hold_seconds": spec.hold_seconds,
                    "start_autonomy": spec.start_autonomy,
                    "max_autonomy": spec.max_autonomy,
                    "limits": limits,
                    "routes": routes,
                }
            )
        return rows


def cap(level: str, maximum: str) -> str:
    return LEVELS[min(LEVELS.index(level), LEVELS.index(maximum))]


def policy_path(path: Path | str | None = None) -> Path:
    return Path(path or os.environ.get("SIGNOFF_POLICY") or DEFAULT_POLICY).expanduser()


def load_policy(path: Path | str | None = None) -> Policy:
    """Read and validate a policy file (default: the shipped one, or SIGNOFF_POLICY)."""
    where = policy_path(path)
    try:
        raw_bytes = where.read_bytes()
    except OSError as exc:
        raise InvalidInput(
            f"Cannot read the policy file {where}: {exc.strerror}. Point SIGNOFF_POLICY at a "
            f"readable YAML file, or unset it to use the shipped {DEFAULT_POLICY}."
        ) from exc
    return parse_policy(raw_bytes.decode("utf-8", errors="replace"), str(where))


def _title(action: str) -> str:
    """The action as its tool names it ("Spend on ads", "Publish web page"), or its name in
    words for an action no tool registers (send_email: "Send email")."""
    from tools.registry import TOOLS

    tool = TOOLS.get(action)
    return str(getattr(tool, "title", "") or action.replace("_", " ").capitalize())


def parse_policy(text: str, where: str = "<policy>") -> Policy:
    """Validate policy YAML text; every problem names its key, the bad value and what is allowed."""
    from tools.registry import TOOLS

    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(
            f"{where} is not valid YAML: {exc}. Fix the file and try again."
        ) from exc
    if not isinstance(raw, dict):
        raise InvalidInput(
            f"{where} must be a YAML mapping with keys version, confidence, expiry, promotion, "
            f"actions; got {type(raw).__name__}."
        )
    problems: list[str] = []

    def bad(key: str, value: Any, allowed: str) -> None:
        problems.append(f"`{key}` is {value!r}; expected {allowed}")

    known_top = {
        "version",
        "confidence",
        "expiry",
        "promotion",
        "policy_words",
        "actions",
        "people",
        "authority",
        "notifications",
        "allowlist",
    }
    for key in sorted(set(raw) - known_top):
        bad(key, raw[key], f"one of the keys {sorted(known_top)}")
    version = raw.get("version")
    if not isinstance(version, str | int | float) or not str(version).strip():
        bad("version", version, "a version string such as '2026-11-21.1'")
    confidence = _mapping(raw, "confidence", problems)
    thresholds: dict[str, float] = {}
    for level in LEVELS:
        value = confidence.get(level, 0.5)
        if not _number(value) or not 0 <= value <= 1:
            bad(f"confidence.{level}", value, "a number from 0 to 1")
        else:
            thresholds[level] = float(value)
    for key in sorted(set(confidence) - set(LEVELS)):
        bad(f"confidence.{key}", confidence[key], f"only the levels {list(LEVELS)}")
    expiry_raw = _mapping(raw, "expiry", problems)
    expiry: dict[str, int | None] = {"low": None}
    for tier in ("medium", "high"):
        value = expiry_raw.get(tier)
        if value is not None and (not _number(value) or value <= 0):
            bad(f"expiry.{tier}", value, "seconds (a positive number) or null for never")
        else:
            expiry[tier] = int(value) if value is not None else None
    remind = expiry_raw.get("remind_before", 3600)
    if not _number(remind) or remind < 0:
        bad("expiry.remind_before", remind, "seconds (0 or more)")
        remind = 0
    for key in sorted(set(expiry_raw) - {"low", "medium", "high", "remind_before"}):
        bad(f"expiry.{key}", expiry_raw[key], "one of medium, high, remind_before")
    promotion_raw = _mapping(raw, "promotion", problems)
    promotion = {"window": 20.0, "min_decisions": 10.0, "min_lower_bound": 0.8}
    for key, default in list(promotion.items()):
        value = promotion_raw.get(key, default)
        ok = _number(value) and (0 <= value <= 1 if key == "min_lower_bound" else value >= 1)
        if not ok:
            allowed = "a number from 0 to 1" if key == "min_lower_bound" else "a whole number ≥ 1"
            bad(f"promotion.{key}", value, allowed)
        else:
            promotion[key] = float(value)
    words = raw.get("policy_words", [])
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        bad("policy_words", words, "a list of words or phrases")
        words = []
    allowlist = _allowlist(raw, problems)
    actions_raw = raw.get("actions")
    actions: dict[str, ActionPolicy] = {}
    if not isinstance(actions_raw, dict) or not actions_raw:
        bad("actions", actions_raw, f"a mapping of action names ({sorted(TOOLS)}) to settings")
        actions_raw = {}
    for name, spec in actions_raw.items():
        prefix = f"actions.{name}"
        if name not in TOOLS:
            bad(prefix, name, f"an action Signoff knows: {sorted(TOOLS)}")
            continue
        if not isinstance(spec, dict):
            bad(prefix, spec, "a mapping with risk, reversible, hold_seconds, max_autonomy")
            continue
        allowed_keys = {
            "risk",
            "reversible",
            "hold_seconds",
            "start_autonomy",
            "max_autonomy",
            "daily_limit",
            "limits",
        }
        for key in sorted(set(spec) - allowed_keys):
            bad(f"{prefix}.{key}", spec[key], f"one of {sorted(allowed_keys)}")
        risk = spec.get("risk", TOOLS[name].risk.tier)
        if risk not in TIERS:
            bad(f"{prefix}.risk", risk, f"one of {list(TIERS)}")
        reversible = spec.get("reversible", TOOLS[name].risk.reversible)
        if not isinstance(reversible, bool):
            bad(f"{prefix}.reversible", reversible, "true or false")
        hold = spec.get("hold_seconds", 0)
        if not isinstance(hold, int) or isinstance(hold, bool) or not 0 <= hold <= 7 * 86400:
            bad(f"{prefix}.hold_seconds", hold, "whole seconds from 0 to 604800 (a week)")
        maximum = spec.get("max_autonomy", "supervised")
        if maximum not in LEVELS:
            bad(f"{prefix}.max_autonomy", maximum, f"one of {list(LEVELS)}")
        start = spec.get("start_autonomy", "supervised")
        if start not in LEVELS:
            bad(f"{prefix}.start_autonomy", start, f"one of {list(LEVELS)}")
        daily = spec.get("daily_limit")
        if daily is not None and (
            not isinstance(daily, int) or isinstance(daily, bool) or daily < 0
        ):
            bad(f"{prefix}.daily_limit", daily, "a whole number ≥ 0, or leave it out")
        limits = spec.get("limits", {}) or {}
        if not isinstance(limits, dict):
            bad(f"{prefix}.limits", limits, "a mapping such as {budget_per_day: 200}")
            limits = {}
        for key, value in limits.items():
            if key == "currency":
                if not (isinstance(value, str) and len(value) == 3 and value.isalpha()):
                    bad(f"{prefix}.limits.currency", value, "a 3-letter currency code like EUR")
            elif key in ("budget_per_day", "budget_per_campaign"):
                if not _number(value) or value < 0:
                    bad(f"{prefix}.limits.{key}", value, "an amount ≥ 0")
            else:
                bad(
                    f"{prefix}.limits.{key}",
                    value,
                    "one of currency, budget_per_day, budget_per_campaign",
                )
        if len(problems) == 0:
            actions[name] = ActionPolicy(
                name=name,
                risk=risk,
                reversible=reversible,
                hold_seconds=hold,
                start_autonomy=cap(start, maximum),
                max_autonomy=maximum,
                daily_limit=daily,
                limits=dict(limits),
            )
    authority = parse_authority(
        raw.get("authority"),
        problems,
        set(actions_raw),
        {t.channel for t in TOOLS.values()},
        raw.get("people"),
    )
    from graphs.notify_policy import parse_reach

    reach = parse_reach(raw.get("notifications"), problems)
    if problems:
        raise InvalidInput(
            f"The policy {where} has {count(len(problems), 'problem')}: "
            + "; ".join(problems)
            + ". Nothing was changed: fix the file and try again."
        )
    return Policy(
        version=str(version),
        path=where,
        digest=hashlib.sha256(text.encode()).hexdigest()[:12],
        actions=actions,
        confidence=thresholds,
        expiry=expiry,
        remind_before=int(remind),
        promotion=promotion,
        policy_words=tuple(w.lower() for w in words),
        authority=authority,
        reach=reach,
        allowlist=allowlist,
    )


ALLOWLIST_KEYS = ("domains", "emails", "phones", "handles")


def _allowlist(raw: dict[str, Any], problems: list[str]) -> dict[str, tuple[str, ...]]:
    """`allowlist: {domains: [brightloop.example], emails: [...], phones: [...], handles: [...]}`"""
    lists = _mapping(raw, "allowlist", problems)
    out: dict[str, tuple[str, ...]] = {}
    for key in sorted(set(lists) - set(ALLOWLIST_KEYS)):
        problems.append(
            f"`allowlist.{key}` is {lists[key]!r}; expected one of {list(ALLOWLIST_KEYS)}"
        )
    for key in ALLOWLIST_KEYS:
        values = lists.get(key) or []
        if not isinstance(values, list) or not all(
            isinstance(v, str)
            and v.strip()
            and (key == "phones" or not any(c.isspace() for c in v.strip()))
            for v in values
        ):
            problems.append(
                f"`allowlist.{key}` is {values!r}; expected a list such as "
                + {
                    "domains": "[brightloop.example]",
                    "emails": "[hello@brightloop.example]",
                    "phones": "['+44 20 7946 0000']",
                    "handles": "['@brightloop@social.example']",
                }[key]
            )
            continue
        out[key] = tuple(v.strip().lower() for v in values)
    return out


def _mapping(raw: dict[str, Any], key: str, problems: list[str]) -> dict[str, Any]:
    value = raw.get(key, {}) or {}
    if not isinstance(value, dict):
        problems.append(f"`{key}` is {value!r}; expected a mapping")
        return {}
    return value


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# -- routing -----------------------------------------------------------------------------------


class Facts(TypedDict, total=False):
    """What is known about one proposed action when it is routed (recorded for simulation)."""

    action: str
    channel: str
    level: str | None  # the autonomy level recorded for this action type × channel (None: start)
    writer_confidence: float
    claims: int
    unsupported: int
    policy_words: list[str]
    first_contact: bool
    flagged_sources: int
    over_limit: str | None  # e.g. "over the daily ad budget (250 of 200 EUR)"
    over_daily_limit: bool  # a rate-limited action already at its daily count
    invalid: str | None  # why the args cannot go out as they are
    foreign_contacts: list[str]  # links/contacts not from the brief, brand or allowlist
    placeholders: list[str]
    foreign_scripts: list[str]  # writing the campaign does not use: "Chinese characters (“智能”)"
    revision: int  # > 0: a redraft after a person's feedback; it goes back to them


class Routing(TypedDict):
    route: Route
    tier: str
    reversible: bool
    level: str
    confidence: float
    threshold: float
    checks: dict[str, float]
    reasons: list[str]
    exceptions: list[str]
    hold_seconds: int
    allow_approve: bool


def _base_route(spec: ActionPolicy, level: str) -> Route:
    if spec.risk == "low" and not spec.reversible:
        return "notify"  # a low-risk action that cannot be undone is at least looked at later
    return BASE_ROUTES[level][spec.risk]


# What an action type does at a route, in a marketer's words ("Actions of this kind …").
TRUST_WORDS: dict[str, tuple[str, str]] = {  # (they do now, letting them …)
    "auto": ("run on their own and are logged", "run on their own"),
    "notify": ("run on their own and you are told afterwards", "run and tell you afterwards"),
    "review": ("wait for a person", "wait for a person"),
    "skip": ("are skipped for today", "run"),
}


def _trust_words(policy: Policy, spec: ActionPolicy, level: str, base: Route) -> str:
    """What an autonomy level means for this action, in a marketer's words (no level names):
    what actions of its kind do now, and what a track record would earn them."""
    allowed = LEVELS[: LEVELS.index(spec.max_autonomy) + 1]
    later = [_base_route(spec, lv) for lv in allowed[allowed.index(level) + 1 :]]
    better = next((r for r in later if r != base), None)
    now = TRUST_WORDS[base][0]
    if better is None:
        if base == "review":
            return "Actions of this kind always wait for a person: the policy says so."
        return f"Actions of this kind {now}."
    need = int(policy.promotion.get("min_decisions", 10))
    return (
        f"Actions of this kind {now} until they have a track record of at least {need} "
        f"approvals without edits; then Signoff may suggest letting them "
        f"{TRUST_WORDS[better][1]}."
    )


def _unsupported(n: int) -> str:
    """'1 claim is not supported by the cited evidence' / '2 claims are not …'."""
    return f"{count(n, 'claim')} {'is' if n == 1 else 'are'} not supported by the cited evidence"


def _flagged(n: int) -> str:
    """'1 source contains instructions (…)' / '2 sources contain instructions (…)'."""
    verb = "contains" if n == 1 else "contain"
    return f"{count(n, 'source')} {verb} instructions (treated as data, never obeyed)"


def route(policy: Policy, facts: Facts) -> Routing:
    """Pure: the route for one proposed action, and why, in a marketer's words."""
    spec = policy.action(facts["action"])
    level = policy.level_for(facts["action"], facts.get("level"))
    base = _base_route(spec, level)
    checks: dict[str, float] = {"writer": float(facts.get("writer_confidence", 1.0))}
    reasons: list[str] = []
    exceptions: list[str] = []
    if facts.get("unsupported"):
        checks["unsupported claims"] = CHECK_CONFIDENCE["unsupported claims"]
    if facts.get("flagged_sources"):
        checks["contains instructions"] = CHECK_CONFIDENCE["contains instructions"]
    if facts.get("policy_words"):
        checks["policy words"] = CHECK_CONFIDENCE["policy words"]
    if facts.get("first_contact"):
        checks["first contact"] = CHECK_CONFIDENCE["first contact"]
    confidence = min(checks.values())
    threshold = policy.confidence[level]

    def routing(final: Route, exceptions: list[str], allow_approve: bool) -> Routing:
        return Routing(
            route=final,
            tier=spec.risk,
            reversible=spec.reversible,
            level=level,
            confidence=confidence,
            threshold=threshold,
            checks=checks,
            reasons=reasons,
            exceptions=exceptions,
            hold_seconds=spec.hold_seconds,
            allow_approve=allow_approve,
        )

    who = f"{spec.risk}-risk, {'reversible' if spec.reversible else 'cannot be undone'}"
    title = _title(str(facts["action"]))
    reasons.append(f"{title} is {who}. {_trust_words(policy, spec, level, base)}")
    if spec.risk == "low" and spec.reversible and not facts.get("foreign_contacts"):
        # A reversible low-risk action never waits: it runs and is logged, or is skipped when
        # the day's limit is reached.
        if facts.get("over_daily_limit"):
            reasons.append(f"Today's limit of {spec.daily_limit} is reached: skipped, not queued.")
            return routing("skip", [], True)
        return routing("auto", [], True)
    if confidence < threshold:
        low = sorted((k for k, v in checks.items() if v < threshold), key=lambda k: checks[k])
        exceptions.append("low confidence")
        detail = {
            "writer": f"the writer rated itself {checks['writer']:.0%}",
            "unsupported claims": _unsupported(facts.get("unsupported", 0)),
            "contains instructions": _flagged(facts.get("flagged_sources", 0)),
            "policy words": "it uses policy words: " + ", ".join(facts.get("policy_words", [])),
            "first contact": "it is the first contact with this audience",
        }
        reasons.append(
            f"Confidence {confidence:.0%} is below the {threshold:.0%} needed: "
            + "; ".join(detail[k] for k in low)
            + "."
        )
    if facts.get("unsupported") and "low confidence" not in exceptions:
        exceptions.append("unsupported claims")
        reasons.append(_unsupported(facts["unsupported"]) + ".")
    if facts.get("flagged_sources") and "low confidence" not in exceptions:
        exceptions.append("contains instructions")
        reasons.append("Some sources contain instructions (treated as data, never obeyed).")
    allow_approve = True
    if facts.get("over_limit"):
        exceptions.append("over a hard limit")
        reasons.append(
            f"{facts['over_limit']}. No autonomy level lifts this: edit the amount or reject."
        )
        allow_approve = False
    if facts.get("invalid"):
        exceptions.append("cannot go out as written")
        reasons.append(
            f"The draft cannot go out as it is ({facts['invalid']}) Edit it or send it back."
        )
        allow_approve = False
    if facts.get("foreign_contacts"):
        exceptions.append("links or contacts you did not give")
        reasons.append(
            "The draft " + "; it ".join(facts.get("foreign_contacts", [])) + ". Check it."
        )
    if facts.get("placeholders"):
        exceptions.append("placeholders")
        reasons.append(
            "The draft has placeholders that would go out as written: "
            + ", ".join(facts.get("placeholders", []))
            + "."
        )
    if facts.get("foreign_scripts"):
        exceptions.append("another script")
        reasons.append(
            "The draft is written partly in "
            + " and ".join(facts.get("foreign_scripts", []))
            + ", which neither the brief nor the facts use: check the wording."
        )
    if facts.get("revision"):
        exceptions.append("redraft")
        reasons.append(f"Redraft #{facts['revision']} after your feedback: it comes back to you.")
    final = "review" if exceptions else base
    if final == "review" and not exceptions:
        reasons.append("It waits for your sign-off.")
    elif final == "review":
        reasons.append("So it waits for your sign-off, however much trust it has earned.")
    elif final == "notify":
        reasons.append("It runs, and you can acknowledge or flag it in the activity feed.")
    if spec.hold_seconds and final != "skip":
        reasons.append(
            f"Once it may go, it is held {spec.hold_seconds} s so you can still cancel it."
        )
    return routing(final, exceptions, allow_approve)
