"""writer_actions: the proposed actions the writer hands on: one drafted channel's action with
its measured confidence, claims and checks, a batch contact's email, the brief's
micro-engagements, and what each channel costs to write."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from langgraph.runtime import Runtime

from graphs.channels import Channel
from graphs.state import Brief, Context, Evidence, ProposedAction
from graphs.writer_claims import claim_checks, claims_of


def _currency(runtime: Runtime[Context] | None) -> str:
    ctx = runtime.context if runtime is not None else None
    if ctx is not None and ctx.policy is not None:
        return str(ctx.policy.action("spend_ads").limits.get("currency", "EUR"))
    return "EUR"


def _action(
    channel: Channel,
    args: dict[str, Any],
    number: int,
    previous: ProposedAction | None,
    problems: Sequence[Any],
    checks: Sequence[Any],
    rounds: list[dict[str, Any]],
    evidence: Sequence[Evidence],
    checkable: Sequence[Mapping[str, Any]] = (),
) -> ProposedAction:
    supported = [c for c in checks if c.status in ("supported", "attributed")]
    facts = [c for c in checks if c.status in ("supported", "unsupported", "attributed")]
    # Confidence is measured, never the model's self-rating: the share of fact sentences the
    # facts support, less for each problem left.
    confidence = (len(supported) / len(facts)) if facts else 1.0
    confidence = max(0.0, confidence - 0.15 * sum(1 for p in problems if p.kind != "fact"))
    action = ProposedAction(
        id=previous["id"] if previous else f"{channel.prefix}-{number}",
        name=channel.action,
        channel=previous["channel"] if previous else _tool_channel(channel.action),
        args=args,
        claims=claims_of(checks, evidence),
        confidence=round(confidence, 2),
        revision=previous["revision"] + 1 if previous else 0,
    )
    if channel.drafted:
        action["checks"] = claim_checks(checks, evidence, checkable)
        action["review_notes"] = [p.reason for p in problems]
        action["rounds"] = rounds
    if previous is not None and "batch" in previous:
        action["batch"] = previous["batch"]
        action["batch_size"] = previous.get("batch_size", 1)
    return action


def _tool_channel(action: str) -> str:
    from tools.registry import get_tool

    return get_tool(action).channel


def personalise(
    template: ProposedAction, contact: dict[str, str], n: int, size: int
) -> ProposedAction:
    """One contact's email of a batch (graphs/batch.py `member_args`): the contact's address and
    a greeting by name; nothing else changes."""
    from graphs.batch import BATCH, member_args, member_id

    action = ProposedAction(
        id=member_id(n),
        name="send_email",
        channel="email",
        args=member_args(template["args"], contact),
        claims=template["claims"],
        confidence=template["confidence"],
        revision=0,
        batch=BATCH,
        batch_size=size,
    )
    for key in ("checks", "review_notes", "rounds"):
        if key in template:
            action[key] = template[key]
    return action


def engagements(brief: Brief) -> list[ProposedAction]:
    """Micro-engagements the marketer listed: like a post (URL), follow an account (@handle)."""
    actions = []
    for n, target in enumerate(brief.get("engage", []), start=1):
        target = target.strip()
        if not target:
            continue
        if target.startswith("@"):
            name, args = "follow_account", {"account": target}
        else:
            name, args = "like_post", {"post": target}
        actions.append(
            ProposedAction(
                id=f"{name.split('_')[0]}-{n}",
                name=name,
                channel="social",
                args=args,
                claims=[],
                confidence=1.0,
                revision=0,
            )
        )
    return actions


def _cost(channel: Channel, brief: Brief) -> int:
    """How much writing a channel asks of the model (its token budget; 0: nothing drafted)."""
    return channel.max_tokens(brief) if channel.drafted else 0
