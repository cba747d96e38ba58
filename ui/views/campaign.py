"""Campaign: one campaign's story, from brief to what went out. The thread id is in the URL."""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from graphs.errors import Busy, NotFound, SignoffError
from ui import progress
from ui.audit_text import describe, event_label
from ui.components.sources import readable
from ui.state import (
    ACTION_ICONS,
    PAGE_INBOX,
    PAGE_NEW,
    PAGE_SCHEDULED,
    campaign_label,
    duration,
    plain,
    short_id,
    signoff,
    status_badge,
    when,
)
from ui.stopped import NOTHING_LOST, what_happened, what_to_do

TITLES = {
    "send_email": "Email",
    "publish_post": "Social post",
    "publish_page": "Web page",
    "spend_ads": "Ads",
    "like_post": "Like",
    "follow_account": "Follow",
    "repost_post": "Repost",
}
WENT_OUT = {
    "send_email": "Sent",
    "publish_post": "Published",
    "publish_page": "Published",
    "spend_ads": "Booked",
    "like_post": "Liked",
    "follow_account": "Followed",
    "repost_post": "Reposted",
}
DECISION_WORDS = {
    "approve": "Approved",
    "edit": "Approved with edits",
    "revise": "Sent back",
    "reject": "Rejected",
    "cancel": "Cancelled before it went out",
    "send_now": "Sent without waiting",
    "release": "Went out after its wait",
    "expire": "Expired unanswered",
}
REVIEWS = ("approve", "edit", "reject")  # a person's answer to a draft (not a hold's)
SIGNOFF = {"scheduler": "Signoff"}  # who decided, when it was Signoff itself
COLORS = {  # node fill colours of the journey picture
    "waiting": "#ffe8b3",
    "executed": "#c9f2d0",
    "rejected": "#ffd1d1",
    "failed": "#ffd1d1",
    "in_doubt": "#ffe8b3",
    "held": "#e6dcff",
    "cancelled": "#eef0f6",
    "neutral": "#eef0f6",
}

runtime = signoff()


def _pick_campaign(campaigns: list[dict[str, Any]]) -> str | None:
    """The campaign in the URL (`?thread=`), else the newest; the picker writes the URL."""
    thread = st.query_params.get("thread")
    if not thread and campaigns:
        thread = campaigns[0]["thread_id"]
        st.query_params["thread"] = thread
    if not campaigns or not thread:
        return thread or None
    options = [c["thread_id"] for c in campaigns]
    labels = {c["thread_id"]: campaign_label(c) for c in campaigns}
    if thread not in options:
        options.insert(0, thread)
        labels[thread] = f"Campaign {short_id(thread)}"
    st.session_state["campaign-pick"] = thread  # follow the URL (links from the inbox)
    st.selectbox(
        "Campaign",
        options,
        format_func=lambda t: labels.get(t, t),
        key="campaign-pick",
        on_change=lambda: st.query_params.__setitem__("thread", st.session_state["campaign-pick"]),
        help="Recent campaigns. The address bar always holds the open campaign: share or bookmark it.",
    )
    return thread


