"""Signoff's Streamlit app: `uv run streamlit run ui/app.py`.

Three pages, drawn from the runtime facade (`graphs.runtime.Signoff`): start a campaign, decide
what waits in the inbox, look at one campaign. The data directory is env SIGNOFF_HOME
(default ./.signoff).
"""

from __future__ import annotations

import logging

import streamlit as st

from ui.state import (
    DEFAULT_REVIEWER,
    PAGE_CAMPAIGN,
    PAGE_INBOX,
    PAGE_NEW,
    home_path,
    signoff,
)

if not logging.getLogger().handlers:  # the server's log shows what the agent does
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

st.set_page_config(
    page_title="Signoff",
    page_icon=":material/task_alt:",
    layout="wide",
    menu_items={"About": "Signoff: the AI proposes, a person signs off."},
)

runtime = signoff()
waiting = len(runtime.pending())


def home() -> None:
    """`/`: a first visit starts a campaign; after that, the inbox is home.

    A hidden page of its own, so that /new, /inbox and /campaign are always valid addresses
    (Streamlit serves the default page at `/` only).
    """
    st.switch_page(PAGE_INBOX if runtime.campaigns() else PAGE_NEW)


pages = [
    st.Page(home, title="Signoff", url_path="home", default=True, visibility="hidden"),
    st.Page(PAGE_NEW, title="New campaign", icon=":material/edit_square:", url_path="new"),
    st.Page(
        PAGE_INBOX,
        title=f"Inbox ({waiting})" if waiting else "Inbox",
        icon=":material/inbox:",
        url_path="inbox",
    ),
    st.Page(PAGE_CAMPAIGN, title="Campaign", icon=":material/monitoring:", url_path="campaign"),
]
page = st.navigation(pages)

with st.sidebar:
    st.markdown("### :material/task_alt: Signoff")
    st.caption("The AI proposes. You sign off.")
    st.text_input(
        "Reviewing as",
        value=DEFAULT_REVIEWER,
        key="reviewer",
        help="Your name is recorded with every decision you make.",
    )
    st.caption(f"Data: `{home_path()}`")
    st.caption(f"Model: {runtime.model_description()}")

page.run()
