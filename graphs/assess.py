"""assess: gathers what is known about a proposed action and asks the policy for its route.

    assess ─auto/notify─► hold? ─► publisher        (runs; "notify" also lands in the feed)
           ─review──────► gate                      (waits for a person)
           ─skip────────► end                       (a reversible action over its daily limit)

The routing is computed here, in its own step, and checkpointed: the gate reads it from the
state, so re-running the gate on resume can never change an action's route under a decision.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal, cast

from langgraph.config import get_config
from langgraph.runtime import Runtime
from langgraph.types import Command

from graphs import step_audit
from graphs.checks.links import allowed_from, foreign_contacts
from graphs.policy import Facts, Policy, load_policy, route
from graphs.services import complete
from graphs.state import ActionState, Context, Evidence, Outcome, ProposedAction
from tools.registry import get_tool

log = logging.getLogger(__name__)

PLACEHOLDER = re.compile(r"\[[^\]\d][^\]]{0,40}\]")  # [Name], [Your Name]; not citations [1]
FLAG_INSTRUCTIONS = "contains instructions"


def policy_of(ctx: Context) -> Policy:
    return ctx.policy if ctx.policy is not None else load_policy()


def check_claims(
    action: ProposedAction, evidence: list[Evidence], runtime: Runtime[Context]
) -> list[Any]:
    """The verifier's verdict on every claim of the draft (deterministic, against the KB).

    A draft the AI review checked sentence by sentence carries its checks: those are the verdict.
    """
    if "checks" in action:
        return list(action["checks"])
    from graphs.researcher import knowledge_base
    from graphs.verifier import verify_claims

    kb, opened = knowledge_base(runtime)
    try:
        return list(verify_claims(action["claims"], evidence, kb.lookup))
    finally:
        if opened:
            kb.close()


def text_facts(
    state: ActionState,
    ctx: Context,
    policy: Policy,
    claim_checks: list[Any],
    allowed: Any = None,
) -> tuple[Facts, dict[str, Any]]:
    """The facts that rest on the action and its draft alone (no table reads), and the
    validated arguments: computed before the routing's transaction takes the write lock."""
    action = state["action"]
    if allowed is None:
        allowed = allowed_from(state["brief"], policy.allowlist, ctx.settings, state.get("brand"))
    tool = get_tool(action["name"])
    texts = [str(v) for v in action["args"].values()]
    lowered = " ".join(texts).lower()
    facts = Facts(
        action=action["name"],
        channel=tool.channel,
        level=None,
        writer_confidence=float(action["confidence"]),
        claims=len(claim_checks),
        unsupported=sum(1 for c in claim_checks if not c["supported"]),
        policy_words=[w for w in policy.policy_words if _has_word(lowered, w)],
        first_contact=False,
        flagged_sources=sum(1 for e in state["evidence"] if e.get("flags")),  # any screen flag
        over_limit=None,
        over_daily_limit=False,
        invalid=None,
        placeholders=sorted(set(PLACEHOLDER.findall(" ".join(texts)))),
        foreign_scripts=_foreign_scripts(texts, state),
        revision=action["revision"],
        foreign_contacts=foreign_contacts(action["name"], action["args"], allowed),
    )
    try:
        args = tool.validate_args(action["args"], ctx.settings)
    except ValueError as exc:
        facts["invalid"] = str(exc)
        args = action["args"]
    return facts, args


def _foreign_scripts(texts: list[str], state: ActionState) -> list[str]:
    """Scripts the draft writes in that the brief, the brand and the evidence do not use
    ("Chinese characters (“智能”)"), however the draft got here (graphs/checks/scripts.py)."""
    from graphs.checks.scripts import foreign_scripts

    campaign = [str(v) for v in state["brief"].values() if isinstance(v, str)]
    campaign += [str(v) for v in (state.get("brand") or {}).values() if isinstance(v, str)]
    campaign += [str(e.get("quote") or "") for e in state["evidence"]]
    # a contact's name is theirs to be greeted by ("Hello Дмитрий"), whatever its script
    names = [str(v) for c in state.get("audience") or [] for v in c.values()]
    found = foreign_scripts(" ".join(texts), campaign, names)
    return [f"{kind} ({', '.join(f'“{w}”' for w in words)})" for kind, words in found.items()]


