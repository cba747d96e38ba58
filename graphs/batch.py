"""An audience's email as ONE review, ONE hold and one send per contact.

    draft (the template, once) ─► assess ─review─► gate ─approve/edit─► hold? ─► publisher
                                    ▲                │ │                  └─cancel─► END
                                    └──── writer ◄───┘ └─reject/expire─► END
                                         (revise)

The batch's gate pauses once, with the template draft (its claim checks), the audience's size, a
small sample and the ids of the contacts whose email carries links or contacts nobody gave. The
contacts' personalised emails are never tasks or checkpoint values: each is derived from the
template and the contact (`member_args`) where it is needed — the runtime's inbox index lists
them a page at a time (graphs/runtime/batches.py), the publisher sends them one by one.

The decision is one resume (graphs/batch_schema.py): a decision for the whole batch with
per-contact exceptions (`members`). After approval the batch waits out one hold (cancel / send
now), then the publisher sends each approved contact's email through the executor: the outbox
key is per contact, so a run taken over mid-batch never sends anyone's email twice. Progress goes
out as it sends ("Sent 2,400 of 10,000"); a contact's failed send is that contact's outcome, not
the batch's.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any, Literal

from langgraph.config import get_config
from langgraph.errors import GraphInterrupt
from langgraph.runtime import Runtime
from langgraph.types import Command

from graphs import progress
from graphs.batch_holds import LAST_ONE, note_cancels, supersede
from graphs.batch_schema import MEMBER_DECISIONS, TAKE_OUT, batch_hold_schema, batch_schema
from graphs.checks.links import Allowed, allowed_from, foreign_contacts
from graphs.gate import edit_rules, review_request
from graphs.hold import hold_request
from graphs.record import actor, ask, settle
from graphs.services import complete
from graphs.state import ActionState, Context, Outcome, ProposedAction
from tools.registry import get_tool

log = logging.getLogger(__name__)

BATCH = "audience"  # the batch key of an audience's email (one per campaign)
TEMPLATE_ID = "email-batch"  # the template's action id; each contact's email is email-<n>
MEMBERS_RECORDER = "signoff (each contact decided on their own)"
SAMPLE = 3  # contacts' emails shown with the batch's interrupt
PROGRESS_EVERY_S = 2.0
ENV_SENDERS = "SIGNOFF_BATCH_SENDERS"
SENDERS = 4  # sends in flight at once, where the connector honours the idempotency key


# -- each contact's email, derived -----------------------------------------------------------
def member_id(n: int) -> str:
    return f"email-{n}"


def member_number(action_id: str) -> int | None:
    """n of "email-<n>", or None."""
    prefix, _, n = action_id.rpartition("-")
    return int(n) if prefix == "email" and n.isdigit() and int(n) > 0 else None


def member_args(template_args: Mapping[str, Any], contact: Mapping[str, str]) -> dict[str, Any]:
    """One contact's email: their address and a greeting by name; nothing else changes."""
    name = (contact.get("name") or contact.get("first_name") or "").strip()
    first = name.split()[0] if name else ""
    body = str(template_args.get("body", ""))
    if first and body.startswith("Hello,"):
        body = f"Hi {first}," + body[len("Hello,") :]
    return {**template_args, "to": contact["email"], "body": body}


