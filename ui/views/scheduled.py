"""Scheduled: approved actions waiting out their hold window, each with a live countdown.

Cancel stops one for good; Send now sends it at once. The scheduler (the app's server, or
`signoff worker`) releases the rest when their time comes. The holds are read once per page run;
each countdown is a fragment that redraws every second from the release time already on the
page (no query), and a watcher asks every few seconds for the number of held actions (one COUNT)
and redraws the page when it changed. A click only queues the request (in a widget callback);
the page body applies it through the facade, which decides once: if the scheduler got there
first, the page says so.
"""

from __future__ import annotations

import re
import time
from typing import Any

import streamlit as st

from graphs.errors import AlreadyDecided, Busy, NotFound, SignoffError
from ui import progress
from ui.clicks import apply_each, done, queue
from ui.components.campaign_link import campaign_link
from ui.state import (
    ACTION_ICONS,
    PAGE_INBOX,
    clock,
    count,
    duration,
    flash,
    plain,
    reviewer,
    scheduler_enabled,
    show_flash,
    signoff,
)
from ui.views.scheduled_contacts import render_contacts, take_out

runtime = signoff()


STOPPED_HELP = (
    "This server's scheduler is off (SIGNOFF_SCHEDULER=off) and no `signoff worker` is "
    "running on this data directory: start one, or unset SIGNOFF_SCHEDULER."
)


def releasing() -> bool:
    """Is anything releasing held actions: this server's scheduler, or a running worker?"""
    return scheduler_enabled() or bool(runtime.workers())


def _queue(hold: dict[str, Any], verb: str) -> None:
    queue(
        "hold-queue",
        {
            "id": hold["id"],
            "title": hold.get("title") or hold["action"],
            "verb": verb,
            "by": reviewer(),
        },
    )


PAST = {"release": "released", "cancel": "cancelled", "send_now": "sent"}


def _too_late(err: AlreadyDecided, title: str, verb: str) -> str:
    """'Too late to cancel Send email: the scheduler released it at 14:05:09 UTC. …'"""
    what = {"cancel": "cancel", "send_now": "send"}[verb]
    done = PAST.get(err.decision, str(err.decision).replace("_", " "))
    who = "the scheduler" if err.by == "scheduler" else err.by
    gone = " It has gone out." if err.decision in ("release", "send_now") else ""
    return (
        f"Too late to {what} {title}: {who} {done} it at {clock(err.at)}.{gone} "
        "Nothing was changed."
    )


def _went_out(summary: dict[str, Any], hold: dict[str, Any]) -> str:
    """Where the released action went, read back from the campaign."""
    try:
        campaign = runtime.campaign(summary.get("thread_id") or hold["thread_id"])
    except SignoffError:
        return ""
    for outcome in campaign.get("outcomes", []):
        if outcome.get("action_id") != hold["action_id"]:
            continue
        if outcome.get("status") != "executed":
            return f" It did not go out: {outcome.get('status', '').replace('_', ' ')}."
        transport = (outcome.get("detail") or {}).get("transport")
        if transport == "maildir":
            return " Delivered to the Maildir outbox."
        if transport == "feed":
            return " Posted to the feed."
    return ""


def apply_queued(holds: dict[str, dict[str, Any]]) -> None:
    """Apply the clicks queued since the last run, then redraw the whole page."""
    if apply_each("hold-queue", lambda q: _apply_one(q, holds)):
        st.rerun()


