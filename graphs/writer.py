"""writer: turns brief + evidence + brand settings into proposed actions, reviewed by the AI first.

The small embedded model never emits native tool calls, so the actions are chosen here (one per
channel of the brief, `graphs/channels/`) and the model fills only the words of each, through
grammar-constrained structured output: no placeholders (the grammar has no brackets or braces),
lengths as grammar limits. What the system knows is assembled: greeting, link, signature, footer.

Before a person sees a draft, the AI review (`graphs/checks/draft.py`) checks the text that would
go out; failed checks go back to the model as specific feedback for at most `REVIEW_ROUNDS`
rounds. Every round is kept on the action (`rounds`) and in the audit; what is left is shown to
the reviewer with its reasons (`review_notes`).

The model call is in `graphs/drafting.py`, the claims and checks an action carries in
`graphs/writer_claims.py`, and the actions themselves in `graphs/writer_actions.py`; this module
holds the graph's nodes and the review loop.
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

from graphs import progress, prompts, redraft_check
from graphs.brand import DEFAULT_SNAPSHOT
from graphs.channels import Channel, by_action, by_key
from graphs.channels.page import slugify  # noqa: F401  (kept importable from here)
from graphs.checks.asks import invented_phones
from graphs.drafting import ATTEMPTS as ATTEMPTS  # kept importable from here (bench, tests)
from graphs.drafting import RETRYABLE as RETRYABLE
from graphs.drafting import _draft, bounded, chat_model, passages, system_prompt
from graphs.humanize import ai_review
from graphs.state import (
    ActionState,
    Brief,
    CampaignState,
    Context,
    Evidence,
    ProposedAction,
)
from graphs.writer_actions import _action, _cost, _currency, engagements
from graphs.writer_claims import _asked, _quote_task
from graphs.writer_quotes import asked_quote, quoted_as_theirs

log = logging.getLogger(__name__)

ENV_ROUNDS = "SIGNOFF_REVIEW_ROUNDS"
REVIEW_ROUNDS = 2  # redrafts the AI review may ask for before a person sees the draft


def review_rounds() -> int:
    try:
        return max(0, min(5, int(os.environ.get(ENV_ROUNDS, REVIEW_ROUNDS))))
    except ValueError:
        return REVIEW_ROUNDS


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
        # a send-back asked for a customer's words the model left out: they are put in
        quote = asked_quote(asks, [*checkable, *asked], channel.copy(args)) if previous else []
        drafted = {**notes, "add_quote": quote} if quote else notes
        if quote:
            args = channel.assemble(draft, brief, brand, previous, drafted)
        problems, checks = review(channel, args, brief, brand, checkable)
        if any(p.kind == "offer" for p in problems):
            # The offer is known: when the model left it out, it is added, not asked for again.
            args = channel.assemble(draft, brief, brand, previous, {**drafted, "add_offer": True})
            problems, checks = review(channel, args, brief, brand, checkable)
        if any(p.kind in ("ask", "prompt") for p in problems) or invented_phones(checks):
            args, problems, checks = _drop_unusable(
                channel, args, brief, brand, checkable, problems, checks
            )
        if any(p.kind == "fact" for p in problems):
            # a customer's words made the brand's claim: theirs again, with their name
            args, problems, checks = quoted_as_theirs(
                channel, args, brief, brand, checkable, problems, checks
            )
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


def _drop_unusable(
    channel: Channel,
    args: dict[str, Any],
    brief: Brief,
    brand: Mapping[str, Any],
    checkable: list[dict[str, Any]],
    problems: list[Any],
    checks: Any,
) -> tuple[dict[str, Any], list[Any], Any]:
    """The draft without the sentences that ask what readers cannot do ("Call us today" with no
    number anywhere), talk about the drafting ("A reviewer sent the previous draft back") or
    give a phone number nobody gave ("contact us at 123-456-7890"): the small model keeps them
    through every round of feedback, so they are taken out, as a missing offer is put in. Kept
    as it was if that would empty a field."""
    from graphs.checks.asks import asks_in, prompt_talk, without
    from graphs.checks.draft import review

    copy = channel.copy(args)
    found = asks_in(copy, brief, brand, checkable) + prompt_talk(copy) + invented_phones(checks)
    kept = without(args, found)
    if not found or any(
        isinstance(v, str) and v.strip() and not str(kept.get(k, "")).strip()
        for k, v in args.items()
    ):
        return args, problems, checks
    log.info("AI review: %s: took out %d sentence(s) nobody can act on", channel.key, len(found))
    problems, checks = review(channel, kept, brief, brand, checkable)
    return kept, problems, checks


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