def members(
    template_args: Mapping[str, Any], audience: Sequence[Mapping[str, str]]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(action id, arguments) of every contact's email, in the audience's order."""
    for n, contact in enumerate(audience, start=1):
        yield member_id(n), member_args(template_args, contact)


def args_of(
    template_args: Mapping[str, Any], audience: Sequence[Mapping[str, str]], action_id: str
) -> dict[str, Any] | None:
    n = member_number(action_id)
    if n is None or n > len(audience):
        return None
    return member_args(template_args, audience[n - 1])


def flagged_members(
    name_: str,
    template_args: Mapping[str, Any],
    audience: Sequence[Mapping[str, str]],
    allowed: Allowed,
) -> dict[str, list[str]]:
    """Contacts whose email carries links or contacts nobody gave (a name with a URL): id →
    reasons. Only the greeting differs between contacts, so only names are checked in full."""
    found: dict[str, list[str]] = {}
    greeting = str(template_args.get("body", "")).startswith("Hello,")
    seen: dict[str, list[str]] = {}
    for n, contact in enumerate(audience, start=1):
        name = (contact.get("name") or contact.get("first_name") or "").strip()
        first = name.split()[0] if name and greeting else ""
        if not first:
            continue
        key = first if "@" not in first else f"{first} {contact['email']}"
        if key not in seen:  # the recipient's own address may appear in their email
            args = {"to": contact["email"], "body": f"Hi {first},"}
            seen[key] = foreign_contacts(name_, args, allowed)
        if seen[key]:
            found[member_id(n)] = seen[key]
    return found


# -- the batch's one review -------------------------------------------------------------------
def batch_request(
    state: ActionState, ctx: Context, flagged: Mapping[str, list[str]]
) -> dict[str, Any]:
    """The batch's interrupt: the template's review request, plus the audience's size, a sample,
    the flagged contacts and what one contact's email may be given."""
    template = state["action"]
    audience = state.get("audience") or []
    request = review_request(
        template,
        state["evidence"],
        state["assessment"],
        state.get("feedback", []),
        ctx.max_revisions,
    )
    size = len(audience)
    allowed = request["allowed_decisions"]
    description = (
        f"{request['title']} to {size:,} contacts (one personalised email each). Accept approves "
        f"every one; the template:\n\n{request['text']}"
    )
    request.update(
        kind="batch",
        batch=None,  # one item: the runtime lists its contacts under `batch_key`
        batch_key=BATCH,
        batch_size=size,
        member_decisions=[d for d in MEMBER_DECISIONS if d in allowed or d == "reject"],
        flagged_members=dict(flagged),
        sample=[
            {"action_id": action_id, "args": args}
            for action_id, args in members(template["args"], audience[:SAMPLE])
        ],
        description=description,
    )
    return request


def batch_gate(
    state: ActionState, runtime: Runtime[Context]
) -> Command[Literal["hold", "publisher", "writer", "__end__"]]:
    template = state["action"]
    audience = state.get("audience") or []
    by_runtime = runtime.context.store is not None
    ctx = complete(runtime.context)
    allowed_contacts = allowed_from(
        state["brief"], _allowlist(ctx), ctx.settings, state.get("brand")
    )
    flagged = flagged_members(template["name"], template["args"], audience, allowed_contacts)
    request = batch_request(state, ctx, flagged)
    schema = batch_schema(
        template["name"],
        template["args"],
        request["allowed_decisions"],
        request["unsupported_claims"],
        ctx.settings,
        edit_rules(ctx, template["name"], request["contacts_allowed"]),
        len(audience),
        sorted(flagged),
        lambda action_id: args_of(template["args"], audience, action_id),
    )
    decided, interrupt_id = ask(ctx, by_runtime, "review", request, schema)
    value: dict[str, Any] = decided.root  # {"top": decision or None, "members": {id: decision}}
    exceptions: dict[str, dict[str, Any]] = value["members"]
    top_raw = value["top"] or {"type": "members", "count": len(exceptions)}
    recorder = ctx
    if value["top"] is None and by_runtime and not ctx.signoff_user:
        # every contact was decided on its own, each recorded with its decider by the runtime;
        # the batch's own record is their sum, written by the runtime, not by a client
        recorder = replace(ctx, signoff_user=MEMBERS_RECORDER)
    top = settle(recorder, "review", template, request, top_raw, decided.dialect, interrupt_id)
    top = {k: v for k, v in top.items() if k != "exclude"}
    kind = top["type"]
    log.info("batch gate: %s on %d contacts (%d exceptions)", kind, len(audience), len(exceptions))
    if kind == "revise":
        return Command(
            update={
                "decision": top,
                "feedback": [*state.get("feedback", []), top["feedback"]],
            },
            goto="writer",
        )
    update: dict[str, Any] = {"decision": {**top, "members": exceptions}}
    if kind == "edit":
        update["action"] = ProposedAction(**{**template, "args": top["args"]})
    outcomes = [
        Outcome(
            action_id=action_id,
            name=template["name"],
            status="rejected",
            detail={"reason": d.get("reason", ""), "comment": d.get("comment", "")},
        )
        for action_id, d in exceptions.items()
        if d["type"] == "reject"
    ]
    going = approved_count(update["decision"], len(audience))
    if not going:
        status = "expired" if kind == "expire" else "rejected"
        reason = (
            "Nobody answered before the review expired."
            if kind == "expire"
            else top.get("reason") or "Every contact's email was rejected."
        )
        outcomes.append(
            Outcome(
                action_id=template["id"],
                name=template["name"],
                status=status,
                detail={"reason": reason, "contacts": len(audience)},
            )
        )
        return Command(update={**update, "outcomes": outcomes}, goto="__end__")
    update["outcomes"] = outcomes
    hold = int(state["assessment"].get("hold_seconds") or 0)
    if hold:
        update["release_at"] = ctx.clock() + hold
        return Command(update=update, goto="hold")
    return Command(update=update, goto="publisher")


def _allowlist(ctx: Context) -> Any:
    from graphs.assess import policy_of

    return policy_of(ctx).allowlist


def decision_for(decision: Mapping[str, Any], action_id: str) -> Mapping[str, Any]:
    """What a contact's email was given: its own decision, else the batch's."""
    members_ = decision.get("members") or {}
    return members_.get(action_id) or decision


def approved_count(decision: Mapping[str, Any], size: int) -> int:
    members_ = decision.get("members") or {}
    going = sum(1 for d in members_.values() if d["type"] in ("approve", "edit"))
    if decision.get("type") in ("approve", "edit"):
        going += size - len(members_)
    return going


# -- its one hold -----------------------------------------------------------------------------
def batch_hold(
    state: ActionState, runtime: Runtime[Context]
) -> Command[Literal["hold", "publisher", "__end__"]]:
    """The audience's one hold: cancel (none goes out), send now or release, with the contacts
    a person took out of it while it waited (`members`, graphs/batch_holds.py): those are never
    sent; the rest go out. Contacts taken out alone (`members` without a type; Agent Inbox's
    edit of `take_out`): the hold asks again, same release time, without them."""
    template = state["action"]
    audience = state.get("audience") or []
    size = len(audience)
    going = approved_count(state.get("decision") or {}, size)
    by_runtime = runtime.context.store is not None
    ctx = complete(runtime.context)
    request = hold_request(state)
    title = f"{request['title']} × {going:,}"
    request.update(
        title=title,
        batch=None,
        batch_key=BATCH,
        batch_size=going,
        description=f"{title} (one personalised email per contact), approved and held. "
        + request["description"]
        + f" To take contacts out and keep the rest held, edit '{TAKE_OUT}' (their emails or "
        "numbers, separated by commas).",
    )
    request["action_request"] = {
        "action": template["name"],
        "args": {**template["args"], TAKE_OUT: ""},
    }
    request["config"] = {**request["config"], "allow_edit": True}
    schema = batch_hold_schema(
        template["name"], size, _contact_finder(audience), {**template["args"], TAKE_OUT: ""}
    )
    try:
        decided, interrupt_id = ask(ctx, by_runtime, "hold", request, schema)
    except GraphInterrupt as asking:
        replaces = (state.get("decision") or {}).get("replaces")
        if replaces and ctx.store is not None:  # asks again after a take-out: one hold, not two
            thread_id = str(get_config()["configurable"]["thread_id"])
            for shown in asking.args[0] if asking.args else ():
                supersede(ctx.store, thread_id, str(replaces), str(shown.id))
        raise
    value: dict[str, Any] = decided.root  # {"top": hold decision or None, "members": {…}}
    cancels: dict[str, dict[str, Any]] = value["members"]
    if value["top"] is None:  # contacts taken out alone: the rest stays held
        decision: dict[str, Any] = {"type": "take_out"}
    else:
        decision = settle(
            ctx, "hold", template, request, value["top"], decided.dialect, interrupt_id
        )
    if cancels and ctx.store is not None:  # recorded by the runtime first, else here (once)
        thread_id = str(get_config()["configurable"]["thread_id"])
        note_cancels(
            ctx.store,
            interrupt_id,
            thread_id,
            cancels,
            actor(ctx, decided.dialect),
            decided.dialect,
        )
    log.info("batch hold: %s on %d contacts (%d taken out)", decision["type"], going, len(cancels))
    kind = decision["type"]
    taken_out = [
        Outcome(
            action_id=action_id,
            name=template["name"],
            status="cancelled",
            detail={"reason": d.get("reason") or "Taken out of the audience during its hold."},
        )
        for action_id, d in cancels.items()
    ]
    current = dict(state.get("decision") or {})
    remaining = {**current, "members": {**(current.get("members") or {}), **cancels}}
    left = approved_count(remaining, size)
    if kind == "take_out" and not left:  # the last ones: the hold itself is cancelled
        last = {"type": "cancel", "reason": LAST_ONE}
        decision = settle(ctx, "hold", template, request, last, decided.dialect, interrupt_id)
        kind = decision["type"]
    if kind == "cancel" or not left:
        reason = decision.get("reason") if kind == "cancel" else LAST_ONE
        outcome = Outcome(
            action_id=template["id"],
            name=template["name"],
            status="cancelled",
            detail={"reason": reason or "Cancelled during its hold.", "contacts": left},
        )
        return Command(update={"outcomes": [*taken_out, outcome]}, goto="__end__")
    if kind == "take_out":  # the hold asks again (a new interrupt id) and replaces this one
        update = {**remaining, "replaces": interrupt_id}
        return Command(update={"decision": update, "outcomes": taken_out}, goto="hold")
    if not cancels:
        return Command(goto="publisher")
    return Command(update={"decision": remaining, "outcomes": taken_out}, goto="publisher")


def _contact_finder(audience: Sequence[Mapping[str, str]]) -> Any:
    """email-<n> of an address of the audience or a number 1…N (what `take_out` may name)."""
    by_email = {str(c.get("email", "")).strip().lower(): n for n, c in enumerate(audience, 1)}

    def find(token: str) -> str | None:
        t = token.strip().lower()
        n = int(t) if t.isdigit() else member_number(t) or by_email.get(t)
        return member_id(n) if n and 1 <= n <= len(audience) else None

    return find


# -- one send per contact ---------------------------------------------------------------------
def batch_publisher(state: ActionState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Send each approved contact's email through the executor (outbox: once per contact, a run
    taken over part-way skips the ones already sent); one outcome per contact that did not go
    out as it should, and one for the batch with the counts."""
    template = state["action"]
    audience = state.get("audience") or []
    decision = state.get("decision") or {}
    ctx = complete(runtime.context)
    thread_id = str(get_config()["configurable"]["thread_id"])
    going = approved_count(decision, len(audience))
    counts = {"executed": 0, "failed": 0, "in_doubt": 0}
    outcomes: list[Outcome] = []
    tool = get_tool(template["name"])
    # Sends overlap (the connector's I/O, the outbox's writes) only where a send taken over
    # part-way is safe to repeat (the connector honours the key); else one at a time, so a
    # crash leaves at most one send in doubt.
    senders = senders_for(tool.honours_key(ctx.settings))

    def send(item: tuple[str, dict[str, Any]]) -> Outcome:
        return ctx.executor.execute(thread_id, item[0], template["name"], item[1])

    done = 0
    last = time.monotonic()
    with ThreadPoolExecutor(senders, thread_name_prefix="signoff-send") as pool:
        for outcome in pool.map(send, approved(template["args"], audience, decision)):
            status = outcome["status"]
            counts[status] = counts.get(status, 0) + 1
            if status != "executed":
                outcomes.append(outcome)
            done += 1
            if time.monotonic() - last >= PROGRESS_EVERY_S:
                last = time.monotonic()
                _progress(f"Sent {counts['executed']:,} of {going:,}", done, going)
    missed = going - counts["executed"]
    _progress(
        f"Sent {counts['executed']:,} of {going:,}"
        + (f"; {missed:,} did not go out (see Failed and In doubt)" if missed else ""),
        done,
        going,
    )
    log.info("batch publisher: %s of %d", counts, going)
    summary = Outcome(
        action_id=template["id"],
        name=template["name"],
        status="executed" if counts["executed"] else "failed",
        detail={"contacts": going, **counts},
    )
    return {"outcomes": [*outcomes, summary]}


def senders_for(honours_key: bool) -> int:
    if not honours_key:
        return 1
    try:
        return max(1, min(16, int(os.environ.get(ENV_SENDERS, SENDERS))))
    except ValueError:
        return SENDERS


def approved(
    template_args: Mapping[str, Any],
    audience: Sequence[Mapping[str, str]],
    decision: Mapping[str, Any],
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(action id, arguments) of each contact's email that may go out, in the audience's order:
    the batch's approval (or edit of the template) and the contacts' own approvals and edits."""
    for action_id, args in members(template_args, audience):
        given = decision_for(decision, action_id)
        if given.get("type") not in ("approve", "edit"):
            continue
        if given is not decision and given["type"] == "edit":
            args = dict(given["args"])
        yield action_id, args


def _progress(message: str, done: int, total: int) -> None:
    progress.emit({"step": "publisher", "message": message, "done": done, "total": total})