def _apply_one(q: dict[str, Any], holds: dict[str, dict[str, Any]]) -> None:
    """One queued Cancel, Send now or Take out; what happened goes to the next run's messages."""
    hold = holds.get(q["id"], {"id": q["id"], "thread_id": "", "action_id": ""})
    title = q["title"]
    try:
        if q["verb"] == "take_out":  # one contact out of an audience's hold
            take_out(runtime, q)
        elif q.get("ids"):  # a whole group: one submission, one run per campaign
            _apply_group(q)
        elif q["verb"] == "cancel":
            summary = runtime.cancel(q["id"], by=q["by"])
            said = f"Cancelled — {title} will not go out."
            flash("success" if "job" not in summary else "info", said)
            progress.when_done(  # said again once the worker recorded it
                [summary["job"]] if "job" in summary else [],
                lambda: ("success", said),
            )
        else:
            with st.spinner(f"Sending {title} now…"):
                summary = runtime.send_now(q["id"], by=q["by"])
                done("hold-queue", q)  # sent: a run stopped from here on must not lose it
            if "job" in summary:  # a worker sends it; said once it went out
                flash("info", f"Sending now — {title} goes out in a moment.")
                progress.when_done(
                    [summary["job"]],
                    lambda: ("success", f"Sent now — {title} went out." + _went_out(summary, hold)),
                )
            else:
                flash("success", f"Sent now — {title} went out." + _went_out(summary, hold))
    except AlreadyDecided as err:
        flash("warning", _too_late(err, title, q["verb"]))
    except NotFound as err:
        flash("warning", f"{title}: {err}")
    except Busy as err:
        flash("warning", f"{title}: {err} Try again in a moment.")
    except SignoffError as err:
        flash("error", str(err))
    except Exception as err:  # a connector failed on send-now
        flash("error", f"{title} could not be sent: {err}. See the Inbox for failed actions.")


def _queue_group(group: list[dict[str, Any]], verb: str) -> None:
    queue(
        "hold-queue",
        {
            "id": group[0]["id"],
            "ids": [h["id"] for h in group],
            "title": _group_title(group),
            "verb": verb,
            "by": reviewer(),
        },
    )


def _group_title(group: list[dict[str, Any]]) -> str:
    noun = {"send_email": "email", "publish_post": "post"}.get(group[0]["action"], "action")
    return count(len(group), noun)


def _apply_group(q: dict[str, Any]) -> None:
    """Cancel or send now every hold of a group in one submission (`decide_many`)."""
    title = q["title"]
    with st.spinner(f"{'Cancelling' if q['verb'] == 'cancel' else 'Sending'} {title}…"):
        summaries = runtime.decide_many({i: {"type": q["verb"]} for i in q["ids"]}, by=q["by"])
        done("hold-queue", q)  # recorded: a run stopped from here on must not lose it
    jobs = [int(s["job"]) for s in summaries if "job" in s]
    if q["verb"] == "cancel":
        said = f"Cancelled — {title} will not go out."
        flash("info" if jobs else "success", said)
        progress.when_done(jobs, lambda: ("success", said))
        return
    flash("info" if jobs else "success", f"Sending now — {title} go out in a moment.")
    progress.when_done(jobs, lambda: ("success", f"Sent now — {title} went out."))


GROUP_ROWS = 50  # the holds of a group listed one by one (an audience may be thousands)


