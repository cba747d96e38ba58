"""writer: turns brief + evidence + brand settings into proposed actions, reviewed by the AI first.

The small embedded model never emits native tool calls, so the actions are chosen here (one per
channel of the brief, `graphs/channels/`) and the model fills only the words of each, through
grammar-constrained structured output: no placeholders (the grammar has no brackets or braces),
lengths as grammar limits. What the system knows is assembled: greeting, link, signature, footer.

Before a person sees a draft, the AI review (`graphs/checks/draft.py`) checks the text that would
go out; failed checks go back to the model as specific feedback for at most `REVIEW_ROUNDS`
rounds. Every round is kept on the action (`rounds`) and in the audit; what is left is shown to
the reviewer with its reasons (`review_notes`).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langgraph.config import get_config
from langgraph.runtime import Runtime
from langgraph.types import Command, Send
from openai import LengthFinishReasonError
from pydantic import BaseModel, ValidationError

from graphs import progress, prompts, redraft_check
from graphs.brand import DEFAULT_SNAPSHOT
from graphs.channels import Channel, by_action, by_key
from graphs.channels.page import slugify  # noqa: F401  (kept importable from here)
from graphs.humanize import ai_review
from graphs.state import (
    ActionState,
    Brief,
    CampaignState,
    Claim,
    Context,
    Evidence,
    ProposedAction,
)

log = logging.getLogger(__name__)

ATTEMPTS = 3  # a small model occasionally loops until max_tokens; try again, then the error
RETRYABLE: tuple[type[Exception], ...] = (ValueError, ValidationError, LengthFinishReasonError)
ENV_ROUNDS = "SIGNOFF_REVIEW_ROUNDS"
REVIEW_ROUNDS = 2  # redrafts the AI review may ask for before a person sees the draft


def review_rounds() -> int:
    try:
        return max(0, min(5, int(os.environ.get(ENV_ROUNDS, REVIEW_ROUNDS))))
    except ValueError:
        return REVIEW_ROUNDS


def chat_model(runtime: Runtime[Context] | None) -> BaseChatModel:
    """The context's model when a caller injected one (tests), else the one seam."""
    ctx = runtime.context if runtime is not None else None
    if ctx is not None and ctx.model is not None:
        return ctx.model
    from graphs.model import load_chat_model

    return load_chat_model()


# -- the prompt ------------------------------------------------------------------------------------
def facts_block(evidence: Sequence[Evidence]) -> str:
    """The facts the model may use: one per line, no numbers or bullets to copy; a customer's
    quote with who said it (graphs/quotes.py). Passages flagged as carrying instructions
    are data for the reviewer only: the model never reads them."""
    from graphs.quotes import facts_lines

    return "\n".join(facts_lines(evidence)) or "(none)"


def system_prompt(
    brief: Mapping[str, Any], evidence: Sequence[Evidence], brand: Mapping[str, Any]
) -> str:
    from graphs.checks.draft import avoided_words

    extras = []
    if brief.get("offer"):
        extras.append(f"The offer to mention exactly: {brief['offer']}.")
    avoid = avoided_words(brand)
    if avoid:
        extras.append("Never use these words: " + ", ".join(f"'{w}'" for w in avoid) + ".")
    rules = [r if isinstance(r, str) else str(r.get("text", "")) for r in brand.get("rules", [])]
    if rules:
        extras.append("House rules: " + " ".join(r.rstrip(".") + "." for r in rules if r))
    return prompts.WRITER_SYSTEM.format(
        brand=brand.get("name") or brief["product"],
        product=brief["product"],
        audience=brief["audience"],
        goal=brief["goal"],
        tone=brief.get("tone") or brand.get("tone") or "warm and plain",
        facts=facts_block(evidence),
        extras="\n".join(extras),
    )


def bounded(model: BaseChatModel, max_tokens: int) -> BaseChatModel:
    """The model with its output budget tied to the channel's longest draft (a loop stops
    there, not at the generic 700 tokens); models without such a setting are left as they are."""
    if max_tokens <= 0 or "max_tokens" not in type(model).model_fields:
        return model
    current = getattr(model, "max_tokens", None)
    if current is not None and current <= max_tokens:
        return model
    return model.model_copy(update={"max_tokens": max_tokens})


