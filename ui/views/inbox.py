"""Inbox: every action waiting for a person, over all campaigns.

Single drafts get a card each; drafts of one batch (e.g. one email per recipient) are grouped:
approve them all, approve or reject a selection, edit one, or review a random sample and then
approve the rest. A click only queues a submission (in a widget callback, which Streamlit runs
even when the card is gone by then: a stale tab or a double click still gets "already
decided"); the page body then applies it with one `decide_many` call, which checks every
decision first and resumes each campaign once.

Above the drafts: sends in doubt (a crash mid-send) and failed actions, with their choices.
"""

from __future__ import annotations

import random
from typing import Any

import streamlit as st

from graphs.errors import AlreadyDecided, Busy, InvalidDecision, NotFound, SignoffError
from graphs.runtime import strip_citations
from ui import progress
from ui.components.authority import render_authority
from ui.components.claims import render_claims
from ui.components.item_link import focus
from ui.components.preview import edit_fields, render_draft, render_sentence_checks
from ui.state import (
    ACTION_ICONS,
    PAGE_CAMPAIGN,
    PAGE_NEW,
    PAGE_SCHEDULED,
    RISK_COLORS,
    clock,
    count,
    duration,
    expires_in,
    flash,
    plain,
    reviewer,
    short_id,
    show_flash,
    signoff,
    when,
)

REJECT_REASONS = ["Off-brand", "Inaccurate claim", "Wrong audience", "Bad timing", "Other"]
LONG_FIELDS = {"body", "text"}
PREVIEW_HEIGHT = 380
SAMPLE_SIZE = 3  # "Review a sample" shows this many random drafts of a batch
BATCH_ROWS = 25  # rows of a batch shown before "Show all"
PER_PAGE = 20  # inbox entries (a draft, or a whole batch) per page
RISKS = ["low", "medium", "high"]

runtime = signoff()


def needs_check(item: dict[str, Any]) -> bool:
    """Claims the evidence does not support: approving needs 'I checked these'."""
    if item.get("needs_check"):
        return True
    if any(c.get("status") == "unsupported" for c in item.get("sentence_checks") or []):
        return True
    if item.get("unsupported_claims"):
        return True
    return any(c.get("supported") is False for c in item.get("claim_checks") or [])


def _approval(item: dict[str, Any], checked: bool) -> dict[str, Any]:
    decision: dict[str, Any] = {"type": "approve", "seen": item["content_hash"]}
    if checked and needs_check(item):
        decision["checked"] = True
    return decision


# -- clicks: queue a submission, apply it in the body ------------------------------------------
def _submit(decisions: dict[str, dict[str, Any]], label: str, titles: dict[str, str]) -> None:
    """One click, one submission: every decision in it goes to one `decide_many` call."""
    st.session_state.setdefault("queued", []).append(
        {"decisions": decisions, "label": label, "titles": titles, "by": reviewer()}
    )
    for item_id in decisions:
        st.session_state.pop(f"panel-{item_id}", None)


def _title(item: dict[str, Any]) -> str:
    return str(item.get("title") or item["action"])


def _approve(item: dict[str, Any]) -> None:
    checked = bool(st.session_state.get(f"checked-{item['id']}"))
    _submit({item["id"]: _approval(item, checked)}, "approve", {item["id"]: _title(item)})


def _edit(item: dict[str, Any], fields: list[str]) -> None:
    item_id = item["id"]
    args = {name: st.session_state.get(f"edit-{name}-{item_id}", "") for name in fields}
    # The edit is checked again before it can go out: a fact the product's knowledge does not
    # support is shown first (if the person has not seen it yet), and needs "I checked these".
    flagged = _flagged_sentences(_draft_checks(item, args))
    if flagged - set(st.session_state.get(f"edit-shown-{item_id}", ())):
        flash("warning", "Your edit has facts the knowledge base does not support: see below.")
        return
    if flagged and not st.session_state.get(f"edit-checked-{item_id}"):
        flash("warning", "Tick 'I checked the flagged facts of my edit' first.")
        return
    _submit(
        {item_id: {"type": "edit", "args": args, "seen": item["content_hash"]}},
        "edit",
        {item_id: _title(item)},
    )


def _flagged_sentences(checks: list[dict[str, Any]]) -> set[str]:
    return {c["sentence"] for c in checks if c["status"] == "unsupported"}


def _draft_checks(item: dict[str, Any], args: dict[str, Any]) -> list[dict[str, Any]]:
    """The draft's sentences checked against the product's knowledge (empty if it cannot be)."""
    try:
        return runtime.check_draft(item["thread_id"], args)
    except SignoffError:
        return []


def post_limit() -> int | None:
    """The character limit of the social network the posts go to."""
    from tools.registry import get_tool

    return get_tool("publish_post").limits_for(runtime.settings).get("max_chars")


def _revise(item: dict[str, Any]) -> None:
    feedback = str(st.session_state.get(f"revise-feedback-{item['id']}", "")).strip()
    _submit(
        {item["id"]: {"type": "revise", "feedback": feedback, "seen": item["content_hash"]}},
        "revise",
        {item["id"]: _title(item)},
    )