def groups(holds: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Holds of one action type in one campaign together (an audience's emails), soonest first."""
    together: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for hold in sorted(holds, key=lambda h: h["release_at"]):
        together.setdefault((hold["thread_id"], hold["action"]), []).append(hold)
    return sorted(together.values(), key=lambda g: g[0]["release_at"])


def render_group(group: list[dict[str, Any]], now: float, products: dict[str, str]) -> None:
    """Several held actions of one campaign (an audience's emails): one card, one countdown,
    Cancel all / Send all now, and each one listed (the first GROUP_ROWS) with its own Cancel."""
    first, n = group[0], len(group)
    title = first.get("title") or first["action"]
    with st.container(border=True, key=f"hold-group-{first['id']}"):
        info, timer = st.columns([3, 1], vertical_alignment="center")
        with info:
            icon = ACTION_ICONS.get(first["action"], ":material/bolt:")
            st.markdown(f"**{icon} {plain(title)} × {n}**")
            approvers = sorted({str(h.get("approved_by") or "?") for h in group})
            approved_link(first["thread_id"], products, ", ".join(approvers))
            to = [str((h.get("args") or {}).get("to") or "") for h in group]
            shown = ", ".join(t for t in to[:3] if t)
            more = f" and {n - 3} more" if n > 3 else ""
            if shown:
                st.caption(f"**To** {plain(shown)}{more}")
        with timer:
            last = float(group[-1]["release_at"])
            countdown(
                float(first["release_at"]),
                f"The first at {clock(first['release_at'])}, the last at {clock(last)}",
            )
        with st.container(horizontal=True):
            st.button(
                f"Cancel all {n}",
                key=f"cancel-group-{first['id']}",
                icon=":material/cancel:",
                on_click=_queue_group,
                args=(group, "cancel"),
                help="None of them goes out. Recorded in the audit log.",
            )
            st.button(
                f"Send all {n} now",
                key=f"send-group-{first['id']}",
                icon=":material/send:",
                type="primary",
                on_click=_queue_group,
                args=(group, "send_now"),
                help="Send them now instead of at their release time.",
            )
        with st.expander(f"Each of the {n}", icon=":material/list:"):
            for hold in group[:GROUP_ROWS]:
                args = hold.get("args") or {}
                row, button = st.columns([4, 1], vertical_alignment="center")
                row.caption(
                    f"**To** {plain(args.get('to', ''))} · **Subject** "
                    f"{plain(args.get('subject', ''))}"
                    if hold["action"] == "send_email"
                    else plain(hold.get("text") or args.get("text") or title)
                )
                button.button(
                    "Cancel",
                    key=f"cancel-{hold['id']}",
                    icon=":material/cancel:",
                    on_click=_queue,
                    args=(hold, "cancel"),
                )
            if n > GROUP_ROWS:
                st.caption(f"…and {n - GROUP_ROWS} more, cancelled or sent with the buttons above.")


_COUNTED = re.compile(r" × [\d,]+$")


def sends(hold: dict[str, Any]) -> int:
    """How many sends a held action still makes: an audience's contacts not taken out, else 1
    (the Inbox counts an approved audience so: "3 actions scheduled")."""
    audience = hold.get("batch_size")
    if not audience:
        return 1
    return max(int(audience) - int(hold.get("taken_out") or 0), 0)


def render_hold(hold: dict[str, Any], now: float, products: dict[str, str]) -> None:
    hold_id = hold["id"]
    title = hold.get("title") or hold["action"]
    left = max(float(hold["release_at"]) - now, 0.0)
    args = hold.get("args") or {}
    audience = hold.get("batch_size")
    taken = int(hold.get("taken_out") or 0)
    going = sends(hold)  # an audience's contacts still scheduled
    if audience:  # "Send email × 3" was the batch when approved: say how many go now
        title = _COUNTED.sub("", str(title)) + (f" × {going:,}" if going > 1 else "")
    with st.container(border=True, key=f"hold-{hold_id}"):
        info, timer = st.columns([3, 1], vertical_alignment="center")
        with info:
            st.markdown(f"**{ACTION_ICONS.get(hold['action'], ':material/bolt:')} {plain(title)}**")
            approved_link(hold["thread_id"], products, str(hold.get("approved_by") or "?"))
            if hold["action"] == "send_email":
                to = (
                    f"{count(going, 'contact')} of your audience list"
                    + (", each their own email" if going > 1 else "")
                    + (f" ({taken} taken out)" if taken else "")
                    if audience
                    else plain(args.get("to", ""))
                )
                st.caption(f"**To** {to} · **Subject** {plain(args.get('subject', ''))}")
            text = hold.get("text") or args.get("body") or args.get("text") or ""
            if text:
                label = "What goes out (the first contact's email)" if audience else "What goes out"
                with st.expander(label, icon=":material/visibility:"):
                    st.markdown(plain(text))
        with timer:
            countdown(float(hold["release_at"]), f"Releases at {clock(hold['release_at'])}")
        if left <= 0:
            st.caption(
                ":material/schedule: Due: it goes out within a few seconds."
                if releasing()
                else ":material/schedule: Due, but nothing is running that sends it: press "
                "Send now.",
                help=None if releasing() else STOPPED_HELP,
            )
        else:
            st.caption(f":material/schedule: Releases at {clock(hold['release_at'])}")
        if audience:
            render_contacts(runtime, hold)
        with st.container(horizontal=True):
            st.button(
                f"Cancel all {going}" if audience and going > 1 else "Cancel",
                key=f"cancel-{hold_id}",
                icon=":material/cancel:",
                on_click=_queue,
                args=(hold, "cancel"),
                help="None of the audience's emails goes out; to keep the rest, take one contact "
                "out instead. Recorded in the audit log."
                if audience and going > 1
                else "It will not go out. Recorded in the audit log.",
            )
            st.button(
                "Send now",
                key=f"send-now-{hold_id}",
                icon=":material/send:",
                type="primary",
                on_click=_queue,
                args=(hold, "send_now"),
                help="Send it now instead of at its release time.",
            )


TICK_S = 1  # the countdowns: computed from the release time already on the page, no query
WATCH_S = 5  # how often the page asks whether anything was released, cancelled or added


@st.fragment(run_every=TICK_S)
def countdown(release_at: float, help: str) -> None:
    """One hold's countdown, redrawn every second from its stored release time (no query)."""
    left = max(release_at - time.time(), 0.0)
    st.metric(
        "Goes out in" if left > 0 else "Due",
        duration(left) if left > 0 else "now",
        border=True,
        help=help,
    )


@st.fragment(run_every=WATCH_S)
def watch(shown: int) -> None:
    """Every few seconds, one COUNT query: when the number of held actions changed (the
    scheduler released one, someone cancelled one elsewhere, a new approval), redraw the page."""
    if runtime.counts()["holds"] != shown:
        st.rerun(scope="app")


def campaign_products() -> dict[str, str]:
    """Each campaign's product, by thread id: one read for the whole page."""
    return {c["thread_id"]: c["brief"].get("product", "Campaign") for c in runtime.campaigns()}


def approved_link(thread_id: str, products: dict[str, str], approved_by: str, at: str = "") -> None:
    """A card's line: its campaign (a link to the Campaign page), who approved it (and when)."""
    campaign_link(
        thread_id,
        products.get(thread_id, "Campaign"),
        f"approved by {plain(approved_by)}{f' at {at}' if at else ''}",
    )


def list_waiting(waiting: list[dict[str, Any]], products: dict[str, str]) -> None:
    """Approvals recorded while their campaign was busy with another run (a send-back's
    redraft): they are scheduled, and shown with their countdown, as soon as that run ends."""
    for w in waiting:
        with st.container(border=True, key=f"waiting-{w['id']}"):
            icon = ACTION_ICONS.get(w["action"], ":material/bolt:")
            st.markdown(f"**{icon} {plain(w['title'])}** · approved, not scheduled yet")
            approved_link(w["thread_id"], products, str(w["by"]), clock(w["at"]))
            hold = int(w.get("hold_seconds") or 0)
            then = (
                f"it then waits {duration(hold)} here, with its countdown, and you can cancel it"
                if hold
                else "it then goes out"
            )
            st.caption(
                f":material/hourglass_top: Your approval is recorded. The campaign is still "
                f"{plain(w['busy'])}: this is scheduled as soon as that finishes; {then}."
            )


def list_holds() -> None:
    """Every held action, read once per page run: a click or a change `watch` sees redraws it."""
    holds = runtime.holds()
    apply_queued({h["id"]: h for h in holds})
    now = time.time()
    with st.container(horizontal=True, vertical_alignment="center"):
        if holds:
            st.caption(
                f"{count(sum(sends(h) for h in holds), 'approved action')} waiting to go out. "
                "Cancel one and it "
                "never leaves; Send now skips the wait."
            )
        st.button("Refresh", key="holds-refresh", icon=":material/refresh:", type="tertiary")
    watch(len(holds))
    waiting = runtime.approvals_waiting()
    products = campaign_products() if holds or waiting else {}
    if waiting:
        list_waiting(waiting, products)
    if not holds and waiting:
        return
    if not holds:
        with st.container(border=True, key="holds-empty"):
            st.markdown("### :material/schedule: Nothing is scheduled")
            st.markdown(
                "Approved actions with a hold window wait here before they go out, so you can "
                "still cancel them. Approve something in the Inbox and it appears here."
            )
            st.page_link(PAGE_INBOX, label="Go to the Inbox", icon=":material/inbox:")
        return
    for group in groups(holds):
        if len(group) == 1:
            render_hold(group[0], now, products)
        else:
            render_group(group, now, products)


st.title("Scheduled")
# What comes and goes above the scheduled actions sits in one container every run draws: the
# actions keep their places when the page redraws itself, so a press on Cancel or Send now is
# never replaced under the pointer (the Inbox's lost click: ui/views/inbox.py).
with st.container(key="scheduled-news", gap=None):
    progress.report_finished()  # what queued runs did, once they ended
    show_flash()
    progress.open_runs()  # the runs of Send now and Cancel, polled until they end
    if not releasing():
        st.info(
            "Scheduled actions are not sent on their own right now: nothing is running that "
            "sends them when their time comes. Press Send now, or ask whoever runs Signoff to "
            "start its background worker.",
            icon=":material/pause_circle:",
        )
        st.caption(":material/dns: For whoever runs Signoff", help=STOPPED_HELP)
list_holds()
