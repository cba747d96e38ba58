"""One card of the Inbox: the draft as it will go out, its claims and checks, and its
decisions (approve, edit, send back, reject)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from tools.base import strip_citations
from ui.components.authority import render_authority
from ui.components.campaign_link import campaign_link
from ui.components.claims import claim_quotes, render_claims
from ui.components.preview import edit_fields, render_draft, render_sentence_checks
from ui.state import (
    ACTION_ICONS,
    RISK_COLORS,
    count,
    duration,
    expires_in,
    plain,
    when,
)
from ui.views.inbox_decide import (
    REASON_NEEDED,
    REJECT_REASONS,
    _approve,
    _draft_checks,
    _edit,
    _flagged_sentences,
    _reject,
    _revise,
    _title,
    _toggle_panel,
    needs_check,
    post_limit,
    title_case,
)

LONG_FIELDS = {"body", "text"}
PREVIEW_HEIGHT = 380


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
            cols[0].selectbox(
                "Reason",
                REJECT_REASONS,
                index=None,
                placeholder="Pick a reason",
                key=f"reject-reason-{item_id}",
            )
            cols[1].text_input(
                "Comment (optional)", key=f"reject-comment-{item_id}", placeholder="What was wrong?"
            )
            if st.session_state.get(f"reject-unpicked-{item_id}"):
                st.warning(REASON_NEEDED, icon=":material/arrow_upward:")
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
        campaign_link(
            item["thread_id"],
            products.get(item["thread_id"], "Campaign"),
            f"proposed {when(item['created_at'])}",
        )

        left, right = st.columns([3, 2], gap="large")
        item["sentence_checks"] = _draft_checks(item, item["args"])
        with left:
            render_draft(item, limit=post_limit())
            render_sentence_checks(item["sentence_checks"], key=item_id, quotes=claim_quotes(item))
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
            reasons = [  # the hold is said once, below
                r for r in item["reasons"] if not (item.get("hold_seconds") and _is_hold(r))
            ]
            st.markdown("\n".join(f"- {plain(r)}" for r in reasons))
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
            flagged = bool(unsupported) or any(
                c.get("status") not in ("supported", "attributed", "no_facts")
                for c in item["sentence_checks"]
            )
            render_ai_review(item, flagged=flagged)

        render_authority(item)
        render_decision_buttons(item)
        panel = st.session_state.get(f"panel-{item_id}")
        if panel:
            render_panel(item, panel)


def _is_hold(reason: str) -> bool:
    """The routing's 'Once it may go, it is held 300 s…' (the card says it in minutes)."""
    return reason.startswith("Once it may go, it is held")


def render_ai_review(item: dict[str, Any], *, flagged: bool = False) -> None:
    """What the AI review left for the person and why, and what a redraft changed. `flagged`:
    the card shows sentences or claims to check (the review never says "nothing left" then)."""
    rounds = int(item.get("review_rounds") or 0)
    # each warning once: unsupported sentences are shown with the facts, another script with
    # why the draft is here (the routing's reason)
    notes = [
        n
        for n in item.get("review_notes") or []
        if not n.startswith(("Not in the facts", "Written partly in"))
    ]
    if rounds > 1 or notes:
        st.markdown(
            f"**AI review** ({count(rounds, 'round')}): "
            + (
                "left for you:"
                if notes
                else "the flagged sentences are left for you to check."
                if flagged
                else "nothing left to fix."
            )
        )
        if notes:
            st.markdown("\n".join(f"- {plain(n)}" for n in notes))
    if item.get("changes"):
        with st.expander("What changed against the previous draft", icon=":material/difference:"):
            st.code(item["changes"], language="diff")