def _reject(item: dict[str, Any]) -> None:
    item_id = item["id"]
    reason = st.session_state.get(f"reject-reason-{item_id}") or "Other"
    comment = str(st.session_state.get(f"reject-comment-{item_id}", "")).strip()
    _submit(
        {
            item_id: {
                "type": "reject",
                "reason": reason,
                "comment": comment,
                "seen": item["content_hash"],
            }
        },
        "reject",
        {item_id: _title(item)},
    )


def _toggle_panel(item_id: str, panel: str) -> None:
    key = f"panel-{item_id}"
    st.session_state[key] = None if st.session_state.get(key) == panel else panel


def _batch_approve(batch: str, items: list[dict[str, Any]], keep_sample: bool = False) -> None:
    """Approve these drafts of a batch; 'Approve the rest' keeps the sample's cards open."""
    checked = bool(st.session_state.get(f"batch-checked-{batch}"))
    _submit(
        {i["id"]: _approval(i, checked) for i in items},
        "approve",
        {i["id"]: _title(i) for i in items},
    )
    if not keep_sample:
        st.session_state.pop(f"sample-{batch}", None)


def _batch_selected(batch: str, items: list[dict[str, Any]], kind: str) -> None:
    chosen = [i for i in items if st.session_state.get(f"select-{i['id']}")]
    if not chosen:
        flash("warning", "Select at least one draft first (tick its box).")
        return
    if kind == "approve":
        _batch_approve(batch, chosen)
    else:
        reason = st.session_state.get(f"batch-reject-reason-{batch}") or "Other"
        _submit(
            {
                i["id"]: {
                    "type": "reject",
                    "reason": reason,
                    "comment": "",
                    "seen": i["content_hash"],
                }
                for i in chosen
            },
            "reject",
            {i["id"]: _title(i) for i in chosen},
        )
    for i in chosen:
        st.session_state.pop(f"select-{i['id']}", None)


def _sample(batch: str, ids: list[str], must: list[str] | None = None) -> None:
    """A random sample, plus every draft with links or contacts nobody gave (never 'the rest')."""
    must = [i for i in must or [] if i in ids]
    others = [i for i in ids if i not in must]
    k = min(max(0, SAMPLE_SIZE - len(must)), len(others))
    st.session_state[f"sample-{batch}"] = must + random.sample(others, k)


def _end_sample(batch: str) -> None:
    st.session_state.pop(f"sample-{batch}", None)


def _sample_batch(batch: str, lead: dict[str, Any]) -> None:
    _sample(
        batch,
        runtime.batch_ids(lead["thread_id"], lead["batch"]),
        runtime.batch_foreign_ids(lead["thread_id"], lead["batch"]),
    )


def _batch_approve_all(batch: str, lead: dict[str, Any], exclude: list[str] | None = None) -> None:
    """Approve every undecided draft of a batch (but `exclude`, the sample's) in one submission;
    the runtime reads the batch from the index, so the page never holds all of it."""
    st.session_state.setdefault("queued", []).append(
        {
            "batch": {
                "thread": lead["thread_id"],
                "name": lead["batch"],
                "exclude": list(exclude or []),
                "checked": bool(st.session_state.get(f"batch-checked-{batch}")),
            },
            "decisions": {},
            "label": "approve",
            "titles": {},
            "title": _title(lead),
            "by": reviewer(),
        }
    )
    if exclude is None:
        st.session_state.pop(f"sample-{batch}", None)


def _decide_batch(q: dict[str, Any], feed: Any) -> list[dict[str, Any]]:
    b = q["batch"]
    result = runtime.decide_batch(
        b["thread"],
        b["name"],
        {"type": "approve"},
        exclude=b["exclude"],
        checked=b["checked"],
        by=q["by"],
        on_progress=feed,
    )
    q["decisions"] = result["decisions"]
    q["titles"] = {i: q["title"] for i in result["decisions"]}
    q["held_back"] = result.get("held_back", [])
    return list(result["summaries"])


def _decide(q: dict[str, Any], feed: Any) -> list[dict[str, Any]]:
    """One queued submission: a whole batch, or the decisions it names."""
    if q.get("batch"):
        return _decide_batch(q, feed)
    return list(runtime.decide_many(q["decisions"], by=q["by"], on_progress=feed))


def _to_page(number: int) -> None:
    st.session_state["inbox-page"] = max(1, number)


def _queue_outbox(kind: str, key: str, title: str) -> None:
    st.session_state.setdefault("outbox-queue", []).append(
        {"kind": kind, "key": key, "title": title, "by": reviewer()}
    )


WORKING = {
    "approve": "Approving: {title}…",
    "edit": "Applying your edits: {title}…",
    "revise": "Sending back to the writer: {title}…",
    "reject": "Rejecting: {title}…",
}
QUEUED = {
    "approve": "Approved — {title} goes out in a moment.",
    "edit": "Approved with your edits — {title} goes out in a moment.",
    "revise": "Sent back — the writer is redrafting {title}; the redraft comes back to your inbox.",
    "reject": "Rejected — {title} will not go out.",
}
DONE = {
    "approve": "Approved — {title} went out.",
    "edit": "Approved with your edits — {title} went out.",
    "revise": "Sent back — the redraft of {title} is in your inbox.",
    "reject": "Rejected — {title} will not go out.",
}