def journey_dot(c: dict[str, Any]) -> str:
    """A left-to-right picture: brief → research → each action's draft → review → outcome."""

    def node(name: str, label: str, color: str = COLORS["neutral"]) -> str:
        label = label.replace('"', "'")
        return f'  "{name}" [label="{label}", fillcolor="{color}"];'

    lines = [
        "digraph journey {",
        '  rankdir=LR; bgcolor="transparent";',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11, color="#9aa0b4"];',
        '  edge [color="#9aa0b4"];',
        node("brief", "Brief"),
        node("research", f"Research\\n{len(c['evidence'])} passages"),
        '  "brief" -> "research";',
    ]
    pending = {p["action_id"]: p for p in c["pending"]}
    held = {h["action_id"]: h for h in c.get("holds", [])}
    outcomes = {o["action_id"]: o for o in c["outcomes"]}
    decisions: dict[str, list[dict[str, Any]]] = {}
    for d in c["decisions"]:
        decisions.setdefault(d["action_id"], []).append(d)
    for action in c["actions"]:
        aid = action["id"]
        name = TITLES.get(action["name"], action["name"])
        revisions = sum(1 for d in decisions.get(aid, []) if d["decision"]["type"] == "revise")
        redrafts = "redrafted once" if revisions == 1 else f"redrafted {revisions} times"
        draft = f"{name} draft" + (f"\\n{redrafts}" if revisions else "")
        lines += [node(f"draft-{aid}", draft), f'  "research" -> "draft-{aid}";']
        final = [d for d in decisions.get(aid, []) if d["decision"]["type"] in REVIEWS]
        if aid in pending:
            lines.append(node(f"review-{aid}", "Waiting for you", COLORS["waiting"]))
        elif final:
            d = final[-1]
            lines.append(
                node(
                    f"review-{aid}",
                    f"{DECISION_WORDS.get(d['decision']['type'], d['decision']['type'])}\\nby {d['by']}",
                )
            )
        else:
            lines.append(node(f"review-{aid}", "Review"))
        lines.append(f'  "draft-{aid}" -> "review-{aid}";')
        outcome = outcomes.get(aid)
        if aid in held:
            lines += [
                node(f"out-{aid}", "Scheduled\\nyou can still cancel", COLORS["held"]),
                f'  "review-{aid}" -> "out-{aid}";',
            ]
        elif outcome:
            status = outcome["status"]
            label = (
                WENT_OUT.get(action["name"], "Done")
                if status == "executed"
                else status.replace("_", " ").capitalize()
            )
            lines += [
                node(f"out-{aid}", label, COLORS.get(status, COLORS["neutral"])),
                f'  "review-{aid}" -> "out-{aid}";',
            ]
    lines.append("}")
    return "\n".join(lines)


def _decision_details(decision: dict[str, Any]) -> str:
    kind = decision["type"]
    if kind == "revise":
        return f"Feedback: {decision.get('feedback', '')}"
    if kind == "reject":
        return " — ".join(x for x in (decision.get("reason"), decision.get("comment")) if x)
    if kind == "edit":
        return "Edited " + ", ".join(sorted(decision.get("args", {})))
    if kind == "cancel":
        return str(decision.get("reason") or "")
    return ""


def render_executed(row: dict[str, Any]) -> None:
    icon = ACTION_ICONS.get(row["name"], ":material/bolt:")
    title = TITLES.get(row["name"], row["name"])
    result = row.get("result") or {}
    with st.container(border=True, key=f"executed-{row['key'][:16]}"):
        head, badge = st.columns([4, 1], vertical_alignment="center")
        head.markdown(f"**{icon} {title}** · {when(row['updated_at'])}")
        with badge, st.container(horizontal=True, horizontal_alignment="right"):
            if row["status"] == "done":
                st.badge(WENT_OUT.get(row["name"], "Done"), color="green", icon=":material/check:")
            else:
                st.badge(row["status"].replace("_", " "), color="orange", icon=":material/warning:")
        args = row["args"]
        if row["name"] == "send_email":
            st.markdown(
                f"**To:** {plain(args.get('to', ''))}  \n**Subject:** {plain(args.get('subject', ''))}"
            )
            with st.expander("Body"):
                st.markdown(plain(args.get("body", "")))
        elif "text" in args:
            st.markdown(plain(args["text"]))
        said = {  # in words; where exactly (paths, servers, the outbox key) in the tooltip
            "maildir": "Delivered to the local outbox folder",
            "feed": "Posted to the local feed",
            "smtp": "Sent by email",
        }.get(result.get("transport", ""), "Done")
        where = {
            "maildir": lambda r: f"Maildir `{r.get('path')}` as `{r.get('file')}`",
            "feed": lambda r: f"Feed `{r.get('path')}`, line {r.get('line')}",
            "smtp": lambda r: f"SMTP server {r.get('server')}",
        }.get(result.get("transport", ""), lambda r: f"Result: `{json.dumps(r)}`")
        st.caption(
            f":material/outbox: {said}",
            help=f"For whoever runs Signoff: {where(result)}  \nOutbox key `{row['key']}`",
        )


