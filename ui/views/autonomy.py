"""Autonomy: how much each action type may do without a person, per channel.

Each action type × channel shows its level, the policy's maximum, its track record over time and,
when the record earns it, a suggested promotion that a person confirms. Below: the policy's
routing table, and a simulation that replays recent decisions under a candidate policy.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import streamlit as st

from graphs.errors import InvalidInput, NotFound, SignoffError
from graphs.humanize import to_epoch
from ui.clicks import apply_each, queue
from ui.state import (
    ACTION_ICONS,
    clock,
    count,
    flash,
    plain,
    reviewer,
    short_id,
    show_flash,
    signoff,
)

LEVELS = ["supervised", "earned", "monitored"]
LEVEL_WORDS = {
    "supervised": "a person approves everything",
    "earned": "a person approves high-risk actions only",
    "monitored": "runs on its own; exceptions still reach a person, and you are told afterwards",
}
LEVEL_COLORS = {"supervised": "blue", "earned": "violet", "monitored": "green"}
# The track record's outcomes, in the order they stack (good at the bottom).
OUTCOMES = ["approved", "acknowledged", "edited", "revised", "expired", "rejected", "flagged"]
OUTCOME_COLORS = {
    "approved": "#2e9e5b",
    "acknowledged": "#8fd19e",
    "edited": "#f2b640",
    "revised": "#f28e2b",
    "expired": "#b0b4c0",
    "rejected": "#d64545",
    "flagged": "#7a1f1f",
}
ROUTE_WORDS = {
    "run and log": "Run and log",
    "run and notify": "Run, then tell you",
    "wait for a person": "Wait for a person",
}

runtime = signoff()


# -- promotion ----------------------------------------------------------------------------------
def _promote(action: str, channel: str) -> None:
    queue("promote-queue", (action, channel, reviewer()))


def apply_queued() -> None:
    if apply_each("promote-queue", lambda click: _apply_promotion(*click)):
        st.rerun()


def _apply_promotion(action: str, channel: str, by: str) -> None:
    """One queued promotion; what happened goes to the next run's messages."""
    try:
        result = runtime.promote(action, channel, by=by)
    except (InvalidInput, NotFound) as err:
        flash("error", str(err))
    except SignoffError as err:
        flash("error", str(err))
    else:
        level = result.get("level") or result.get("to") if isinstance(result, dict) else None
        flash(
            "success",
            f"Promoted {action} on {channel}"
            + (f" to {level}" if level else "")
            + f", confirmed by {plain(by)}. A rejection or a flag drops it back at once.",
        )


# -- one action type × channel ------------------------------------------------------------------
def track_chart(action: str, channel: str) -> None:
    """Stacked bars: what happened to this action type's proposals, per day."""
    record = runtime.track_record(action, channel)
    if not record:
        st.caption("No track record yet: decisions on this action type will show here.")
        return
    days: Counter[tuple[str, str]] = Counter()
    for entry in record:
        epoch = to_epoch(entry.get("at"))
        day = time.strftime("%Y-%m-%d", time.gmtime(epoch)) if epoch is not None else "?"
        days[(day, entry.get("outcome", "?"))] += 1
    outcomes = [o for o in OUTCOMES if any(k[1] == o for k in days)]
    outcomes += sorted({k[1] for k in days} - set(outcomes))
    import pandas as pd  # seconds to import the first time: only when a track record is drawn

    frame = pd.DataFrame(
        [{"Day": day, "Outcome": outcome, "Decisions": n} for (day, outcome), n in days.items()]
    )
    st.bar_chart(
        frame,
        x="Day",
        y="Decisions",
        color="Outcome",
        stack=True,
        height=220,
        x_label="Day",
        y_label="Decisions",
    )
    clean = sum(1 for e in record if e.get("outcome") in ("approved", "acknowledged"))
    st.caption(
        f"{clean} of {count(len(record), 'decision')} went out as drafted "
        f"({clean / len(record):.0%}) since {clock(record[0].get('at'))}."
    )