def read_facts(
    facts: Facts,
    args: dict[str, Any],
    ctx: Context,
    policy: Policy,
    thread_id: str,
    day: str | None = None,
    proposal: tuple[str, str, int] | None = None,
) -> dict[str, Any] | None:
    """The facts read from the tables (and the ad ledger), read fresh, into `facts`: inside the
    routing's transaction when there is one (nothing recorded between these reads and the
    routing they decide). `day`: today's date, as the routing records it. Returns the reads
    (`routing_reads`; with `proposal`, also the route recorded before for it), None without a
    store."""
    name = facts["action"]
    store = ctx.store
    seen = None
    if store is not None:  # read fresh (a demotion recorded a moment ago counts), in one read
        spec = policy.action(name)
        emailed = name == "send_email" and "@" in str(args.get("to", ""))
        seen = store.routing_reads(
            name,
            facts["channel"],
            address=str(args["to"]) if emailed else None,
            day=(day or today(ctx)) if spec.daily_limit is not None else None,
            proposal=proposal,
        )
        facts["level"] = seen["level"]
        if emailed:
            facts["first_contact"] = not seen["contacted"]
        if spec.daily_limit is not None:
            facts["over_daily_limit"] = seen["daily"] >= spec.daily_limit
    if name == "spend_ads" and facts["invalid"] is None:
        facts["over_limit"] = _over_budget(policy, ctx, thread_id, args)
    return seen


def _has_word(text: str, word: str) -> bool:
    # every match is the word itself: most policy words are not in the text at all
    return word in text and _word_pattern(word).search(text) is not None


@lru_cache(maxsize=256)
def _word_pattern(word: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w])" + re.escape(word) + r"(?![\w])")


def today(ctx: Context) -> str:
    return datetime.fromtimestamp(ctx.clock(), UTC).date().isoformat()


def _over_budget(policy: Policy, ctx: Context, thread_id: str, args: dict[str, Any]) -> str | None:
    """A hard limit: the spend would take the day or the campaign over its budget."""
    limits = policy.action("spend_ads").limits
    amount = float(args.get("amount", 0))
    currency = limits.get("currency")
    if currency and args.get("currency") and args["currency"] != currency:
        return f"The spend is in {args['currency']}, but the ad budget is in {currency}"
    if ctx.settings is None:
        spent_day = spent_campaign = 0.0
    else:
        from tools.ads import spent

        spent_day = spent(ctx.settings, day=today(ctx))
        spent_campaign = spent(ctx.settings, thread_id=thread_id)
    per_day = limits.get("budget_per_day")
    if per_day is not None and spent_day + amount > float(per_day):
        return (
            f"Over the daily ad budget: {spent_day + amount:.2f} of {float(per_day):.2f} "
            f"{currency or ''} with this spend".rstrip()
        )
    per_campaign = limits.get("budget_per_campaign")
    if per_campaign is not None and spent_campaign + amount > float(per_campaign):
        return (
            f"Over the campaign's ad budget: {spent_campaign + amount:.2f} of "
            f"{float(per_campaign):.2f} {currency or ''} with this spend".rstrip()
        )
    return None


def assess(
    state: ActionState, runtime: Runtime[Context]
) -> Command[Literal["gate", "hold", "publisher", "__end__"]]:
    return _assess(state, runtime, ())