def apply_queued() -> None:
    """Apply the submissions queued by clicks: one `decide_many` call each."""
    queued = st.session_state.pop("queued", [])
    for q in queued:
        decisions = q["decisions"]
        n = len(decisions)
        kind = q["label"]
        name = next(iter(q["titles"].values())) if n == 1 else count(n, "draft")
        if q.get("batch"):
            name = f"every waiting draft of {q['title']}"
        try:
            if n == 1 and not q.get("batch"):  # does it wait out a hold window once approved?
                q["hold_seconds"] = {
                    i["id"]: i.get("hold_seconds") or 0 for i in runtime.items(list(decisions))
                }
            # Recorded at once; what follows runs in a worker (ui/progress.py shows it).
            with st.spinner(WORKING.get(kind, "Deciding: {title}…").format(title=name)):
                result = _decide(q, None)
            jobs = [int(s["job"]) for s in result if "job" in s]
            flash(*_done_message(result, q))  # what was recorded, at once
            # what the worker's run did, once it ended (read back from the campaigns then)
            progress.when_done(
                jobs, lambda result=result, q=q: _done_message(_refreshed(result), q, ran=True)
            )
        except AlreadyDecided as err:
            st.info(title_case(str(err)), icon=":material/info:")
        except InvalidDecision as err:
            st.error(str(err))
        except Busy as err:
            st.warning(str(err))
        except NotFound as err:
            st.warning(str(err))
        except SignoffError as err:
            st.error(str(err))
        except Exception as err:  # a connector or the model failed
            st.error(
                f"Your decision was recorded but could not be applied: {err}. "
                "Open the campaign to see where it stopped."
            )
        else:
            st.rerun()


def apply_outbox_queue() -> None:
    """In-doubt and failed actions: mark sent, send again, retry."""
    queued = st.session_state.pop("outbox-queue", [])
    for q in queued:
        try:
            with st.spinner(f"{q['title']}…"):
                if q["kind"] == "retry":
                    result = runtime.retry_action(q["key"], by=q["by"])
                else:
                    result = runtime.settle(q["key"], q["kind"], by=q["by"])
        except SignoffError as err:
            flash("error", str(err))
        except Exception as err:  # the connector failed again
            flash("error", f"{q['title']}: it failed again ({err}).")
        else:
            if result.get("status") == "failed":
                error = (result.get("detail") or {}).get("error") or "no reason given"
                flash("error", f"{q['title']} failed again: {error}")
                continue
            flash(
                "success",
                {
                    "mark_sent": f"Marked as sent — {q['title']} will not be sent again.",
                    "send_again": f"Sent again — {q['title']}.",
                    "retry": f"Tried again — {q['title']}.",
                }[q["kind"]],
            )
    if queued:
        st.rerun()


def _results(summaries: list[dict[str, Any]], ids: set[str]) -> dict[str, dict[str, Any]]:
    """Per decided id: its action's hold and outcome, read back from its campaign."""
    found: dict[str, dict[str, Any]] = {}
    for summary in summaries:
        try:
            campaign = runtime.campaign(summary["thread_id"])
        except SignoffError:
            continue
        holds = {h["action_id"]: h for h in campaign.get("holds", [])}
        outcomes = {o["action_id"]: o for o in campaign["outcomes"]}
        for d in campaign["decisions"]:
            if d["interrupt_id"] in ids:
                aid = d["action_id"]
                found[d["interrupt_id"]] = {"hold": holds.get(aid), "outcome": outcomes.get(aid)}
    return found