def render_suggestion(row: dict[str, Any]) -> None:
    suggestion = row.get("suggestion")
    action, channel = row["action"], row["channel"]
    if not suggestion:
        at_max = LEVELS.index(row["level"]) >= LEVELS.index(row["max_autonomy"])
        why = f" {plain(row['why'])}" if row.get("why") else ""
        st.caption(
            ":material/lock: At the policy's maximum for this action type."
            if at_max
            else f":material/trending_up: No promotion suggested yet.{why}"
        )
        return
    numbers = []
    if isinstance(suggestion.get("rate"), int | float):
        numbers.append(f"{suggestion['rate']:.0%} approved without edits")
    if isinstance(suggestion.get("lower_bound"), int | float):
        numbers.append(f"at least {suggestion['lower_bound']:.0%} with 95% confidence")
    if suggestion.get("n") is not None:
        numbers.append(f"over {count(int(suggestion['n']), 'decision')}")
    with st.container(border=True, key=f"suggestion-{action}-{channel}"):
        st.markdown(
            f":material/trending_up: **Suggested: move to {suggestion['to']}** — "
            f"{LEVEL_WORDS.get(suggestion['to'], '')}."
        )
        if numbers:
            st.markdown("; ".join(numbers) + ".")
        if suggestion.get("why"):
            st.caption(plain(suggestion["why"]))
        st.button(
            f"Confirm: move to {suggestion['to']}",
            key=f"promote-{action}-{channel}",
            type="primary",
            icon=":material/check:",
            on_click=_promote,
            args=(action, channel),
            help="A person confirms every promotion; a rejection or a flag demotes at once.",
        )


def render_level(row: dict[str, Any]) -> None:
    action, channel = row["action"], row["channel"]
    record = row.get("record") or {}
    with st.container(border=True, key=f"autonomy-{action}-{channel}"):
        head, badges = st.columns([3, 2], vertical_alignment="center")
        head.subheader(
            f"{ACTION_ICONS.get(action, ':material/bolt:')} {row.get('title') or action} · {channel}",
            anchor=False,
        )
        with badges, st.container(horizontal=True, horizontal_alignment="right"):
            st.badge(
                row["level"].capitalize(),
                color=LEVEL_COLORS.get(row["level"], "gray"),  # type: ignore[arg-type]
                icon=":material/tune:",
            )
            st.badge(f"Max {row['max_autonomy']}", color="gray", icon=":material/lock:")
        since = f" since {clock(row['since'])}" if row.get("since") else ""
        by = f" (set by {plain(row['by'])})" if row.get("by") else ""
        meaning = row.get("meaning") or LEVEL_WORDS.get(row["level"], "")
        st.caption(f"{row['level'].capitalize()}: {meaning}{since}{by}.")
        chart, numbers = st.columns([3, 2], gap="large")
        with chart:
            track_chart(action, channel)
        with numbers:
            m = st.columns(2)
            m[0].metric("Approved as drafted", record.get("approved", 0))
            m[1].metric("Edited", record.get("edited", 0))
            m = st.columns(2)
            m[0].metric("Rejected", record.get("rejected", 0))
            m[1].metric("Flagged", record.get("flagged", 0))
            render_suggestion(row)


# -- policy and simulation ----------------------------------------------------------------------
def _limits(limits: dict[str, Any]) -> str:
    """{'daily_limit': 50} → '50 a day'; {'budget_per_day': 200, 'currency': 'EUR'} → '200 EUR
    a day'; a limit this page does not know reads as words."""
    currency = str(limits.get("currency") or "")
    words = {
        "daily_limit": "{} a day",
        "budget_per_day": "{} " + currency + " a day",
        "budget_per_campaign": "{} " + currency + " a campaign",
    }
    return ", ".join(
        " ".join(words.get(k, k.replace("_", " ") + " {}").format(v).split())
        for k, v in limits.items()
        if k != "currency"
    )


