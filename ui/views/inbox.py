"""Inbox: every action waiting for a person, over all campaigns, a page at a time.

Single drafts get a card each (ui/views/inbox_card.py); an audience batch is one group
(ui/views/inbox_batch.py): approve it all, a selection, or review a random sample and then
approve the rest. Clicks queue submissions that the page body applies
(ui/views/inbox_decide.py). Above the drafts: sends in doubt and failed actions
(ui/views/inbox_trouble.py).
"""

from __future__ import annotations

import streamlit as st

from ui import progress
from ui.components.item_link import focus
from ui.state import (
    PAGE_NEW,
    PAGE_SCHEDULED,
    count,
    reviewer,
    short_id,
    show_flash,
    signoff,
)
from ui.views import inbox_receipt as receipts
from ui.views import inbox_receipt_view as receipt_view
from ui.views import inbox_rows as rows
from ui.views.inbox_decide import _to_page, apply_outbox_queue, apply_queued
from ui.views.inbox_stopped import render_stopped
from ui.views.inbox_trouble import render_trouble

PER_PAGE = 20  # inbox entries (a draft, or a whole batch) per page
RISKS = ["low", "medium", "high"]
# "All" is an option of its own, never None: a selectbox whose value is None shows no selection
# ("Choose an option", and a clear button that leads there), not the option None stands for
ANY = ""

runtime = signoff()


# -- the page ---------------------------------------------------------------------------------
st.title("Inbox")
# Everything above the drafts that comes and goes (messages, the runs' progress, stopped
# campaigns, failed sends) sits in one container that every run draws, so the drafts below keep
# their places when it changes. The page redraws itself when a run ends (ui/progress.py): had
# the drafts moved up or down a place then, the browser would have replaced their buttons under
# a press, and the click was lost (no decision, nothing sent to the server: CI, twice).
with st.container(key="inbox-news", gap=None):
    # a decided card's receipt keeps the card's height; this element (no height) also keeps
    # this container on the page when it says nothing: an empty one is hidden, and one that
    # showed only while a click was applied moved the list by its gap (16 px, measured)
    receipt_view.keep_heights()
    progress.report_finished()  # what queued runs did, once they ended
    show_flash()
    apply_queued()
    apply_outbox_queue()
    receipt_view.apply_cancels()
    receipts.refresh()  # what became of the decided cards (their runs, holds, outcomes)
    # what workers are doing now, polled until each run ends (a receipt shows its own run)
    progress.open_runs(drawn_elsewhere=receipts.running_jobs())
    figures = runtime.counts()
    receipt_view.watch((figures["pending"], figures["holds"]))  # a card decided elsewhere: redrawn
    stopped = render_stopped()  # campaigns whose run stopped, with Retry
    render_trouble()

filters: dict[str, str | None] = {"campaign": None, "channel": None, "risk": None}
if figures["pending"] or receipts.any_kept():  # the filters stay while the list's receipts do
    campaigns = runtime.campaigns()
    labels = {
        c["thread_id"]: f"{c['brief'].get('product', 'Campaign')} · {short_id(c['thread_id'])}"
        for c in campaigns
    }
    channels = sorted({str(a.get("channel")) for a in runtime.autonomy() if a.get("channel")})
    with st.container(horizontal=True, key="inbox-filters"):
        filters["campaign"] = (
            st.selectbox(
                "Campaign",
                [ANY, *labels],
                format_func=lambda t: "All campaigns" if t == ANY else labels[t],
                key="inbox-filter-campaign",
                on_change=_to_page,
                args=(1,),
                width=320,
            )
            or None
        )
        filters["channel"] = (
            st.selectbox(
                "Channel",
                [ANY, *channels],
                format_func=lambda c: "All channels" if c == ANY else str(c).capitalize(),
                key="inbox-filter-channel",
                on_change=_to_page,
                args=(1,),
                width=200,
            )
            or None
        )
        filters["risk"] = (
            st.selectbox(
                "Risk",
                [ANY, *RISKS],
                format_func=lambda r: "Any risk" if r == ANY else f"{str(r).capitalize()} risk",
                key="inbox-filter-risk",
                on_change=_to_page,
                args=(1,),
                width=200,
            )
            or None
        )
        if not runtime.identity(reviewer())["local"]:  # with a team: roles decide who may
            mine = st.toggle(
                "Only what I can decide",
                key="inbox-filter-mine",
                on_change=_to_page,
                args=(1,),
            )
            filters["decider"] = reviewer() if mine else None
        rows.switch()
per_page = PER_PAGE
if str(st.query_params.get("per_page", "")).isdigit():  # a link may ask for another page size
    per_page = min(max(int(st.query_params["per_page"]), 1), 100)
view = runtime.inbox_page(
    int(st.session_state.get("inbox-page", 1)), per_page, person=reviewer(), **filters
)
# what the list is: read again when one of these changes, and only then its receipts go
sig = (*filters.values(), view["page"], per_page, st.query_params.get("item"))
if view["page"] > view["pages"] and not receipts.kept(sig):  # decided the last page's entries
    st.session_state["inbox-page"] = view["pages"]
    view = runtime.inbox_page(view["pages"], per_page, person=reviewer(), **filters)
    sig = (*filters.values(), view["page"], per_page, st.query_params.get("item"))
pending = focus(runtime, view["items"])  # a notification's link opens one item
products = view["products"]
entries = receipts.arrange(pending, sig)  # as shown before: a decided card is its receipt

if not entries and any(filters.values()):
    st.info("Nothing waiting matches these filters.", icon=":material/filter_alt_off:")
elif entries:
    st.caption(
        f"{count(view['pending'], 'action')} waiting for your sign-off. Approve each to send it, "
        "edit it first, send it back to the writer with feedback, or reject it."
        if view["pending"]
        else "Nothing else waits for your sign-off. What you decided stays here until you leave "
        "the page."
    )
    if rows.wanted():  # one line each, the open one beside them
        rows.render_rows(entries, products)
    else:
        for kind, entry in entries:
            rows.render_entry(kind, entry, products)
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
            st.caption(f"Page {view['page']} of {max(view['pages'], view['page'])}")
            st.button(
                "Next",
                key="inbox-next",
                icon=":material/chevron_right:",
                on_click=_to_page,
                args=(view["page"] + 1,),
                disabled=view["page"] >= view["pages"],
            )

if (
    not any(kind == "live" for kind, _ in entries)
    and not any(filters.values())
    and not (view["pending"])
):
    # nothing (else) waits: below what was decided, if anything, where it cannot move a card
    with st.container(border=True, key="inbox-empty"):
        writing = runtime.queue_status()["open"]  # runs queued or running (their progress above)
        st.markdown(
            "### :material/inbox: Nothing is waiting for you yet"
            if writing
            else "### :material/inbox: No drafts are waiting for you"
            if stopped
            else "### :material/inbox: Nothing is waiting for you"
        )
        st.markdown(
            "Signoff is still at work on your campaign (its progress is shown above): each "
            "draft lands here for your sign-off as soon as it is written and checked."
            if writing
            else "The campaign that stopped (above) drafts again once you retry it; its drafts "
            "land here for your sign-off."
            if stopped
            else "When Signoff drafts an email or a post, it lands here for your sign-off. "
            "Start a campaign and the drafts will appear in about a minute."
        )
        with st.container(horizontal=True):
            st.page_link(PAGE_NEW, label="Start a new campaign", icon=":material/edit_square:")
            st.page_link(PAGE_SCHEDULED, label="Scheduled", icon=":material/schedule:")
