"""New campaign: a brief in, drafts out to the inbox. Nothing is sent from here.

Optional: an audience list (CSV with an `email` column: one email per recipient, reviewed as a
batch), the channels to use, an ad budget, and posts to like / accounts to follow ("engage").
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from graphs.brief import DEFAULT_TO
from graphs.channels import REGISTRY
from graphs.errors import InvalidInput, SignoffError
from graphs.runtime import parse_audience_csv, validate_brief
from ui import progress
from ui.state import (
    PAGE_CAMPAIGN,
    PAGE_INBOX,
    count,
    reviewer,
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
    (
        ":material/edit_note:",
        "Draft",
        "writes one draft for each channel you pick (an email, a social post, a web page, an "
        "ad spend), citing that evidence.",
    ),
    (
        ":material/how_to_reg:",
        "You sign off",
        "each draft waits in your Inbox: approve, edit, send back or reject.",
    ),
    (":material/send:", "Publish", "only what you approved goes out, exactly once."),
]

CHANNELS = {
    "email": "Email",
    "social": "Social post",
    "cms": "Landing page",
    "ads": "Ads",
}
CHANNELS.update(  # and every channel registered under graphs/channels/ (e.g. LinkedIn)
    {c.key: c.label[:1].upper() + c.label[1:] for c in REGISTRY.values() if c.key not in CHANNELS}
)
PREVIEW_ROWS = 5

runtime = signoff()


def read_audience() -> tuple[list[dict[str, str]] | None, str | None]:
    """(contacts, None), (None, error message), or (None, None) when no file was uploaded."""
    upload = st.session_state.get("audience-file")
    if upload is None:
        return None, None
    try:
        text = bytes(upload.getvalue()).decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, (
            f"{upload.name} is not UTF-8 text. Save it as 'CSV UTF-8' and upload it again; "
            "nothing was started."
        )
    try:
        return parse_audience_csv(text), None
    except InvalidInput as err:
        return None, f"{upload.name}: {err}"


def brief_from_form() -> dict[str, Any]:
    fields = ("product", "audience", "goal", "to")
    brief: dict[str, Any] = {name: st.session_state.get(name, "") for name in fields}
    channels = list(st.session_state.get("channels") or [])
    if channels and channels != ["email", "social"]:
        brief["channels"] = channels
    budget = float(st.session_state.get("ad_budget") or 0)
    if budget > 0:
        brief["ad_budget"] = budget
    engage = [
        line.strip()
        for line in str(st.session_state.get("engage") or "").splitlines()
        if line.strip()
    ]
    if engage:
        brief["engage"] = engage
    for name in ("offer", "link", "tone"):
        value = str(st.session_state.get(name) or "").strip()
        if value:
            brief[name] = value
    return brief


def ad_currency() -> str:
    """The currency the policy spends ads in ("EUR"), or "" when it sets none."""
    policy = signoff().policy
    if "spend_ads" not in policy.actions:
        return ""
    return str(policy.action("spend_ads").limits.get("currency") or "")


def budget_problem(brief: dict[str, Any]) -> str | None:
    """The policy's hard caps on ad spend, checked in the form (not only in the inbox)."""
    amount = float(brief.get("ad_budget") or 0)
    if "ads" not in (brief.get("channels") or []) or amount <= 0:
        return None
    policy = signoff().policy
    if "spend_ads" not in policy.actions:
        return None
    limits = policy.action("spend_ads").limits
    currency = limits.get("currency", "")
    for key, what in (("budget_per_campaign", "per campaign"), ("budget_per_day", "per day")):
        cap = limits.get(key)
        if cap is not None and amount > float(cap):
            return (
                f"The ad budget {amount:,.2f} {currency} is over the policy's limit of "
                f"{float(cap):,.2f} {currency} {what}. Lower it to {float(cap):,.2f} or less."
            )
    return None


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
    with st.container(border=True, key="audience-list"):
        st.markdown("**Audience list** (optional)")
        st.file_uploader(
            "A CSV with an `email` column (and optionally name, company, …)",
            type=["csv"],
            key="audience-file",
            help="Each recipient gets an email of their own; you review them together as a "
            "batch in the Inbox.",
        )
        contacts, audience_error = read_audience()
        if audience_error:
            st.error(audience_error, icon=":material/table_rows:")
        elif contacts is not None:
            st.caption(
                f"{count(len(contacts), 'recipient')}"
                + (f"; the first {PREVIEW_ROWS}:" if len(contacts) > PREVIEW_ROWS else ":")
            )
            st.dataframe(
                contacts[:PREVIEW_ROWS], hide_index=True, width="stretch", key="audience-preview"
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
            help="The list or address the email goes to, once you approve it. With an audience "
            "list above, each recipient gets an email of their own instead.",
            placeholder=DEFAULT_TO,
            disabled=contacts is not None,  # the audience list says who gets it
        )
        if contacts is not None:
            st.caption(
                f":material/group: Each of the {count(len(contacts), 'recipient')} of your "
                "audience list gets an email of their own, reviewed together in the Inbox."
            )
        with st.expander("Offer, link and tone", icon=":material/sell:"):
            st.text_input(
                "Offer",
                key="offer",
                placeholder="e.g. €59 until 31 May with the code SPRING",
                help="The drafts must carry it word for word; the AI review checks they do.",
            )
            st.text_input(
                "Link",
                key="link",
                placeholder="https://example.com/offer",
                help="Where the copy sends people. It is added to every draft, never written "
                "by the model.",
            )
            st.text_input(
                "Tone", key="tone", placeholder="e.g. playful", help="Default: the brand's tone."
            )
        with st.expander("Channels, ad budget and engagement", icon=":material/tune:"):
            st.multiselect(
                "Channels",
                list(CHANNELS),
                default=["email", "social"],
                format_func=CHANNELS.__getitem__,
                key="channels",
                help="What the writer drafts. Ads need a budget.",
            )
            st.number_input(
                f"Ad budget ({currency})" if (currency := ad_currency()) else "Ad budget",
                min_value=0.0,
                value=0.0,
                step=50.0,
                key="ad_budget",
                help="For the Ads channel: the most this campaign may spend. The policy's daily "
                "and per-campaign limits still apply.",
            )
            st.text_area(
                "Engage (optional)",
                key="engage",
                placeholder="https://social.example/@someone/1234\n@brightloop_fans",
                help="One per line: a post URL to like, or an @handle to follow. Low-risk and "
                "reversible: they run and are logged (you can undo them on the Activity page).",
                height=100,
            )
        submitted = st.form_submit_button(
            "Start campaign", type="primary", icon=":material/play_arrow:", key="start"
        )

    if submitted:
        brief = brief_from_form()
        try:
            if "ads" in brief.get("channels", []) and not brief.get("ad_budget"):
                raise InvalidInput(
                    "Ads need a budget: enter the most this campaign may spend in Ad budget, "
                    "or take Ads out of Channels."
                )
            validate_brief(brief)  # bad input: say so before showing any progress
            over = budget_problem(brief)
            if over:
                raise InvalidInput(over)
            if audience_error:
                raise InvalidInput(audience_error)
            extra: dict[str, Any] = {"audience": contacts} if contacts is not None else {}
            # Recorded and queued at once: a worker researches and drafts (ui/progress.py).
            started = runtime.start(brief, by=reviewer(), **extra)
            st.session_state["last_thread"] = started["thread_id"]
        except InvalidInput as err:
            st.error(str(err), icon=":material/edit_note:")
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
        live = progress.campaign_run(last)  # the worker's progress while it drafts
        with st.container(border=True, key="started"):
            head, badge = st.columns([3, 1], vertical_alignment="center")
            n = len(summary["pending"])
            head.markdown(
                f"**Campaign {short_id(last)}** · {count(n, 'action')} waiting for your sign-off"
                if n
                else f"**Campaign {short_id(last)}** · being drafted in the background; the "
                "drafts appear in the Inbox"
                if live
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
