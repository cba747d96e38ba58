"""Signoff's Streamlit app: `signoff ui` / `make run` (ui/serve.py, which also checks the Host).

Local mode (no [auth] in .streamlit/secrets.toml) serves loopback only and records the
operating-system user; with [auth], nothing but the sign-in page is served until a person signs
in with a verified email (ui/auth.py).

Pages drawn from the runtime facade (`graphs.runtime.Signoff`): start a campaign, decide what
waits in the inbox, cancel or send what is scheduled, follow one campaign, review what happened
(activity, notifications, undo, the audit log) and how much each action type may do on its own
(autonomy, policy, simulation). The data directory is env SIGNOFF_HOME (default ./.signoff);
the server releases held actions itself unless SIGNOFF_SCHEDULER=off.
"""

from __future__ import annotations

import logging

import streamlit as st

from tools import redact
from ui.auth import auth_config, require_identity
from ui.components.model_state import model_line
from ui.state import (
    PAGE_ACTIVITY,
    PAGE_AUTONOMY,
    PAGE_CAMPAIGN,
    PAGE_INBOX,
    PAGE_KNOWLEDGE,
    PAGE_NEW,
    PAGE_SCHEDULED,
    home_path,
    scheduler_enabled,
    signoff,
)
from ui.views.inbox_receipt import forget as forget_receipts

if not logging.getLogger().handlers:  # the server's log shows what the agent does
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
redact.install()  # webhook paths, ?token= and credentials never reach the log

st.set_page_config(
    page_title="Signoff",
    page_icon=":material/task_alt:",
    layout="wide",
    menu_items={"About": "Signoff: the AI proposes, a person signs off."},
)

identity = require_identity()  # stops here with the sign-in page until someone signs in
st.session_state["identity"] = identity
with st.sidebar:  # drawn before the runtime opens (its first opening imports for seconds)
    st.markdown("### :material/task_alt: Signoff")
    st.caption("The AI proposes. You sign off.")
runtime = signoff()
figures = runtime.counts()  # COUNT queries on indexes: fast at 100,000 pending
waiting = figures["pending"]
held = figures["holds"]
unread = figures["notifications"]
trouble = figures["in_doubt"] + figures["failed"] + figures["stopped"]  # all in the Inbox


def counted(title: str, n: int) -> str:
    return f"{title} ({n})" if n else title


def home() -> None:
    """`/`: a first visit starts a campaign; after that, the inbox is home.

    A hidden page of its own, so that /new, /inbox and /campaign are always valid addresses
    (Streamlit serves the default page at `/` only).
    """
    st.switch_page(PAGE_INBOX if figures["any_campaign"] else PAGE_NEW)


pages = [
    st.Page(home, title="Signoff", url_path="home", default=True, visibility="hidden"),
    st.Page(PAGE_NEW, title="New campaign", icon=":material/edit_square:", url_path="new"),
    st.Page(
        PAGE_INBOX,
        title=counted("Inbox", waiting + trouble),
        icon=":material/inbox:",
        url_path="inbox",
    ),
    st.Page(
        PAGE_SCHEDULED,
        title=counted("Scheduled", held),
        icon=":material/schedule:",
        url_path="scheduled",
    ),
    st.Page(PAGE_CAMPAIGN, title="Campaign", icon=":material/monitoring:", url_path="campaign"),
    st.Page(
        PAGE_ACTIVITY,
        title=counted("Activity", unread),
        icon=":material/receipt_long:",
        url_path="activity",
    ),
    st.Page(PAGE_AUTONOMY, title="Autonomy", icon=":material/tune:", url_path="autonomy"),
    st.Page(PAGE_KNOWLEDGE, title="Knowledge", icon=":material/menu_book:", url_path="knowledge"),
    st.Page("views/settings.py", title="Settings", icon=":material/settings:", url_path="settings"),
    st.Page("views/brand.py", title="Brand", icon=":material/storefront:", url_path="brand"),
]
page = st.navigation(pages)
if page.url_path != "inbox":  # the Inbox's list is read afresh next time: its receipts go
    forget_receipts()

with st.sidebar:
    me = runtime.identity(identity)
    if me["local"] and auth_config() is not None:
        st.warning(
            f"Signed in as **{me['name']}**. The policy names no people, so everyone who signs "
            "in holds every role: list your team under `people` in the policy.",
            icon=":material/group:",
        )
    elif me["local"]:
        st.caption(
            f":material/person: **{me['name']}** · local mode: you hold every role",
            help="No people are configured in the policy: whoever runs Signoff decides everything.",
        )
    else:
        roles = ", ".join(r.replace("_", " ") for r in me["roles"]) or "no role: you can only look"
        st.caption(f":material/person: **{me['name']}** · {roles}")
    if auth_config() is not None:
        st.button("Sign out", icon=":material/logout:", on_click=st.logout, key="logout")
    model_line()  # ready / starting / down, from the machine's shared model server
    workers = len(runtime.workers())
    st.caption(
        f":material/engineering: Background workers: {workers}"
        if workers
        else ":material/engineering: Nothing is working in the background: new campaigns and "
        "decisions wait until it starts again",
        help=None
        if workers
        else "For whoever runs Signoff: `make run` (or `signoff worker`) "
        "starts a worker on this data directory.",
    )
    st.caption(  # for whoever runs the server: no paths or settings on the marketer's page
        ":material/dns: Server details",
        help=f"Data: `{home_path()}`  \nPolicy: {runtime.policy.version}  \n"
        + (
            "Scheduler: on (this server releases held actions)"
            if scheduler_enabled()
            else "Scheduler: off here (SIGNOFF_SCHEDULER=off); run `signoff worker`"
        ),
    )

page.run()
