"""Activity: what happened and who did it. Notifications to acknowledge or flag, reversible
actions to undo, and the audit log (filter it, verify its hash chain, download it as CSV).

The campaign filter is in the URL (`?thread=`), like the Campaign page.
"""

from __future__ import annotations

import io
import json
from typing import Any

import streamlit as st

from graphs.errors import AlreadyDecided, InvalidInput, NotFound, SignoffError
from ui.audit_text import describe, event_label
from ui.clicks import apply_each, done, queue
from ui.state import (
    ACTION_ICONS,
    PAGE_CAMPAIGN,
    campaign_label,
    clock,
    count,
    flash,
    plain,
    reviewer,
    short_id,
    show_flash,
    signoff,
)

ALL = ""
AUDIT_TAB = "Audit log"
UNDO_TAB = "Undo"
NOTIFICATION_COLORS = {"open": "orange", "acknowledged": "green", "flagged": "red"}

runtime = signoff()


# -- clicks: queue in the callback, apply in the body -----------------------------------------
def _queue(kind: str, target: Any, **extra: Any) -> None:
    queue("activity-queue", {"kind": kind, "target": target, "by": reviewer(), **extra})


def _flag(notification_id: int) -> None:
    reason = str(st.session_state.get(f"flag-reason-{notification_id}", "")).strip()
    _queue("flag", notification_id, reason=reason)


def _toggle_flag(notification_id: int) -> None:
    key = f"flag-open-{notification_id}"
    st.session_state[key] = not st.session_state.get(key, False)


def apply_queued() -> None:
    if apply_each("activity-queue", _apply_one):
        st.rerun()


def _apply_one(q: dict[str, Any]) -> None:
    """One queued Acknowledge, Flag or Undo; what happened goes to the next run's messages."""
    try:
        if q["kind"] == "ack":
            runtime.acknowledge(q["target"], by=q["by"])
            flash("success", f"Acknowledged notification {q['target']}.")
        elif q["kind"] == "flag":
            if not q["reason"]:
                flash("error", "Say what was wrong before flagging it. Nothing was saved.")
                st.session_state[f"flag-open-{q['target']}"] = True
                return
            runtime.flag(q["target"], by=q["by"], reason=q["reason"])
            st.session_state.pop(f"flag-open-{q['target']}", None)
            flash(
                "warning",
                f"Flagged notification {q['target']}: {q['reason']}. That action type now "
                "waits for a person again (see Autonomy).",
            )
        elif q["kind"] == "undo":
            with st.spinner("Undoing…"):
                runtime.undo(q["target"], by=q["by"])
                done("activity-queue", q)  # undone: a run stopped from here on must not lose it
            flash("success", f"Undone: {q.get('title') or q['target']}.")
    except AlreadyDecided as err:
        flash("info", str(err)[:1].upper() + str(err)[1:])
    except (InvalidInput, NotFound) as err:
        flash("error", str(err))
    except SignoffError as err:
        flash("error", str(err))
    except Exception as err:  # a connector failed while undoing
        flash("error", f"Could not undo it: {err}.")


# -- notifications ------------------------------------------------------------------------------
def render_notification(n: dict[str, Any]) -> None:
    nid = n["id"]
    with st.container(border=True, key=f"notification-{nid}"):
        head, badge = st.columns([4, 1], vertical_alignment="center")
        head.markdown(
            f"{ACTION_ICONS.get(n['action'], ':material/bolt:')} **{plain(n.get('title') or n['action'])}** "
            f"· {plain(n.get('channel', ''))} · {clock(n.get('created_at'))}"
        )
        with badge, st.container(horizontal=True, horizontal_alignment="right"):
            st.badge(
                n["status"].capitalize(),
                color=NOTIFICATION_COLORS.get(n["status"], "gray"),  # type: ignore[arg-type]
            )
        message = str(n.get("message") or "")
        if len(message) > 240:
            st.markdown(plain(" ".join(message.split())[:240]) + "…")
            with st.expander("Full text", icon=":material/notes:"):
                st.markdown(plain(message))
        elif message:
            st.markdown(plain(message))
        if n.get("thread_id"):
            st.page_link(
                PAGE_CAMPAIGN,
                label=f"Campaign {short_id(n['thread_id'])}",
                icon=":material/link:",
                query_params={"thread": n["thread_id"]},
            )
        if n["status"] != "open":
            st.caption(
                f"{n['status'].capitalize()} by {plain(n.get('by') or '?')} · {clock(n.get('at'))}"
            )
            return
        with st.container(horizontal=True):
            st.button(
                "Acknowledge",
                key=f"ack-{nid}",
                icon=":material/done:",
                on_click=_queue,
                args=("ack", nid),
                help="Seen, and fine.",
            )
            st.button(
                "Flag",
                key=f"flag-{nid}",
                icon=":material/flag:",
                on_click=_toggle_flag,
                args=(nid,),
                help="It should not have run: this action type goes back to needing approval.",
            )
        if st.session_state.get(f"flag-open-{nid}"):
            with st.form(f"flag-form-{nid}", border=False):
                st.text_input(
                    "What was wrong?",
                    key=f"flag-reason-{nid}",
                    placeholder="e.g. Wrong price in the post",
                )
                st.form_submit_button(
                    "Flag it",
                    key=f"flag-confirm-{nid}",
                    icon=":material/flag:",
                    type="primary",
                    on_click=_flag,
                    args=(nid,),
                )