def _refreshed(summaries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The campaigns' summaries now (after the worker's run), keeping who still must approve."""
    fresh = []
    for s in summaries:
        try:
            now = runtime.summary(s["thread_id"])
        except SignoffError:
            now = {k: v for k, v in s.items() if k != "job"}
        fresh.append({**now, "waiting_for": s.get("waiting_for", {})})
    return fresh


def _done_message(
    summaries: list[dict[str, Any]], q: dict[str, Any], *, ran: bool = False
) -> tuple[str, str]:
    """What happened, read back from the campaigns (the holds and outcomes of these actions);
    before a queued run ended (`ran` False and a summary names its job): what was recorded."""
    decisions = q["decisions"]
    if q.get("held_back"):
        level, message = _done_many(summaries, q) if len(decisions) > 1 else ("success", "")
        kept = count(len(q["held_back"]), "draft")
        return "warning", (
            f"{message} {kept} with links or contacts you did not give stayed in your inbox: "
            "open them one by one."
        ).strip()
    if len(decisions) > 1 and not ran and any("job" in s for s in summaries):
        return "info", (
            f"Recorded {count(len(decisions), 'decision')} — what follows (sending, redrafting) "
            "runs in the background; progress shows above."
        )
    if len(decisions) > 1:
        return _done_many(summaries, q)
    item_id, decision = next(iter(decisions.items()))
    title = q["titles"][item_id]
    kind = decision["type"]
    message = DONE[kind].format(title=title)
    still = next(
        (s["waiting_for"][item_id] for s in summaries if item_id in s.get("waiting_for", {})), None
    )
    if still:
        return "info", f"Your approval is recorded — {title} still {'; '.join(still)}."
    if not ran and any("job" in s for s in summaries):  # a worker carries it out
        hold = (q.get("hold_seconds") or {}).get(item_id) or 0
        if kind in ("approve", "edit") and hold:
            return "info", (
                f"Approved — {title} is scheduled: it goes out in {duration(hold)} unless you "
                "cancel it on the Scheduled page."
            )
        return "info", QUEUED[kind].format(title=title)
    if kind not in ("approve", "edit"):
        return "success", message
    result = _results(summaries, {item_id}).get(item_id, {})
    hold, outcome = result.get("hold"), result.get("outcome")
    if hold:
        return "success", (
            f"Approved — {title} is scheduled: it goes out in {duration(hold['seconds_left'])} "
            "unless you cancel it on the Scheduled page."
        )
    if outcome is None:
        return "info", f"Recorded — {title} goes out when the rest of its batch is decided."
    if outcome["status"] != "executed":
        return "warning", (
            f"{title_case(title)} was approved but did not go out "
            f"({outcome['status'].replace('_', ' ')}). Open the campaign for details."
        )
    detail = outcome.get("detail") or {}
    if detail.get("transport") == "maildir":
        return "success", message + " Delivered to the Maildir outbox."
    if detail.get("transport") == "feed":
        return "success", message + f" Posted to the feed (line {detail.get('line')})."
    return "success", message


def _done_many(summaries: list[dict[str, Any]], q: dict[str, Any]) -> tuple[str, str]:
    decisions = q["decisions"]
    kind = next(iter(decisions.values()))["type"]
    verb = {"approve": "Approved", "reject": "Rejected"}.get(kind, "Decided")
    parts = [f"{verb} {count(len(decisions), 'draft')} in one go."]
    if kind == "approve" and q.get("batch"):  # one decision for the batch: its one outcome
        done = runtime.batch_result(q["batch"]["thread"])
        sent = int(((done["outcome"] or {}).get("detail") or {}).get("executed", 0))
        if sent:
            parts.append(f"{count(sent, 'action')} went out.")
        elif done["hold"]:
            held = int(done["hold"]["payload"].get("batch_size") or len(decisions))
            parts.append(f"{count(held, 'action')} scheduled: cancel on the Scheduled page.")
        elif done["open"]:
            parts.append(f"{len(decisions)} wait for the rest of their batch.")
    elif kind == "approve":
        results = _results(summaries, set(decisions))
        sent = sum(
            1
            for r in results.values()
            if r["outcome"] is not None and r["outcome"]["status"] == "executed"
        )
        held = sum(1 for r in results.values() if r["hold"])
        waiting = sum(1 for r in results.values() if not r["hold"] and r["outcome"] is None)
        if sent:
            parts.append(f"{count(sent, 'action')} went out.")
        if held:
            parts.append(f"{count(held, 'action')} scheduled: cancel on the Scheduled page.")
        if waiting:
            parts.append(f"{waiting} wait for the rest of their batch.")
    return "success", " ".join(parts)


def title_case(text: str) -> str:
    return text[:1].upper() + text[1:]


# -- one card ---------------------------------------------------------------------------------
def render_preview(item: dict[str, Any], *, body: bool = True) -> None:
    """What goes out: recipient and subject, and (with `body`) the text as drafted.

    On a card the claims panel draws the text itself, with each claim highlighted.
    """
    args = item["args"]
    text = str(args.get("body") or args.get("text") or "")
    # A long draft scrolls inside its frame, so the inbox stays easy to scan.
    tall = body and len(text) > 700
    with st.container(border=body, height=PREVIEW_HEIGHT if tall else "content"):
        if item["action"] == "send_email":
            st.caption(f"**To** {plain(args.get('to', ''))}")
            st.markdown(f"**{plain(args.get('subject', ''))}**")
            if body:
                st.markdown(plain(args.get("body", "")))
        elif "text" in args:
            if body:
                st.markdown(plain(args["text"]))
            st.caption(f"{len(strip_citations(args['text']))} characters as published")
        elif "title" in args and "body" in args:
            st.markdown(
                f"**{plain(args['title'])}**"
                + (f" · `/{args['slug']}`" if args.get("slug") else "")
            )
            if body:
                st.markdown(plain(args["body"]))
        elif body or not text:
            st.markdown(plain(item.get("text") or args))
        if strip_citations(text) != text:
            st.caption(
                ":material/format_quote: Marks like [1] point to the evidence; "
                "they are removed before it goes out."
            )


def render_panel(item: dict[str, Any], panel: str) -> None:
    item_id = item["id"]
    if panel == "edit":
        fields = list(item["args"])
        with st.container(border=True, key=f"edit-form-{item_id}"):
            st.markdown(
                "**Edit, then approve** — the edited version is what goes out; it is checked "
                "again against the product's knowledge after each change."
            )
            edited = edit_fields(item, limit=post_limit())
            checks = _draft_checks(item, edited)
            st.session_state[f"edit-shown-{item_id}"] = sorted(_flagged_sentences(checks))
            if render_sentence_checks(checks, key=f"edit-{item_id}"):
                st.checkbox("I checked the flagged facts of my edit", key=f"edit-checked-{item_id}")
            st.button(
                "Approve with my edits",
                type="primary",
                icon=":material/send:",
                key=f"edit-save-{item_id}",
                on_click=_edit,
                args=(item, fields),
            )
    elif panel == "revise":
        with st.form(f"revise-form-{item_id}", border=False):
            st.text_area(
                "What should the writer change?",
                key=f"revise-feedback-{item_id}",
                placeholder="e.g. Lead with the savings, keep it under 60 words, mention the room sensors.",
            )
            st.form_submit_button(
                "Send back to the writer",
                icon=":material/undo:",
                key=f"revise-send-{item_id}",
                on_click=_revise,
                args=(item,),
            )
    elif panel == "reject":
        with st.form(f"reject-form-{item_id}", border=False):
            cols = st.columns([1, 2])
            cols[0].selectbox("Reason", REJECT_REASONS, key=f"reject-reason-{item_id}")
            cols[1].text_input(
                "Comment (optional)", key=f"reject-comment-{item_id}", placeholder="What was wrong?"
            )
            st.form_submit_button(
                "Reject — it will not go out",
                icon=":material/block:",
                key=f"reject-confirm-{item_id}",
                on_click=_reject,
                args=(item,),
            )


def expiry_badges(item: dict[str, Any]) -> None:
    """'Expires in 3 h' and, when expiry is near, a reminder badge."""
    text = expires_in(item.get("expires_at"))
    if not text:
        return
    if item.get("reminder"):
        st.badge("Expires soon", color="orange", icon=":material/notifications_active:")
    st.badge(title_case(text), color="gray", icon=":material/timer:")


def render_decision_buttons(item: dict[str, Any]) -> None:
    item_id = item["id"]
    allowed = item["allowed_decisions"]
    unchecked = needs_check(item) and not st.session_state.get(f"checked-{item_id}")
    if needs_check(item):
        st.checkbox(
            "I checked these claims",
            key=f"checked-{item_id}",
            help="Some claims are not supported by the evidence. Approve only after checking "
            "them yourself; your check is recorded in the audit log.",
        )
    with st.container(horizontal=True):
        st.button(
            "Approve",
            key=f"approve-{item_id}",
            type="primary",
            icon=":material/check:",
            on_click=_approve,
            args=(item,),
            disabled="approve" not in allowed or unchecked,
            help="Tick 'I checked these claims' first."
            if unchecked and "approve" in allowed
            else None
            if "approve" in allowed
            else "This draft cannot go out as it is: edit it or send it back.",
        )
        st.button(
            "Edit",
            key=f"edit-{item_id}",
            icon=":material/edit:",
            on_click=_toggle_panel,
            args=(item_id, "edit"),
            disabled="edit" not in allowed,
        )
        st.button(
            "Send back",
            key=f"revise-{item_id}",
            icon=":material/undo:",
            on_click=_toggle_panel,
            args=(item_id, "revise"),
            disabled="revise" not in allowed,
            help=None
            if "revise" in allowed
            else "The writer has had its maximum number of redrafts.",
        )
        st.button(
            "Reject",
            key=f"reject-{item_id}",
            icon=":material/block:",
            on_click=_toggle_panel,
            args=(item_id, "reject"),
            disabled="reject" not in allowed,
        )


def render_card(item: dict[str, Any], products: dict[str, str]) -> None:
    item_id = item["id"]
    title = _title(item)
    with st.container(border=True, key=f"card-{item_id}"):
        head, badges = st.columns([3, 2], vertical_alignment="center")
        with head:
            st.subheader(
                f"{ACTION_ICONS.get(item['action'], ':material/bolt:')} {title}", anchor=False
            )
        with badges, st.container(horizontal=True, horizontal_alignment="right"):
            st.badge(
                f"{item['risk'].capitalize()} risk",
                color=RISK_COLORS.get(item["risk"], "gray"),  # type: ignore[arg-type]
                icon=":material/shield:",
            )
            if item.get("revision"):
                st.badge(f"Redraft #{item['revision']}", color="violet", icon=":material/replay:")
            expiry_badges(item)
        product = products.get(item["thread_id"], "Campaign")
        st.page_link(
            PAGE_CAMPAIGN,
            label=f"{plain(product)} · campaign {short_id(item['thread_id'])} · proposed {when(item['created_at'])}",
            icon=":material/link:",
            query_params={"thread": item["thread_id"]},
        )

        left, right = st.columns([3, 2], gap="large")
        item["sentence_checks"] = _draft_checks(item, item["args"])
        with left:
            render_draft(item, limit=post_limit())
            render_sentence_checks(item["sentence_checks"], key=item_id)
            unsupported = render_claims(  # each warning once: the sentences above are not redrawn
                item,
                draft=False,
                shown=[
                    c["sentence"] for c in item["sentence_checks"] if c.get("status") != "no_facts"
                ],
            )
        with right:
            confidence = float(item.get("confidence") or 0)
            st.progress(
                min(max(confidence, 0.0), 1.0), text=f"Writer's confidence: **{confidence:.0%}**"
            )
            st.markdown("**Why it waits for you**")
            st.markdown("\n".join(f"- {plain(r)}" for r in item["reasons"]))
            if unsupported:  # each warning once: the claims below say why
                st.caption(f":material/warning: {count(len(set(unsupported)), 'claim')} to check")
            if item.get("hold_seconds"):
                st.caption(
                    f":material/schedule: Once approved it waits {duration(item['hold_seconds'])} "
                    "on the Scheduled page, where you can still cancel it."
                )
            if item.get("feedback"):
                st.caption(
                    "Your earlier feedback: " + " · ".join(plain(f) for f in item["feedback"])
                )
            render_ai_review(item)

        render_authority(item)
        render_decision_buttons(item)
        panel = st.session_state.get(f"panel-{item_id}")
        if panel:
            render_panel(item, panel)


def render_ai_review(item: dict[str, Any]) -> None:
    """What the AI review left for the person and why, and what a redraft changed."""
    rounds = int(item.get("review_rounds") or 0)
    notes = [n for n in item.get("review_notes") or [] if not n.startswith("Not in the facts")]
    if rounds > 1 or notes:
        st.markdown(
            f"**AI review** ({count(rounds, 'round')}): "
            + ("left for you:" if notes else "nothing left to fix.")
        )
        if notes:
            st.markdown("\n".join(f"- {plain(n)}" for n in notes))
    if item.get("changes"):
        with st.expander("What changed against the previous draft", icon=":material/difference:"):
            st.code(item["changes"], language="diff")


# -- one batch --------------------------------------------------------------------------------
def batch_key(item: dict[str, Any]) -> str | None:
    """A batch within its campaign (batch ids are only unique per campaign): '1a2b3c4d-audience'."""
    return f"{short_id(item['thread_id'])}-{item['batch']}" if item.get("batch") else None


def _recipient(item: dict[str, Any]) -> str:
    args = item["args"]
    return str(args.get("to") or args.get("url") or args.get("handle") or args.get("account") or "")


def render_batch_row(item: dict[str, Any]) -> None:
    item_id = item["id"]
    args = item["args"]
    with st.container(border=True, key=f"row-{item_id}"):
        pick, what, buttons = st.columns([0.4, 6, 2], vertical_alignment="center")
        pick.checkbox("Select", key=f"select-{item_id}", label_visibility="collapsed")
        headline = args.get("subject") or args.get("text") or item.get("text") or ""
        flags = " · :orange[claims to check]" if needs_check(item) else ""
        what.markdown(
            f"**{plain(_recipient(item)) or plain(_title(item))}** — "
            f"{plain(str(headline)[:120])}{flags}"
        )
        with buttons, st.container(horizontal=True, horizontal_alignment="right"):
            st.button(
                "Edit",
                key=f"edit-{item_id}",
                icon=":material/edit:",
                on_click=_toggle_panel,
                args=(item_id, "edit"),
                disabled="edit" not in item["allowed_decisions"],
            )
        with st.expander("Preview", icon=":material/visibility:"):
            render_preview(item)
        if st.session_state.get(f"panel-{item_id}") == "edit":
            render_panel(item, "edit")


def render_batch(
    batch: str, items: list[dict[str, Any]], products: dict[str, str], open_count: int | None = None
) -> None:
    """A batch: `items` are the rows shown (the first BATCH_ROWS, or all after "Show all"),
    `open_count` how many of it wait; "Approve all" and "Approve the rest" decide the whole
    batch through the runtime without loading it here."""
    first = items[0]
    title = _title(first)
    n = len(items) if open_count is None else open_count
    total = max(int(first.get("batch_size") or n), n)
    n_flagged = runtime.batch_needing_check(first["thread_id"], first["batch"])
    sample = runtime.items(st.session_state.get(f"sample-{batch}", []))
    sample_ids = [i["id"] for i in sample]
    with st.container(border=True, key=f"batch-{batch}"):
        head, badges = st.columns([3, 2], vertical_alignment="center")
        with head:
            st.subheader(
                f"{ACTION_ICONS.get(first['action'], ':material/bolt:')} {title} × {n}",
                anchor=False,
            )
        with badges, st.container(horizontal=True, horizontal_alignment="right"):
            st.badge(
                f"{first['risk'].capitalize()} risk",
                color=RISK_COLORS.get(first["risk"], "gray"),  # type: ignore[arg-type]
                icon=":material/shield:",
            )
            st.badge(f"Batch of {total}", color="blue", icon=":material/stacks:")
            soonest = min(
                (i for i in items if i.get("expires_at")),
                key=lambda i: i["expires_at"],
                default=None,
            )
            if soonest:
                expiry_badges(soonest)
        product = products.get(first["thread_id"], "Campaign")
        st.page_link(
            PAGE_CAMPAIGN,
            label=f"{plain(product)} · campaign {short_id(first['thread_id'])} · proposed "
            f"{when(first['created_at'])}",
            icon=":material/link:",
            query_params={"thread": first["thread_id"]},
        )
        waiting = f"{count(n, 'draft')} of this batch wait for you"
        st.caption(
            f"{waiting}. Nothing in it goes out until every draft is decided: approve them all, "
            "pick some, or review a random sample first."
        )
        if n_flagged:
            st.warning(
                f"{count(n_flagged, 'draft')} in this batch make claims the evidence does not "
                "support.",
                icon=":material/warning:",
            )
            st.checkbox(
                "I checked the flagged claims in this batch",
                key=f"batch-checked-{batch}",
                help="Required to approve drafts with unsupported claims; recorded in the audit.",
            )
        unchecked = bool(n_flagged) and not st.session_state.get(f"batch-checked-{batch}")
        n_foreign = len(runtime.batch_foreign_ids(first["thread_id"], first["batch"]))
        if n_foreign:
            st.warning(
                f"{count(n_foreign, 'draft')} in this batch carry links or contacts you did not "
                "give (from the audience file or a source). They are always in the sample and "
                "never approved in bulk: open them one by one.",
                icon=":material/link_off:",
            )

        if sample_ids:
            n_rest = n - len(sample)
            rest_flagged = n_flagged - sum(1 for i in sample if needs_check(i))
            st.markdown(
                f"**A random sample of {len(sample)}** — decide these, then approve the rest."
            )
            for item in sample:
                render_card(item, products)
            with st.container(horizontal=True):
                st.button(
                    f"Approve the rest ({n_rest})",
                    key=f"batch-approve-rest-{batch}",
                    type="primary",
                    icon=":material/done_all:",
                    on_click=_batch_approve_all,
                    args=(batch, first, sample_ids),
                    disabled=not n_rest or unchecked and rest_flagged > 0,
                )
                st.button(
                    "Back to the whole batch",
                    key=f"batch-sample-end-{batch}",
                    icon=":material/close:",
                    on_click=_end_sample,
                    args=(batch,),
                )
            return

        with st.container(horizontal=True):
            st.button(
                f"Approve all {n}",
                key=f"batch-approve-{batch}",
                type="primary",
                icon=":material/done_all:",
                on_click=_batch_approve_all,
                args=(batch, first),
                disabled=unchecked,
                help="Tick 'I checked the flagged claims' first." if unchecked else None,
            )
            st.button(
                f"Review a sample of {min(max(SAMPLE_SIZE, n_foreign), n)}",
                key=f"batch-sample-{batch}",
                icon=":material/shuffle:",
                on_click=_sample_batch,
                args=(batch, first),
            )
        show_all = st.session_state.get(f"batch-all-{batch}", False)
        for item in items if show_all else items[:BATCH_ROWS]:
            render_batch_row(item)
        if n > BATCH_ROWS and not show_all:
            st.button(
                f"Show all {n}",
                key=f"batch-show-all-{batch}",
                on_click=lambda: st.session_state.__setitem__(f"batch-all-{batch}", True),
            )
        selected = [i for i in items if st.session_state.get(f"select-{i['id']}")]
        with st.container(horizontal=True, vertical_alignment="bottom"):
            st.button(
                f"Approve selected ({len(selected)})",
                key=f"batch-approve-selected-{batch}",
                icon=":material/check:",
                on_click=_batch_selected,
                args=(batch, items, "approve"),
                disabled=not selected or unchecked and any(needs_check(i) for i in selected),
            )
            st.selectbox(
                "Reason",
                REJECT_REASONS,
                key=f"batch-reject-reason-{batch}",
                label_visibility="collapsed",
                width=200,
            )
            st.button(
                f"Reject selected ({len(selected)})",
                key=f"batch-reject-selected-{batch}",
                icon=":material/block:",
                on_click=_batch_selected,
                args=(batch, items, "reject"),
                disabled=not selected,
            )


# -- in doubt and failed ----------------------------------------------------------------------
def _args_line(args: dict[str, Any]) -> str:
    if "subject" in args:
        return f"To {args.get('to', '')} · {args['subject']}"
    return str(args.get("text") or args.get("title") or args.get("url") or "")[:160]


def render_trouble() -> None:
    doubtful = runtime.in_doubt()
    failed = runtime.failed()
    if not doubtful and not failed:
        return
    st.subheader("Needs your attention", anchor=False)
    for r in doubtful:
        key = r["key"]
        with st.container(border=True, key=f"in-doubt-{key[:16]}"):
            st.markdown(
                f":material/help: **{plain(r.get('title') or r['action'])} may or may not have "
                f"gone out** · campaign {short_id(r['thread_id'])} · {clock(r.get('at'))}"
            )
            st.caption(
                f"{plain(_args_line(r.get('args') or {}))}  \nThe send was under way when the "
                "process stopped, and this channel cannot tell whether it arrived. Check (e.g. "
                "the sent folder), then choose."
                + (f"  \nError: {plain(r['error'])}" if r.get("error") else "")
            )
            with st.container(horizontal=True):
                st.button(
                    "Mark as sent",
                    key=f"mark-sent-{key}",
                    icon=":material/done:",
                    on_click=_queue_outbox,
                    args=("mark_sent", key, r.get("title") or r["action"]),
                    help="It did go out: it will never be sent again.",
                )
                st.button(
                    "Send again",
                    key=f"send-again-{key}",
                    icon=":material/send:",
                    on_click=_queue_outbox,
                    args=("send_again", key, r.get("title") or r["action"]),
                    help="It did not go out: send it once more.",
                )
    for r in failed:
        key = r["key"]
        with st.container(border=True, key=f"failed-{key[:16]}"):
            st.markdown(
                f":material/error: **{plain(r.get('title') or r['action'])} failed** · campaign "
                f"{short_id(r['thread_id'])} · {clock(r.get('at'))}"
            )
            st.caption(
                f"{plain(_args_line(r.get('args') or {}))}  \nError: {plain(r.get('error') or '?')}"
            )
            st.button(
                "Retry",
                key=f"retry-action-{key}",
                icon=":material/refresh:",
                on_click=_queue_outbox,
                args=("retry", key, r.get("title") or r["action"]),
                disabled=not r.get("retryable", True),
                help=None
                if r.get("retryable", True)
                else "This failure will not go away by retrying (e.g. a refused address).",
            )


# -- the page ---------------------------------------------------------------------------------
st.title("Inbox")
progress.report_finished()  # what queued runs did, once they ended
show_flash()
apply_queued()
apply_outbox_queue()
progress.open_runs()  # what workers are doing now, polled until each run ends
render_trouble()

filters: dict[str, str | None] = {"campaign": None, "channel": None, "risk": None}
if runtime.counts()["pending"]:
    campaigns = runtime.campaigns()
    labels = {
        c["thread_id"]: f"{c['brief'].get('product', 'Campaign')} · {short_id(c['thread_id'])}"
        for c in campaigns
    }
    channels = sorted({str(a.get("channel")) for a in runtime.autonomy() if a.get("channel")})
    with st.container(horizontal=True, key="inbox-filters"):
        filters["campaign"] = st.selectbox(
            "Campaign",
            [None, *labels],
            format_func=lambda t: "All campaigns" if t is None else labels[t],
            key="inbox-filter-campaign",
            on_change=_to_page,
            args=(1,),
            width=320,
        )
        filters["channel"] = st.selectbox(
            "Channel",
            [None, *channels],
            format_func=lambda c: "All channels" if c is None else str(c).capitalize(),
            key="inbox-filter-channel",
            on_change=_to_page,
            args=(1,),
            width=200,
        )
        filters["risk"] = st.selectbox(
            "Risk",
            [None, *RISKS],
            format_func=lambda r: "Any risk" if r is None else f"{str(r).capitalize()} risk",
            key="inbox-filter-risk",
            on_change=_to_page,
            args=(1,),
            width=200,
        )
        if not runtime.identity(reviewer())["local"]:  # with a team: roles decide who may
            mine = st.toggle(
                "Only what I can decide",
                key="inbox-filter-mine",
                on_change=_to_page,
                args=(1,),
            )
            filters["decider"] = reviewer() if mine else None
per_page = PER_PAGE
if str(st.query_params.get("per_page", "")).isdigit():  # a link may ask for another page size
    per_page = min(max(int(st.query_params["per_page"]), 1), 100)
view = runtime.inbox_page(
    int(st.session_state.get("inbox-page", 1)), per_page, person=reviewer(), **filters
)
if view["page"] > view["pages"]:  # decided the last entries of the last page
    st.session_state["inbox-page"] = view["pages"]
    view = runtime.inbox_page(view["pages"], per_page, person=reviewer(), **filters)
pending = focus(runtime, view["items"])  # a notification's link opens one item
products = view["products"]

if not pending and any(filters.values()):
    st.info("Nothing waiting matches these filters.", icon=":material/filter_alt_off:")
elif not pending:
    with st.container(border=True, key="inbox-empty"):
        st.markdown("### :material/inbox: Nothing is waiting for you")
        st.markdown(
            "When Signoff drafts an email or a post, it lands here for your sign-off. "
            "Start a campaign and the drafts will appear in about a minute."
        )
        with st.container(horizontal=True):
            st.page_link(PAGE_NEW, label="Start a new campaign", icon=":material/edit_square:")
            st.page_link(PAGE_SCHEDULED, label="Scheduled", icon=":material/schedule:")
else:
    st.caption(
        f"{count(view['pending'], 'action')} waiting for your sign-off. Approve to send it, edit "
        "it first, send it back to the writer with feedback, or reject it."
    )
    for item in pending:
        group = batch_key(item)
        if group is None or (item.get("open", 1) == 1 and (item.get("batch_size") or 1) <= 1):
            render_card(item, products)
        else:
            show_all = st.session_state.get(f"batch-all-{group}", False)
            rows = runtime.batch_items(
                item["thread_id"], item["batch"], limit=None if show_all else BATCH_ROWS
            )
            render_batch(group, rows or [item], products, item.get("open"))
    if view["pages"] > 1:
        with st.container(horizontal=True, vertical_alignment="center", key="inbox-pager"):
            st.button(
                "Previous",
                key="inbox-prev",
                icon=":material/chevron_left:",
                on_click=_to_page,
                args=(view["page"] - 1,),
                disabled=view["page"] <= 1,
            )
            st.caption(f"Page {view['page']} of {view['pages']}")
            st.button(
                "Next",
                key="inbox-next",
                icon=":material/chevron_right:",
                on_click=_to_page,
                args=(view["page"] + 1,),
                disabled=view["page"] >= view["pages"],
            )
