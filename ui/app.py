"""Signoff's Streamlit app: `uv run streamlit run ui/app.py`.

Three pages, drawn from the runtime facade (`graphs.runtime.Signoff`): start a campaign, decide
what waits in the inbox, look at one campaign. The data directory is env SIGNOFF_HOME
(default ./.signoff).
"""

from __future__ import annotations

import streamlit as st

from ui.state import (
    DEFAULT_REVIEWER,
    PAGE_CAMPAIGN,
    PAGE_INBOX,
    PAGE_NEW,
    home_path,
    signoff,
)

st.set_page_config(
    page_title="Signoff",
    page_icon=":material/task_alt:",
    layout="wide",
    menu_items={"About": "Signoff: the AI proposes, a person signs off."},
)

runtime = signoff()
waiting = len(runtime.pending())
has_campaigns = bool(runtime.campaigns())

pages = [
    st.Page(
        PAGE_NEW,
        title="New campaign",
        icon=":material/edit_square:",
        url_path="new",
        default=not has_campaigns,
    ),
    st.Page(
        PAGE_INBOX,
        title=f"Inbox ({waiting})" if waiting else "Inbox",
        icon=":material/inbox:",
        url_path="inbox",
        default=has_campaigns,
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

page.run()