def render_notifications() -> None:
    rows = runtime.notifications()
    open_ = [n for n in rows if n["status"] == "open"]
    done = [n for n in rows if n["status"] != "open"]
    if not rows:
        st.caption(
            "Nothing yet. When an action runs on its own and tells you afterwards, it shows "
            "here to acknowledge or flag."
        )
        return
    if not open_:
        st.caption("Every notification has been looked at.")
    for n in open_:
        render_notification(n)
    if done:
        with st.expander(f"Looked at ({len(done)})", icon=":material/history:"):
            for n in done:
                render_notification(n)


# -- undo ---------------------------------------------------------------------------------------
def render_undo() -> None:
    # what the policy marks reversible (the runtime's rule: `undoable`, `undo`), named when
    # nothing has run yet
    table = runtime.policy.routing_table()
    reversible = {r["action"]: str(r["title"]) for r in table if r["reversible"]}
    rows = runtime.undoable()
    if not rows:
        kinds = [title.lower() for title in reversible.values()]
        st.caption(
            "Nothing to undo yet. What the policy lets you undo shows here once it has run"
            + (f": {', '.join(kinds)}." if kinds else ".")
        )
        return
    for r in rows:
        key = r["key"]
        with st.container(border=True, key=f"undoable-{key[:16]}"):
            text, button = st.columns([4, 1], vertical_alignment="center")
            args = r.get("args") or {}
            what = r.get("title") or r["action"]
            detail = args.get("subject") or args.get("text") or args.get("url") or ""
            text.markdown(
                f"{ACTION_ICONS.get(r['action'], ':material/bolt:')} **{plain(what)}** · "
                f"ran {clock(r.get('ran_at') or r.get('at'))} · campaign {short_id(r['thread_id'])}"
            )
            if detail:
                text.caption(plain(str(detail)[:200]))
            with button, st.container(horizontal=True, horizontal_alignment="right"):
                if r.get("undone"):
                    st.badge("Undone", color="gray", icon=":material/undo:")
                else:
                    st.button(
                        "Undo",
                        key=f"undo-{key}",
                        icon=":material/undo:",
                        on_click=_queue,
                        args=("undo", key),
                        kwargs={"title": what},
                    )


# -- audit log ----------------------------------------------------------------------------------
def _url_filter(name: str) -> None:
    value = st.session_state.get(f"filter-{name}") or ALL
    if value:
        st.query_params[name] = value
    else:
        st.query_params.pop(name, None)


def audit_csv() -> str:
    """The whole audit log as CSV: `st.download_button` calls it when someone clicks (on a
    thread of its own), so a run of the page never builds it."""
    buffer = io.StringIO()
    runtime.audit_csv(buffer)
    return buffer.getvalue()