def _assess(
    state: ActionState, runtime: Runtime[Context], also: Sequence[step_audit.Entry]
) -> Command[Literal["gate", "hold", "publisher", "__end__"]]:
    """`assess`; `also`: the step's audit entries held for the routing's transaction."""
    ctx = complete(runtime.context)  # the same policy, store and settings for every driver
    policy = policy_of(ctx)
    action = state["action"]
    thread_id = str(get_config()["configurable"]["thread_id"])
    claim_checks = check_claims(action, state["evidence"], runtime)
    allowed = allowed_from(state["brief"], policy.allowlist, ctx.settings, state.get("brand"))
    # The reads the route rests on (autonomy level, first contact, the day's count) and the
    # routing's record in one transaction: one take of the write lock per draft, not two
    # (on SQLite the checkpointer shares it), and nothing recorded between the reads and the
    # routing they decide. Not for an ad spend: its budget check reads the ad ledger (another
    # connection), never under the app tables' lock.
    # Everything that rests on the draft alone is computed before the lock is taken: the
    # transaction holds only the reads, the route they decide and its record.
    facts, args = text_facts(state, ctx, policy, claim_checks, allowed)
    spec = policy.action(action["name"])
    day = today(ctx)
    one_tx = ctx.store is not None and action["name"] != "spend_ads"
    with ctx.store.tx() if one_tx else contextlib.nullcontext():
        proposal = (thread_id, action["id"], action["revision"]) if one_tx else None
        seen = read_facts(facts, args, ctx, policy, thread_id, day, proposal)
        routing: dict[str, Any] = dict(route(policy, facts))
        if ctx.store is not None:

            def settle(final: str) -> None:
                """The route recorded: today's limit may have turned an `auto` into a skip."""
                if final != routing["route"]:
                    routing["reasons"].append(
                        f"Today's limit of {spec.daily_limit} is reached: skipped."
                    )
                    routing["route"] = final

            def routed(final: str) -> tuple[str, dict[str, Any]]:
                """The routing's audit entry, committed with it (one transaction)."""
                settle(final)
                return (
                    "action.routed",
                    {
                        "action_id": action["id"],
                        "action": {"name": action["name"], "args": action["args"]},
                        "revision": action["revision"],
                        "route": routing["route"],
                        "level": routing["level"],
                        "reasons": routing["reasons"],
                        "confidence": routing["confidence"],
                        "checks": routing["checks"],
                        "policy_version": policy.version,
                    },
                )

            _, final = ctx.store.propose(
                thread_id,
                action["id"],
                action["revision"],
                dict(facts),
                routing["route"],
                routing["level"],
                day,
                daily_limit=spec.daily_limit if routing["route"] == "auto" else None,
                audit=routed,
                also=also,
                seen=seen,
            )
            settle(final)  # recorded before (a re-run): the route it had
    if "checks" not in action:  # a draft's own checks stay on the draft (not copied here)
        routing["claim_checks"] = claim_checks
    routing["foreign_contacts"] = facts.get("foreign_contacts", [])
    routing["contacts_allowed"] = allowed.as_list()
    routing["expires_after"] = policy.expires_after(routing["tier"])
    # when an unanswered review expires, fixed here (a checkpointed step) for any scheduler
    routing["expires_at"] = (
        ctx.clock() + routing["expires_after"] if routing["expires_after"] else None
    )
    kind = routing["route"]
    log.info("assess: %s → %s (%s)", action["id"], kind, "; ".join(routing["reasons"]))
    if kind == "review":
        return Command(update={"assessment": routing}, goto="gate")
    if kind == "skip":
        outcome = Outcome(
            action_id=action["id"],
            name=action["name"],
            status="skipped",
            detail={"reason": routing["reasons"][-1]},
        )
        return Command(update={"assessment": routing, "outcomes": [outcome]}, goto="__end__")
    update: dict[str, Any] = {"assessment": routing}
    if routing["hold_seconds"]:
        update["release_at"] = ctx.clock() + routing["hold_seconds"]
        return Command(update=update, goto="hold")
    return Command(update=update, goto="publisher")


def claim_checks_of(action: ProposedAction, assessment: dict[str, Any]) -> list[Any]:
    """The claim checks the route was computed from: the draft's own sentence checks, or the
    verifier's (kept in the assessment) for an action that came without them."""
    if "claim_checks" in assessment:
        return list(assessment["claim_checks"])
    return list(action.get("checks", []))


Node = Callable[[ActionState, Runtime[Context]], Command[Any]]


def _write_held(ctx: Context, held: Sequence[step_audit.Entry]) -> None:
    if not held or ctx.store is None:
        return
    thread_id = str(get_config()["configurable"]["thread_id"])
    for event, detail in held:
        ctx.store.audit(event, detail, thread_id=thread_id)


def then_assess(node: Node, name: str) -> Callable[..., Any]:
    """`node` (a draft or a redraft, which returns its update and `goto="assess"`) and then the
    policy's route, in one step: the draft and its route are checkpointed together, before the
    gate, one superstep (and one checkpoint) per draft fewer than with `assess` as a node."""

    def step(
        state: ActionState, runtime: Runtime[Context]
    ) -> Command[Literal["gate", "hold", "publisher", "__end__"]]:
        with step_audit.collecting() as held:  # the draft's audit entry, for the routing's tx
            drafted = node(state, runtime)
        update = dict(drafted.update or {}) if isinstance(drafted.update, dict) else {}
        try:
            routed = _assess(cast(ActionState, {**state, **update}), runtime, held)
        except BaseException:  # the routing's transaction never committed: write them alone
            _write_held(runtime.context, held)
            raise
        routed_update = routed.update if isinstance(routed.update, dict) else {}
        return Command(update={**update, **routed_update}, goto=routed.goto)

    step.__name__ = step.__qualname__ = name
    step.__doc__ = node.__doc__
    return step
