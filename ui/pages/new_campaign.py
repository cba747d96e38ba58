"""New campaign: a brief in, drafts out to the inbox. Nothing is sent from here."""

from __future__ import annotations

import streamlit as st

from graphs.errors import InvalidInput, SignoffError
from graphs.runtime import DEFAULT_TO, validate_brief
from ui.state import (
    PAGE_CAMPAIGN,
    PAGE_INBOX,
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

runtime = signoff()

st.title("New campaign")
st.markdown(
    "Tell Signoff what you are promoting. It researches your knowledge base, drafts an **email** "
    "and a **social post** with their sources, and puts them in your **Inbox**. "
    "Nothing goes out until you approve it."
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
        help="The list or address the email goes to once you approve it.",
        placeholder=DEFAULT_TO,
    )
    submitted = st.form_submit_button(
        "Start campaign", type="primary", icon=":material/play_arrow:", key="start"
    )

if submitted:
    brief = {name: st.session_state.get(name, "") for name in ("product", "audience", "goal", "to")}
    try:
        validate_brief(brief)  # bad input: say so before showing any progress
        run_with_progress(
            "Researching and drafting…",
            lambda feed: runtime.start(brief, on_progress=feed, by=reviewer()),
            done_label=lambda r: (
                f"Drafted {len(r['pending'])} action(s) for your sign-off"
                if r["pending"]
                else "Campaign finished"
            ),
            then=lambda r: st.session_state.__setitem__("last_thread", r["thread_id"]),
        )
    except InvalidInput as err:
        st.error(str(err), icon=":material/edit_note:")
    except SignoffError as err:
        st.error(str(err))
    except Exception as err:  # the model or a connector failed: say so, keep the page alive
        st.error(
            f"The campaign stopped with an error: {err}. It is saved with the status "
            "'Needs attention'; check the model settings and start again."
        )

# Drawn from persisted state: the last campaign started in this browser session, if any.
last = st.session_state.get("last_thread")
if last:
    try:
        summary = runtime.summary(last)
    except SignoffError:
        summary = None
    if summary:
        with st.container(border=True, key="started"):
            n = len(summary["pending"])
            st.markdown(f"**Campaign {short_id(last)}** · {n} action(s) waiting for your sign-off")
            status_badge(summary["status"])
            cols = st.columns(2)
            with cols[0]:
                st.page_link(
                    PAGE_INBOX, label="Review in the Inbox", icon=":material/inbox:", width="stretch"
                )
            with cols[1]:
                st.page_link(
                    PAGE_CAMPAIGN,
                    label="Open the campaign",
                    icon=":material/monitoring:",
                    query_params={"thread": last},
                    width="stretch",
                )