def _draft(model: BaseChatModel, schema: type[BaseModel], system: str, task: str) -> Any:
    structured = model.with_structured_output(schema, method="json_schema")
    for attempt in range(1, ATTEMPTS + 1):
        try:
            result = structured.invoke([("system", system), ("user", task)])
            break
        except RETRYABLE as exc:  # cut off at max_tokens, or unparsable
            if attempt == ATTEMPTS:
                raise
            log.warning("draft attempt %d failed (%s); trying again", attempt, type(exc).__name__)
    if isinstance(result, dict):
        result = schema.model_validate(result)
    return result


# -- evidence as the checker's passages ----------------------------------------------------------
def passages(
    evidence: Sequence[Evidence], runtime: Runtime[Context] | None, brief: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """All of the product's passages (not only the evidence), whole, for the sentence checker;
    passages flagged as carrying instructions are never evidence."""
    from graphs.checks.sources import product_passages

    ctx = runtime.context if runtime is not None else None
    kb = getattr(ctx, "kb", None)
    clean = [e for e in evidence if not e.get("flags")]
    flagged = {e.get("ref") for e in evidence if e.get("flags")}
    return [p for p in product_passages(kb, brief, clean) if p["id"] not in flagged]


def _evidence_id(passage_id: str | None, evidence: Sequence[Evidence]) -> list[str]:
    """The evidence id ("E2") of a checked passage (its ref), when the researcher picked it."""
    for e in evidence:
        if passage_id and passage_id in (e.get("ref"), e["id"]):
            return [e["id"]]
    return []


def claims_of(checks: Sequence[Any], evidence: Sequence[Evidence]) -> list[Claim]:
    """The draft's fact sentences as claims, each with the passage that supports it (if any)."""
    return [
        Claim(text=c.sentence, evidence_ids=_evidence_id(c.passage_id, evidence))
        for c in checks
        if c.status in ("supported", "unsupported", "attributed")
    ]


def claim_checks(
    checks: Sequence[Any],
    evidence: Sequence[Evidence] = (),
    passages: Sequence[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """The sentence checks in the shape the gate and the inbox show (graphs.verifier.ClaimCheck)."""
    texts = {str(p["id"]): str(p["text"]) for p in passages}
    out = []
    for c in checks:
        if c.status not in ("supported", "unsupported", "attributed"):
            continue
        ok = c.status != "unsupported"
        if c.status == "attributed":
            reason = "A customer's words, quoted as theirs"
        elif ok:
            reason = f"Supported by {c.source}" if c.source else "Supported by the fact sheet"
        else:
            reason = c.differs or f"{', '.join(c.facts) or 'This'} is not in any passage"
        out.append(
            {
                "text": c.sentence,
                "evidence_ids": _evidence_id(c.passage_id, evidence),
                "supported": ok,
                "reason": reason,
                "quote": texts.get(str(c.passage_id)) if ok else None,
                "source": c.source,
            }
        )
    return out


# -- one action: draft, review, redraft -----------------------------------------------------------
def draft_action(
    channel: Channel,
    model: BaseChatModel | None,
    brief: Brief,
    evidence: list[Evidence],
    brand: Mapping[str, Any],
    runtime: Runtime[Context] | None,
    *,
    previous: ProposedAction | None = None,
    feedback: Sequence[str] = (),
    number: int = 1,
    insist: str = "",
) -> ProposedAction:
    """Draft one action of `channel`, let the AI review it for up to `review_rounds()` rounds,
    and return it with its rounds, its remaining problems and its sentence checks."""
    from graphs.checks.draft import Problem, feedback_left, review

    notes = {"feedback": list(feedback), "currency": _currency(runtime)}
    if not channel.drafted or model is None:
        args = channel.assemble(None, brief, brand, previous, notes)
        return _action(channel, args, number, previous, [], [], [], evidence)
    assert channel.schema is not None
    schema = channel.schema(brief)
    checkable = passages(evidence, runtime, brief)
    asked = _asked(feedback, checkable, evidence, runtime)
    system = system_prompt(brief, [*evidence, *asked], brand)
    limit = channel.model_limit(brief) or 0
    # Ask for about two thirds of the limit: the grammar stops the model at the limit itself.
    target = channel.target or int(round(limit * 2 / 3, -1))
    base = channel.task.format(limit=limit, target=min(target, limit))
    asks = list(feedback)
    if previous is not None and asks:
        base += "\n\n" + prompts.REVISE_TASK.format(
            draft=channel.copy(previous["args"]),
            feedback="\n".join(f"- {f}" for f in asks),
        )
        base += _quote_task(asks, [*evidence, *asked])
    if insist:  # a redraft that came back the same, asked again (graphs/redraft_check.py)
        base += "\n\n" + insist
    model = bounded(model, channel.max_tokens(brief))
    rounds: list[dict[str, Any]] = []
    task = base
    for n in range(review_rounds() + 1):
        draft = _draft(model, schema, system, task)
        args = channel.assemble(draft, brief, brand, previous, notes)
        problems, checks = review(channel, args, brief, brand, checkable)
        if any(p.kind == "offer" for p in problems):
            # The offer is known: when the model left it out, it is added, not asked for again.
            args = channel.assemble(draft, brief, brand, previous, {**notes, "add_offer": True})
            problems, checks = review(channel, args, brief, brand, checkable)
        if previous is not None:  # a send-back: check what it asked that can be checked
            problems += [
                Problem("feedback", left, left)
                for left in feedback_left(channel, args, feedback, previous["args"])
            ]
            problems += redraft_check.pasted(channel, args, feedback, previous, checkable, brief)
        rounds.append(
            {
                "round": n + 1,
                "text": channel.copy(args),
                "problems": [p.as_dict() for p in problems],
            }
        )
        if not problems:
            break
        if n < review_rounds():
            task = (
                base
                + "\n\n"
                + prompts.AI_REVIEW_TASK.format(
                    draft=channel.copy(args),
                    feedback="\n".join(f"- {p.feedback}" for p in problems),
                )
            )
            if previous is not None and asks:  # the reviewer's words stay last
                task += "\n\n" + prompts.REVISE_REMINDER.format(feedback=asks[-1])
            log.info("AI review: %s round %d: %d problem(s)", channel.key, n + 1, len(problems))
    return _action(channel, args, number, previous, problems, checks, rounds, evidence, checkable)


def _quote_task(feedback: Sequence[str], facts: Sequence[Evidence]) -> str:
    """The words a send-back asks to quote ("Quote Tom from Denver"), under the reviewer's."""
    from graphs.quotes import facts_lines, quote_to_use

    line = quote_to_use(feedback, facts_lines(facts))
    return "\n" + prompts.QUOTE_TASK.format(line=line) if line else ""


def _asked(
    feedback: Sequence[str],
    checkable: Sequence[Mapping[str, Any]],
    evidence: Sequence[Evidence],
    runtime: Runtime[Context] | None,
) -> list[Evidence]:
    """The product's passages a send-back asks for by name ("Quote Tom from Denver") that the
    evidence lacks, as facts for the writer's prompt only (graphs/quotes.py `asked_facts`).
    A passage that is, or whose source is, flagged as carrying instructions is never added."""
    from graphs.quotes import asked_facts
    from tools import injection

    if not feedback:
        return []
    kb = getattr(runtime.context if runtime is not None else None, "kb", None)
    flagged = {e.get("ref") for e in evidence if e.get("flags")}
    out: list[Evidence] = []
    for p in asked_facts(feedback, checkable, [e["quote"] for e in evidence]):
        try:
            stored = kb.passage(p["ref"]) if kb is not None and p["ref"] else None
        except Exception:  # a knowledge base without passage lookup: the text's screen only
            stored = None
        if (
            p["ref"] in flagged
            or injection.detect(p["quote"])
            or (stored is not None and (stored.flags or stored.source_flags))
        ):
            continue
        out.append(
            Evidence(
                id=f"A{len(out) + 1}",
                source="",
                location=p["location"],
                quote=p["quote"],
                ref=p["ref"],
            )
        )
    return out


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


def _progress(message: str, action_id: str | None = None, since: float | None = None) -> None:
    """A line of progress for the page and the CLI (LangGraph's custom stream): the step, the
    message and, for one action's draft, its id and the seconds since drafting began."""
    event: dict[str, Any] = {"step": "writer", "message": message}
    if action_id is not None:
        event["action_id"] = action_id
    if since is not None:
        event["elapsed_s"] = round(max(0.0, time.time() - since), 1)
    progress.emit(event)  # the custom stream and the runtime's run (graphs/progress.py)


def _audit_rounds(runtime: Runtime[Context] | None, action: ProposedAction) -> None:
    ctx = runtime.context if runtime is not None else None
    store = getattr(ctx, "store", None)
    if store is None or not action.get("rounds"):
        return
    try:
        thread_id = str(get_config()["configurable"]["thread_id"])
    except Exception:  # outside a run
        return
    detail = {
        "action_id": action["id"],
        "revision": action["revision"],
        "rounds": action.get("rounds", []),
        "left": action.get("review_notes", []),
    }
    from graphs import step_audit

    if not step_audit.defer("draft.reviewed", detail):  # else: with the routing (then_assess)
        store.audit("draft.reviewed", detail, thread_id=thread_id)


def _cost(channel: Channel, brief: Brief) -> int:
    """How much writing a channel asks of the model (its token budget; 0: nothing drafted)."""
    return channel.max_tokens(brief) if channel.drafted else 0


def writer(state: CampaignState, runtime: Runtime[Context]) -> Command[Literal["review", "batch"]]:
    """Plans the drafts: one branch per channel of the brief, each drafting, reviewing and
    reaching the gate on its own (the cheapest first, so the first draft is seen soonest), one
    branch for an audience's email (drafted once, one email per contact), and one per
    micro-engagement the brief lists. Nothing is drafted here."""
    brief, evidence = state["brief"], state["evidence"]
    brand = state.get("brand") or DEFAULT_SNAPSHOT
    channels = [by_key(k) for k in brief.get("channels") or ["email", "social"]]
    facts = [e for e in evidence if not e.get("flags")]
    audience = state.get("audience") or []
    since = time.time()
    sends: list[Send] = []
    labels: list[str] = []
    for channel in sorted(channels, key=lambda c: _cost(c, brief)):
        if channel.drafted and not facts:
            _progress(
                f"No facts about {brief['product']} yet: add a fact sheet on the Knowledge page; "
                f"the {channel.label} was not drafted"
            )
            continue
        branch = ActionState(
            brief=brief,
            evidence=evidence,
            brand=brand,
            channel=channel.key,
            since=since,
        )
        if channel.key == "email" and audience:
            branch["audience"] = audience
            sends.append(Send("batch", branch))
        else:
            sends.append(Send("review", branch))
        labels.append(channel.label)
    for action in engagements(brief):
        sends.append(
            Send(
                "review",
                ActionState(
                    brief=brief,
                    evidence=evidence,
                    brand=brand,
                    action=action,
                    actions=[action],
                ),
            )
        )
    if labels:
        _progress("Drafting " + _and(labels) + ", each on its own", since=since)
    log.info("writer planned %d branch(es): %s", len(sends), labels)
    return Command(goto=sends)


def _and(words: Sequence[str]) -> str:
    words = [f"the {w}" for w in words]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _first_draft(state: ActionState, runtime: Runtime[Context]) -> ProposedAction:
    """This branch's channel drafted and reviewed by the AI, with progress as it goes."""
    brief, evidence = state["brief"], state["evidence"]
    brand = state.get("brand") or DEFAULT_SNAPSHOT
    channel = by_key(state["channel"])
    since = state.get("since") or time.time()
    action_id = f"{channel.prefix}-1"
    model = chat_model(runtime) if channel.drafted else None
    if channel.drafted:
        _progress(f"Drafting the {channel.label}… ({time.time() - since:.0f} s)", action_id, since)
    action = draft_action(channel, model, brief, evidence, brand, runtime)
    _audit_rounds(runtime, action)
    if channel.drafted:
        rounds = len(action.get("rounds", []))
        left = len(action.get("review_notes", []))
        _progress(
            f"Drafted the {channel.label} in {time.time() - since:.0f} s"
            + (f" ({ai_review(rounds, left)})" if rounds else ""),
            action_id,
            since,
        )
    return action


def draft(state: ActionState, runtime: Runtime[Context]) -> Command[Literal["assess"]]:
    """One action's branch begins: its draft (when it has none yet), then the policy's route."""
    if state.get("action"):
        return Command(goto="assess")
    action = _first_draft(state, runtime)
    return Command(update={"action": action, "actions": [action]}, goto="assess")


def draft_batch(state: ActionState, runtime: Runtime[Context]) -> Command[Literal["assess"]]:
    """An audience's email: drafted once, as the batch's template (graphs/batch.py); each
    contact's email is derived from it where needed, never a task or a value of its own."""
    from graphs.batch import BATCH, TEMPLATE_ID

    if state.get("action"):  # drafted already (a resumed run)
        return Command(goto="assess")
    template = _first_draft(state, runtime)
    audience = state.get("audience") or []
    template = ProposedAction(**{**template, "id": TEMPLATE_ID})
    template["batch"] = BATCH
    template["batch_size"] = len(audience)
    if audience:  # the template as the first contact gets it: routed as a first contact
        template["args"] = {**template["args"], "to": audience[0]["email"]}
    return Command(update={"action": template, "actions": [template]}, goto="assess")


def redraft(state: ActionState, runtime: Runtime[Context]) -> Command[Literal["assess"]]:
    """A send-back: redraft this one action, in its own channel, with the reviewer's feedback;
    the policy routes the redraft again (it always comes back to the person who sent it back)."""
    action, brief, evidence = state["action"], state["brief"], state["evidence"]
    brand = state.get("brand") or DEFAULT_SNAPSHOT
    try:
        channel = by_action(action["name"])
    except ValueError:  # e.g. a like or a follow: nothing to write; it comes back as it was
        same = ProposedAction(**{**action, "revision": action["revision"] + 1})
        same["review_notes"] = [
            "There are no words to redraft in this action: edit it or reject it instead."
        ]
        _progress("Nothing to redraft in this action; it comes back for review", action["id"])
        return Command(update={"action": same}, goto="assess")
    model = chat_model(runtime) if channel.drafted else None
    started = time.time()
    _progress(f"Redrafting the {channel.label} with your feedback… (0 s)", action["id"], started)
    feedback = state.get("feedback", [])
    new = draft_action(
        channel, model, brief, evidence, brand, runtime, previous=action, feedback=feedback
    )
    if model is not None and redraft_check.same_draft(channel, action, new, feedback):
        # Never silently the same draft: ask once more, more forcefully, then tell the person.
        _progress(
            f"The {channel.label} came back unchanged; asking the AI once more…",
            action["id"],
            started,
        )
        log.info("writer: redraft of %s came back unchanged; trying once more", action["id"])
        new = draft_action(
            channel,
            redraft_check.varied(model),
            brief,
            evidence,
            brand,
            runtime,
            previous=action,
            feedback=feedback,
            insist=redraft_check.insist(channel.copy(action["args"]), feedback),
        )
        still = redraft_check.same_draft(channel, action, new, feedback)
        if still:
            new = redraft_check.flag(new, feedback)
        ctx = runtime.context if runtime is not None else None
        redraft_check.audit(getattr(ctx, "store", None), new, feedback, changed_on_retry=not still)
    new["previous_args"] = dict(action["args"])
    _audit_rounds(runtime, new)
    log.info("writer redrafted %s (revision %d)", new["id"], new["revision"])
    _progress(
        f"Redrafted the {channel.label} with your feedback; it comes back for review",
        action["id"],
        started,
    )
    return Command(update={"action": new}, goto="assess")