def stopped_why(error: str) -> str:
    """Why a run stopped, in a marketer's words (the exception stays in a tooltip)."""
    said = what_happened(error)
    return f" {said}" if said else ""


def render_retry(thread: str, c: dict[str, Any]) -> None:
    """A campaign whose run stopped part-way (an error, or the server stopped): carry it on."""
    errors = [a for a in c["audit"] if a["event"] == "campaign.error"]
    error = str(errors[0]["detail"].get("error", "")) if errors else ""
    with st.container(border=True, key="retry-box"):
        st.warning(
            f"This campaign stopped part-way.{stopped_why(error)} {NOTHING_LOST} "
            f"{what_to_do(error)}",
            icon=":material/warning:",
        )
        if error:
            st.caption(
                ":material/dns: What went wrong, in detail",
                help=f"For whoever runs Signoff: {plain(error)}",
            )
        if st.button("Retry", key=f"retry-{thread}", icon=":material/refresh:", type="primary"):
            try:
                runtime.retry(thread)  # queued: a worker carries it on (ui/progress.py)
            except Busy as err:
                st.info(str(err))
            except SignoffError as err:
                st.error(str(err))
            except Exception as err:  # the model failed again
                st.error(f"It stopped again: {err}. Check the model settings, then retry.")
            else:
                st.rerun()