def render_audit() -> None:
    campaigns = runtime.campaigns()
    labels = {c["thread_id"]: campaign_label(c) for c in campaigns}
    everything = runtime.activity(limit=2000)
    events = sorted({a["event"] for a in everything})
    actors = sorted({a["actor"] for a in everything})

    thread = st.query_params.get("thread", ALL)
    threads = [ALL, *labels]
    if thread and thread not in threads:
        threads.append(thread)
    st.session_state["filter-thread"] = thread
    event = st.query_params.get("event", ALL)
    if event and event not in events:
        events.append(event)
    st.session_state["filter-event"] = event
    actor = st.query_params.get("actor", ALL)
    if actor and actor not in actors:
        actors.append(actor)
    st.session_state["filter-actor"] = actor

    cols = st.columns(3)
    cols[0].selectbox(
        "Campaign",
        threads,
        format_func=lambda t: labels.get(t, f"Campaign {short_id(t)}") if t else "All campaigns",
        key="filter-thread",
        on_change=_url_filter,
        args=("thread",),
    )
    cols[1].selectbox(
        "Event",
        [ALL, *events],
        format_func=lambda e: event_label(e) if e else "All events",
        key="filter-event",
        on_change=_url_filter,
        args=("event",),
    )
    cols[2].selectbox(
        "Who",
        [ALL, *actors],
        format_func=lambda a: a or "Everyone",
        key="filter-actor",
        on_change=_url_filter,
        args=("actor",),
    )
    rows = runtime.activity(
        thread_id=thread or None, event=event or None, actor=actor or None, limit=500
    )
    with st.container(horizontal=True, vertical_alignment="center"):
        st.caption(f"{count(len(rows), 'entry', 'entries')} shown, newest first.")
        raw = st.toggle(
            "Technical details",
            key="audit-raw",
            help="The event's name and everything recorded with it, as stored (for engineers).",
        )
    if rows:
        st.dataframe(
            [
                {
                    "#": a["seq"],
                    "When": clock(a["at"]),
                    "Who": a["actor"],
                    "Event": event_label(a["event"]),
                    "What happened": describe(a),
                    "Campaign": short_id(a["thread_id"]) if a.get("thread_id") else "",
                    "Policy": a.get("policy_version") or "",
                }
                | (
                    {
                        "Name": a["event"],
                        "Recorded": json.dumps(a.get("detail"), default=str, ensure_ascii=False)[
                            :400
                        ],
                    }
                    if raw
                    else {}
                )
                for a in rows
            ],
            hide_index=True,
            width="stretch",
            key="audit-table",
        )

    with st.container(horizontal=True, vertical_alignment="center"):
        verify = st.button("Verify audit chain", key="verify-audit", icon=":material/verified:")
        st.download_button(
            "Download CSV",
            data=audit_csv,  # built when clicked, not on every run of the page
            file_name="signoff-audit.csv",
            mime="text/csv",
            key="audit-csv",
            icon=":material/download:",
            help="The whole audit log, oldest first, one row per entry.",
        )
    if verify:
        check = runtime.audit_verify()
        if check["ok"]:
            st.success(
                f"The audit chain is intact: {count(check['checked'], 'entry', 'entries')} "
                "checked, each linked to the one before.",
                icon=":material/verified:",
            )
        else:
            st.error(
                f"The audit chain is broken at entry #{check.get('first_bad')}: "
                f"{check.get('problem') or 'its hash does not match'}. Entries from there on "
                f"cannot be trusted ({check.get('checked', 0)} checked).",
                icon=":material/gpp_bad:",
            )


# -- the page -----------------------------------------------------------------------------------
st.title("Activity")
show_flash()
apply_queued()


def _remember_tab() -> None:
    """The tab the person opened, by name: the Notifications label carries a count, and a new
    label is a new widget, which would open its default tab again."""
    label = str(st.session_state.get("activity-tab") or "")
    st.session_state["activity-last"] = {AUDIT_TAB: "log", UNDO_TAB: "undo"}.get(label, "notes")


n_open = sum(1 for n in runtime.notifications("open"))
labels = {
    "notes": f"Notifications ({n_open} open)" if n_open else "Notifications",
    "log": AUDIT_TAB,
    "undo": UNDO_TAB,
}
# Only the open tab runs (`on_change`): the audit log's table (pandas, pyarrow: seconds the
# first time) is drawn when someone looks at it. A link with a filter opens on the log.
filtered = any(st.query_params.get(name) for name in ("thread", "event", "actor"))
last = st.session_state.get("activity-last") or ("log" if filtered else "notes")
tab_notes, tab_log, tab_undo = st.tabs(
    list(labels.values()),
    default=labels.get(last, labels["notes"]),
    key="activity-tab",
    on_change=_remember_tab,
)
if tab_notes.open:
    with tab_notes:
        render_notifications()
if tab_log.open:
    with tab_log:
        render_audit()
if tab_undo.open:
    with tab_undo:
        render_undo()
