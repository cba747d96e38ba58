"""Inbox: every action waiting for a person, over all campaigns, one card each.

A click only queues the decision (in a widget callback, which Streamlit runs even when the card
is gone by then: a stale tab or a double click still gets "already decided"). The page body then
applies it through the facade, which decides once.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from graphs.errors import AlreadyDecided, Busy, InvalidDecision, NotFound, SignoffError
from graphs.runtime import strip_citations
from ui.state import (
    ACTION_ICONS,
    PAGE_CAMPAIGN,
    PAGE_NEW,
    RISK_COLORS,
    count,
    distinct_claims,
    flash,
    plain,
    reviewer,
    run_with_progress,
    short_id,
    show_flash,
    signoff,
    when,
)

REJECT_REASONS = ["Off-brand", "Inaccurate claim", "Wrong audience", "Bad timing", "Other"]
LONG_FIELDS = {"body", "text"}
PREVIEW_HEIGHT = 380
EVIDENCE_HEIGHT = 420

runtime = signoff()


# -- clicks: queue, then apply in the body ---------------------------------------------------
def _queue(item_id: str, title: str, decision: dict[str, Any]) -> None:
    st.session_state.setdefault("queued", []).append(
        {"id": item_id, "title": title, "decision": decision, "by": reviewer()}
    )
    st.session_state.pop(f"panel-{item_id}", None)


def _approve(item_id: str, title: str) -> None:
    _queue(item_id, title, {"type": "approve"})


def _edit(item_id: str, title: str, fields: list[str]) -> None:
    args = {name: st.session_state.get(f"edit-{name}-{item_id}", "") for name in fields}
    _queue(item_id, title, {"type": "edit", "args": args})


def _revise(item_id: str, title: str) -> None:
    feedback = str(st.session_state.get(f"revise-feedback-{item_id}", "")).strip()
    _queue(item_id, title, {"type": "revise", "feedback": feedback})


def _reject(item_id: str, title: str) -> None:
    reason = st.session_state.get(f"reject-reason-{item_id}") or "Other"
    comment = str(st.session_state.get(f"reject-comment-{item_id}", "")).strip()
    _queue(item_id, title, {"type": "reject", "reason": reason, "comment": comment})


def _toggle_panel(item_id: str, panel: str) -> None:
    key = f"panel-{item_id}"
    st.session_state[key] = None if st.session_state.get(key) == panel else panel


WORKING = {
    "approve": "Approving and sending: {title}…",
    "edit": "Applying your edits and sending: {title}…",
    "revise": "Sending back to the writer: {title}…",
    "reject": "Rejecting: {title}…",
}
DONE = {
    "approve": "Approved — {title} went out.",
    "edit": "Approved with your edits — {title} went out.",
    "revise": "Sent back — the redraft of {title} is in your inbox.",
    "reject": "Rejected — {title} will not go out.",
}


def apply_queued() -> None:
    """Apply the decisions queued by clicks, one by one, through the facade."""
    queued = st.session_state.pop("queued", [])
    for q in queued:
        kind = q["decision"]["type"]
        try:
            run_with_progress(
                WORKING[kind].format(title=q["title"]),
                lambda feed, q=q: runtime.decide(
                    q["id"], q["decision"], by=q["by"], on_progress=feed
                ),
                then=lambda result, q=q: flash(*_done_message(result, q)),
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


def _done_message(summary: dict[str, Any], q: dict[str, Any]) -> tuple[str, str]:
    """What happened, read back from the campaign (the outcome of this very action)."""
    message = DONE[q["decision"]["type"]].format(title=q["title"])
    if q["decision"]["type"] not in ("approve", "edit"):
        return "success", message
    try:
        campaign = runtime.campaign(summary["thread_id"])
    except SignoffError:
        return "success", message
    action_id = next(
        (d["action_id"] for d in campaign["decisions"] if d["interrupt_id"] == q["id"]), None
    )
    for outcome in campaign["outcomes"]:
        if outcome["action_id"] != action_id:
            continue
        if outcome["status"] != "executed":
            return "warning", (
                f"{title_case(q['title'])} was approved but did not go out "
                f"({outcome['status'].replace('_', ' ')}). Open the campaign for details."
            )
        detail = outcome["detail"]
        if detail.get("transport") == "maildir":
            return "success", message + " Delivered to the Maildir outbox."
        if detail.get("transport") == "feed":
            return "success", message + f" Posted to the feed (line {detail.get('line')})."
    return "success", message


def title_case(text: str) -> str:
    return text[:1].upper() + text[1:]


# -- one card ---------------------------------------------------------------------------------
def render_preview(item: dict[str, Any]) -> None:
    args = item["args"]
    text = str(args.get("body") or args.get("text") or "")
    # A long draft scrolls inside its frame, so the inbox stays easy to scan.
    with st.container(border=True, height=PREVIEW_HEIGHT if len(text) > 700 else "content"):
        if item["action"] == "send_email":
            st.caption(f"**To** {plain(args.get('to', ''))}")
            st.markdown(f"**{plain(args.get('subject', ''))}**")
            st.markdown(plain(args.get("body", "")))
        elif "text" in args:
            st.markdown(plain(args["text"]))
            st.caption(f"{len(strip_citations(args['text']))} characters as published")
        else:
            st.markdown(plain(item.get("text") or args))
        if strip_citations(text) != text:
            st.caption(
                ":material/format_quote: Marks like [1] point to the evidence below; "
                "they are removed before it goes out."
            )


def render_evidence(item: dict[str, Any]) -> None:
    claims = distinct_claims(item.get("evidence") or [])
    n_unsupported = sum(1 for c in claims if not c["sources"])
    label = f"Claims and evidence ({len(claims)})"
    if n_unsupported:
        label += f" · {n_unsupported} without a source"
    with (
        st.expander(label, icon=":material/fact_check:"),
        st.container(height=EVIDENCE_HEIGHT if len(claims) > 3 else "content", border=False),
    ):
        if not claims:
            st.caption("The draft makes no factual claims.")
        for entry in claims:
            st.markdown(f"**{plain(entry['claim'])}**")
            if not entry["sources"]:
                st.warning(
                    "No source supports this claim. Check it before approving.",
                    icon=":material/warning:",
                )
            for source in entry["sources"]:
                st.markdown(f"> {plain(source['quote'])}")
                st.caption(f":material/description: {source['source']} › {source['location']}")


def render_panel(item: dict[str, Any], panel: str) -> None:
    item_id, title = item["id"], item["title"] or item["action"]
    if panel == "edit":
        fields = list(item["args"])
        with st.form(f"edit-form-{item_id}", border=False):
            st.markdown("**Edit, then approve** — the edited version is what goes out.")
            for name in fields:
                value = str(item["args"].get(name, ""))
                label = name.capitalize()
                if name in LONG_FIELDS or len(value) > 80:
                    st.text_area(label, value=value, key=f"edit-{name}-{item_id}", height=180)
                else:
                    st.text_input(label, value=value, key=f"edit-{name}-{item_id}")
            st.form_submit_button(
                "Approve with my edits",
                type="primary",
                icon=":material/send:",
                key=f"edit-save-{item_id}",
                on_click=_edit,
                args=(item_id, title, fields),
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
                args=(item_id, title),
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
                args=(item_id, title),
            )


def render_card(item: dict[str, Any], products: dict[str, str]) -> None:
    item_id = item["id"]
    title = item["title"] or item["action"]
    allowed = item["allowed_decisions"]
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
        product = products.get(item["thread_id"], "Campaign")
        st.page_link(
            PAGE_CAMPAIGN,
            label=f"{product} · campaign {short_id(item['thread_id'])} · proposed {when(item['created_at'])}",
            icon=":material/link:",
            query_params={"thread": item["thread_id"]},
        )

        left, right = st.columns([3, 2], gap="large")
        with left:
            render_preview(item)
            render_evidence(item)
        with right:
            confidence = float(item.get("confidence") or 0)
            st.progress(
                min(max(confidence, 0.0), 1.0), text=f"Writer's confidence: **{confidence:.0%}**"
            )
            st.markdown("**Why it waits for you**")
            st.markdown("\n".join(f"- {plain(r)}" for r in item["reasons"]))
            for claim in dict.fromkeys(item.get("unsupported_claims") or []):
                st.warning(f"No source for: {plain(claim)}", icon=":material/warning:")
            if item.get("feedback"):
                st.caption(
                    "Your earlier feedback: " + " · ".join(plain(f) for f in item["feedback"])
                )

        panel = st.session_state.get(f"panel-{item_id}")
        with st.container(horizontal=True):
            st.button(
                "Approve",
                key=f"approve-{item_id}",
                type="primary",
                icon=":material/check:",
                on_click=_approve,
                args=(item_id, title),
                disabled="approve" not in allowed,
                help=None
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
        if panel:
            render_panel(item, panel)


# -- the page ---------------------------------------------------------------------------------
st.title("Inbox")
show_flash()
apply_queued()

pending = runtime.pending()
campaigns = runtime.campaigns()
products = {c["thread_id"]: c["brief"].get("product", "Campaign") for c in campaigns}

if not pending:
    with st.container(border=True, key="inbox-empty"):
        st.markdown("### :material/inbox: Nothing is waiting for you")
        st.markdown(
            "When Signoff drafts an email or a post, it lands here for your sign-off. "
            "Start a campaign and the drafts will appear in about a minute."
        )
        st.page_link(PAGE_NEW, label="Start a new campaign", icon=":material/edit_square:")
else:
    n_threads = len({p["thread_id"] for p in pending})
    st.caption(
        f"{count(len(pending), 'action')} waiting for your sign-off in "
        f"{count(n_threads, 'campaign')}. Approve to send it, edit it first, send it back to "
        "the writer with feedback, or reject it."
    )
    for item in pending:
        render_card(item, products)