def render_campaign(thread: str) -> None:
    try:
        c = runtime.campaign(thread)
    except NotFound:
        st.error(
            "Signoff has no campaign at this address: the link may be cut short, or the "
            "campaign was removed. Pick a campaign in the Campaign box above; the Inbox and "
            "Activity pages link to each campaign too.",
            icon=":material/search_off:",
        )
        return
    brief = c["brief"]
    decided = [d for d in c["decisions"] if d["decision"]["type"] in ("approve", "edit", "reject")]
    executed = [r for r in c["executed"] if r["status"] == "done"]
    rejected = [o for o in c["outcomes"] if o["status"] == "rejected"]
    trouble = [o for o in c["outcomes"] if o["status"] in ("failed", "in_doubt")]

    head, badge = st.columns([4, 1], vertical_alignment="center")
    head.header(plain(brief.get("product", "Campaign")), anchor=False)
    with badge, st.container(horizontal=True, horizontal_alignment="right"):
        status_badge(c["status"])
    st.caption(
        f"**Audience** {plain(brief.get('audience', ''))} · **Goal** {plain(brief.get('goal', ''))} · "
        f"**Email to** {plain(brief.get('to', ''))} · started {when(c['created_at'])} · "
        f"campaign {short_id(thread)}",
        help=f"The campaign's full id, for the command line (`signoff show {thread}`); the "
        "address bar holds it too, so you can share this page.",
    )

    running = progress.campaign_run(thread)  # a worker's run for it, polled while it lasts
    # an error stops the run even when another action already waits (each action is drafted on
    # its own branch): a retry carries on the one that failed
    if not running and (c["status"] == "error" or (c["status"] == "running" and not c["pending"])):
        render_retry(thread, c)

    m = st.columns(4)
    m[0].metric("Waiting for you", len(c["pending"]), border=True)
    m[1].metric("Went out", len(executed), border=True)
    m[2].metric("Rejected", len(rejected), border=True)
    m[3].metric(
        "Decisions",
        len(decided),
        border=True,
        help="Approvals, edits and rejections; send-backs not counted.",
    )

    picture, side = st.columns([3, 2], gap="large")
    with picture:
        st.markdown("**Where each action stands**")
        st.graphviz_chart(journey_dot(c), width="stretch")
    with side:
        if c.get("holds"):
            st.markdown("**Scheduled to go out**")
            for h in c["holds"]:
                st.markdown(
                    f"- {ACTION_ICONS.get(h['action'], '')} {plain(h.get('title') or h['action'])} — in "
                    f"{duration(h['seconds_left'])}, approved by {plain(h.get('approved_by') or '?')}"
                )
            st.page_link(PAGE_SCHEDULED, label="Cancel or send now", icon=":material/schedule:")
        if c["pending"]:
            st.markdown("**Waiting for your sign-off**")
            lines: dict[str, int] = {}  # an audience's drafts are one line with their count
            for p in c["pending"]:
                line = f"{ACTION_ICONS.get(p['action'], '')} {p['title']} ({p['risk']} risk)"
                lines[line] = lines.get(line, 0) + 1
            st.markdown(
                "\n".join(
                    f"- {line}" + (f" × {n}, one per contact" if n > 1 else "")
                    for line, n in lines.items()
                )
            )
            st.page_link(PAGE_INBOX, label="Decide in the Inbox", icon=":material/inbox:")
        for o in trouble:
            st.warning(
                f"{TITLES.get(o['name'], o['name'])}: {o['status'].replace('_', ' ')}. "
                f"{plain(o['detail'].get('error') or o['detail'].get('reason') or '')}",
                icon=":material/warning:",
            )
        for o in rejected:
            detail = o["detail"]
            comment = f" — {plain(detail['comment'])}" if detail.get("comment") else ""
            st.error(
                f"{TITLES.get(o['name'], o['name'])} rejected: **{plain(detail.get('reason', ''))}**{comment}",
                icon=":material/block:",
            )
        if not c["pending"] and not trouble and not rejected and c["status"] == "done":
            st.success(
                "Everything in this campaign has been decided.", icon=":material/check_circle:"
            )

    st.subheader("What went out", anchor=False)
    if c["executed"]:
        for row in c["executed"]:
            render_executed(row)
    else:
        st.caption(
            "Nothing has gone out yet. Approved actions appear here once they have gone out."
        )

    st.subheader("Decisions", anchor=False)
    names = {a["id"]: TITLES.get(a["name"], a["name"]) for a in c["actions"]}
    if c["decisions"]:
        st.table(
            [
                {
                    "When": when(d["at"]),
                    "Who": SIGNOFF.get(d["by"], d["by"]),
                    "Decision": DECISION_WORDS.get(d["decision"]["type"], d["decision"]["type"]),
                    "Action": names.get(d["action_id"], d["action_id"]),
                    "Details": _decision_details(d["decision"]),
                }
                for d in c["decisions"]
            ],
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption("No decisions yet.")

    with st.expander(
        f"Research evidence ({len(c['evidence'])} passages)", icon=":material/menu_book:"
    ):
        for e in c["evidence"]:
            st.markdown(f"**[{e['id'].lstrip('E')}]** {plain(e['quote'])}")
            st.caption(f"{plain(readable(e['source']))} › {plain(e['location'])}")
    with st.expander(f"Audit trail ({len(c['audit'])} events)", icon=":material/receipt_long:"):
        st.dataframe(
            [
                {
                    "When": when(a["at"]),
                    "Who": a["actor"],
                    "Event": event_label(a["event"]),
                    "What happened": describe(a),
                }
                for a in c["audit"]
            ],
            hide_index=True,
            width="stretch",
        )
    with st.expander("How Signoff works", icon=":material/account_tree:"):
        st.caption(
            "The agent's graph: research, draft, then a gate that waits for you; only approved "
            "actions reach the publisher."
        )
        # drawn on request: drawing it builds the agent (seconds), which the rest of this
        # page never needs (it reads the campaign from the database)
        if st.toggle("Draw the agent's graph", key="campaign-draw-graph"):
            with st.spinner("Drawing the agent's graph…"):
                st.graphviz_chart(runtime.graph_dot())


st.title("Campaign")
campaigns = runtime.campaigns()
thread = _pick_campaign(campaigns)
if not thread:
    with st.container(border=True, key="no-campaigns"):
        st.markdown("### :material/monitoring: No campaigns yet")
        st.markdown("Start one and follow it here, from brief to what went out.")
        st.page_link(PAGE_NEW, label="Start a new campaign", icon=":material/edit_square:")
else:
    render_campaign(thread)