def render_routing() -> None:
    policy = runtime.policy
    st.caption(
        f"Policy **{plain(policy.version)}**. Whatever the level, a person still sees "
        "low-confidence drafts, claims without evidence, anything over budget and a first "
        "contact with a new audience.",
        help=f"File: `{policy.path or 'the shipped default'}` · digest "
        f"`{str(policy.digest)[:12]}` (`signoff policy` prints it).",
    )
    rows = policy.routing_table()
    st.dataframe(
        [
            {
                "Action": r.get("title") or r["action"],
                "Channel": r["channel"],
                "Risk": r["tier"],
                "Undo": "yes" if r.get("reversible") else "no",
                "Hold (s)": r.get("hold_seconds") or 0,
                "Max autonomy": r.get("max_autonomy", ""),
                **{
                    level.capitalize(): ROUTE_WORDS.get(
                        r["routes"].get(level, ""), r["routes"].get(level, "")
                    )
                    for level in LEVELS
                },
                "Hard limits": _limits(r.get("limits") or {}),
            }
            for r in rows
        ],
        hide_index=True,
        width="stretch",
        key="routing-table",
    )


def _candidate_text() -> str:
    upload = st.session_state.get("sim-file")
    if upload is not None:
        return bytes(upload.getvalue()).decode("utf-8", errors="replace")
    return str(st.session_state.get("sim-yaml") or "")


def render_simulation() -> None:
    with st.form("simulate", border=True):
        st.markdown(
            "**Try a candidate policy** on your recent decisions: how many reviews it saves, and "
            "what it would have let through without a person."
        )
        st.text_area(
            "Candidate policy (YAML)",
            key="sim-yaml",
            height=200,
            placeholder="Paste a policy.yaml here, or upload one below.",
        )
        st.file_uploader("…or upload it", type=["yaml", "yml"], key="sim-file")
        st.number_input("Replay the last", min_value=1, max_value=5000, value=200, key="sim-last")
        submitted = st.form_submit_button("Simulate", key="sim-run", icon=":material/science:")
    if not submitted:
        return
    text = _candidate_text()
    if not text.strip():
        st.error("Paste or upload a candidate policy first.", icon=":material/edit_note:")
        return
    with tempfile.TemporaryDirectory() as tmp:
        candidate = Path(tmp) / "candidate-policy.yaml"
        candidate.write_text(text, encoding="utf-8")
        try:
            result = runtime.simulate(candidate, last=int(st.session_state.get("sim-last", 200)))
        except InvalidInput as err:
            st.error(str(err), icon=":material/rule:")
            return
        except SignoffError as err:
            st.error(str(err))
            return
    m = st.columns(4)
    m[0].metric("Decisions replayed", result["replayed"], border=True)
    m[1].metric("Reviews today", result["reviews_now"], border=True)
    m[2].metric("Reviews with the candidate", result["reviews_candidate"], border=True)
    m[3].metric("Reviews saved", result["saved"], border=True)
    through = result.get("let_through") or []
    if not through:
        st.success(
            "It lets nothing through that a person reviews today.", icon=":material/check_circle:"
        )
        return
    risky = [r for r in through if r.get("outcome") not in ("approved", "approve")]
    message = f"It would have let {count(len(through), 'action')} through without a person"
    if risky:
        st.warning(
            message + f", {len(risky)} of them edited, sent back or rejected by a person.",
            icon=":material/warning:",
        )
    else:
        st.info(message + "; a person had approved each of them as drafted.")
    st.dataframe(
        [
            {
                "Campaign": short_id(r["thread_id"]),
                "Action": f"{r['action']} ({r['action_id']})",
                "What a person did": r.get("outcome"),
                "Today": ROUTE_WORDS.get(r.get("route_now", ""), r.get("route_now", "")),
                "Candidate": ROUTE_WORDS.get(
                    r.get("route_candidate", ""), r.get("route_candidate", "")
                ),
            }
            for r in through
        ],
        hide_index=True,
        width="stretch",
        key="sim-let-through",
    )


# -- the page -----------------------------------------------------------------------------------
st.title("Autonomy")
show_flash()
apply_queued()
st.caption(
    "Each action type starts at the level the policy gives it. A promotion is only suggested "
    "by its track record and a person confirms it; a rejection or a flag demotes it at once."
)
for row in runtime.autonomy():
    render_level(row)

st.subheader("Routing table", anchor=False)
render_routing()
st.subheader("Simulate a policy change", anchor=False)
render_simulation()
