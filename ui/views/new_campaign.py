"""New campaign: a brief in, drafts out to the inbox. Nothing is sent from here."""

from __future__ import annotations

import streamlit as st

from graphs.errors import InvalidInput, RunStopped, SignoffError
from graphs.runtime import DEFAULT_TO, validate_brief
from ui.state import (
    PAGE_CAMPAIGN,
    PAGE_INBOX,
    count,
    reviewer,
    run_with_progress,
    short_id,
    signoff,
    status_badge,
)

EXAMPLE = {
    "product": "Brightloop 2 smart thermostat",
    "audience": "Homeowners with high heating bills",
    "goal": "Pre-orders before winter",
}
STEPS = [
    (
        ":material/travel_explore:",
        "Research",
        "reads your knowledge base and keeps the passages it uses as evidence.",
    ),
    (":material/edit_note:", "Draft", "writes an email and a social post, citing that evidence."),
    (
        ":material/how_to_reg:",
        "You sign off",
        "each draft waits in your Inbox: approve, edit, send back or reject.",
    ),
    (":material/send:", "Publish", "only what you approved goes out, exactly once."),
]

runtime = signoff()

st.title("New campaign")

form_col, help_col = st.columns([3, 2], gap="large")

with help_col, st.container(border=True):
    st.markdown("**How it works**")
    for icon, name, text in STEPS:
        st.markdown(f"{icon} **{name}** — {text}")
    st.caption(
        "The example brief is filled in: press **Start campaign** to try it on the sample "
        "knowledge base (the Brightloop 2 smart thermostat)."
    )

with form_col:
    st.markdown(
        "Tell Signoff what you are promoting and to whom. Nothing goes out until you approve it."
    )
    with st.form("brief", border=True):
        st.text_input(
            "Product",
            value=EXAMPLE["product"],
            key="product",
            help="What is being marketed.",
            placeholder=EXAMPLE["product"],
        )
        st.text_input(
            "Audience",
            value=EXAMPLE["audience"],
            key="audience",
            help="Who the campaign speaks to.",
            placeholder=EXAMPLE["audience"],
        )
        st.text_input(
            "Goal",
            value=EXAMPLE["goal"],
            key="goal",
            help="What the campaign should achieve.",
            placeholder=EXAMPLE["goal"],
        )
        st.text_input(
            "Send the email to",
            value=DEFAULT_TO,
            key="to",
            help="The list or address the email goes to, once you approve it.",
            placeholder=DEFAULT_TO,
        )
        submitted = st.form_submit_button(
            "Start campaign", type="primary", icon=":material/play_arrow:", key="start"
        )

    if submitted:
        fields = ("product", "audience", "goal", "to")
        brief = {name: st.session_state.get(name, "") for name in fields}
        try:
            validate_brief(brief)  # bad input: say so before showing any progress
            run_with_progress(
                "Researching and drafting…",
                lambda feed: runtime.start(brief, on_progress=feed, by=reviewer()),
                done_label=lambda r: (
                    f"Drafted {count(len(r['pending']), 'action')} for your sign-off"
                    if r["pending"]
                    else "Campaign finished"
                ),
                then=lambda r: st.session_state.__setitem__("last_thread", r["thread_id"]),
            )
        except InvalidInput as err:
            st.error(str(err), icon=":material/edit_note:")
        except RunStopped as err:  # the model or a connector failed: say so, keep the page alive
            st.error(
                f"The campaign stopped with an error: {str(err.__cause__).rstrip('.')}. It is saved "
                "as 'Needs attention': check the model settings, then retry it from its page."
            )
            st.page_link(
                PAGE_CAMPAIGN,
                label="Open the campaign to retry",
                icon=":material/refresh:",
                query_params={"thread": err.thread_id},
            )
        except SignoffError as err:
            st.error(str(err))

    # Drawn from persisted state: the last campaign started in this browser session, if any.
    last = st.session_state.get("last_thread")
    summary = None
    if last:
        try:
            summary = runtime.summary(last)
        except SignoffError:
            summary = None
    if last and summary:
        with st.container(border=True, key="started"):
            head, badge = st.columns([3, 1], vertical_alignment="center")
            n = len(summary["pending"])
            head.markdown(
                f"**Campaign {short_id(last)}** · {count(n, 'action')} waiting for your sign-off"
                if n
                else f"**Campaign {short_id(last)}**"
            )
            with badge, st.container(horizontal=True, horizontal_alignment="right"):
                status_badge(summary["status"])
            with st.container(horizontal=True):
                st.page_link(PAGE_INBOX, label="Review in the Inbox", icon=":material/inbox:")
                st.page_link(
                    PAGE_CAMPAIGN,
                    label="Open the campaign",
                    icon=":material/monitoring:",
                    query_params={"thread": last},
                )
