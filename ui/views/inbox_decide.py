"""Inbox decisions: a click queues a submission (in a widget callback, which Streamlit runs even
when the card is gone by then: a stale tab or a double click still gets "already decided"); the
page body applies it — one `decide_many` call, or one `decide_batch` for a whole batch — and
says what happened, read back from the campaigns."""

from __future__ import annotations

from typing import Any

import streamlit as st

from graphs.errors import AlreadyDecided, Busy, InvalidDecision, NotFound, SignoffError
from ui import progress
from ui.clicks import apply_each, done, queue
from ui.state import (
    count,
    duration,
    flash,
    plain,
    reviewer,
    signoff,
)
from ui.views import inbox_receipt as receipts

REJECT_REASONS = ["Off-brand", "Inaccurate claim", "Wrong audience", "Bad timing", "Other"]
REASON_NEEDED = (
    "Pick a reason first: "
    + ", ".join(REJECT_REASONS[:-2])
    + f", {REJECT_REASONS[-2]} or {REJECT_REASONS[-1]}."
)


def needs_check(item: dict[str, Any]) -> bool:
    """Claims the evidence does not support: approving needs 'I checked these'."""
    if item.get("needs_check"):
        return True
    if any(c.get("status") == "unsupported" for c in item.get("sentence_checks") or []):
        return True
    if item.get("unsupported_claims"):
        return True
    return any(c.get("supported") is False for c in item.get("claim_checks") or [])


def _approval(item: dict[str, Any], checked: bool) -> dict[str, Any]:
    decision: dict[str, Any] = {"type": "approve", "seen": item["content_hash"]}
    if checked and needs_check(item):
        decision["checked"] = True
    return decision


# -- clicks: queue a submission, apply it in the body ------------------------------------------
def _submit(decisions: dict[str, dict[str, Any]], label: str, titles: dict[str, str]) -> None:
    """One click, one submission: every decision in it goes to one `decide_many` call."""
    queue("queued", {"decisions": decisions, "label": label, "titles": titles, "by": reviewer()})
    for item_id in decisions:
        st.session_state.pop(f"panel-{item_id}", None)


def _title(item: dict[str, Any]) -> str:
    return str(item.get("title") or item["action"])


def _approve(item: dict[str, Any]) -> None:
    checked = bool(st.session_state.get(f"checked-{item['id']}"))
    _submit({item["id"]: _approval(item, checked)}, "approve", {item["id"]: _title(item)})


def _edit(item: dict[str, Any], fields: list[str]) -> None:
    item_id = item["id"]
    args = {name: st.session_state.get(f"edit-{name}-{item_id}", "") for name in fields}
    # The edit is checked again before it can go out: a fact the product's knowledge does not
    # support is shown first (if the person has not seen it yet), and needs "I checked these".
    flagged = _flagged_sentences(_draft_checks(item, args))
    if flagged - set(st.session_state.get(f"edit-shown-{item_id}", ())):
        flash("warning", "Your edit has facts the knowledge base does not support: see below.")
        return
    if flagged and not st.session_state.get(f"edit-checked-{item_id}"):
        flash("warning", "Tick 'I checked the flagged facts of my edit' first.")
        return
    _submit(
        {item_id: {"type": "edit", "args": args, "seen": item["content_hash"]}},
        "edit",
        {item_id: _title(item)},
    )


def _flagged_sentences(checks: list[dict[str, Any]]) -> set[str]:
    return {c["sentence"] for c in checks if c["status"] == "unsupported"}


def _draft_checks(item: dict[str, Any], args: dict[str, Any]) -> list[dict[str, Any]]:
    """The draft's sentences checked against the product's knowledge (empty if it cannot be)."""
    try:
        return signoff().check_draft(item["thread_id"], args)
    except SignoffError:
        return []


def post_limit() -> int | None:
    """The character limit of the social network the posts go to."""
    from tools.registry import get_tool

    return get_tool("publish_post").limits_for(signoff().settings).get("max_chars")


def _revise(item: dict[str, Any]) -> None:
    feedback = str(st.session_state.get(f"revise-feedback-{item['id']}", "")).strip()
    _submit(
        {item["id"]: {"type": "revise", "feedback": feedback, "seen": item["content_hash"]}},
        "revise",
        {item["id"]: _title(item)},
    )


def _reject(item: dict[str, Any]) -> None:
    item_id = item["id"]
    reason = st.session_state.get(f"reject-reason-{item_id}")
    if reason not in REJECT_REASONS:  # none picked: nothing recorded, the form says what it needs
        st.session_state[f"reject-unpicked-{item_id}"] = True
        return
    st.session_state.pop(f"reject-unpicked-{item_id}", None)
    comment = str(st.session_state.get(f"reject-comment-{item_id}", "")).strip()
    _submit(
        {
            item_id: {
                "type": "reject",
                "reason": reason,
                "comment": comment,
                "seen": item["content_hash"],
            }
        },
        "reject",
        {item_id: _title(item)},
    )


def _toggle_panel(item_id: str, panel: str) -> None:
    key = f"panel-{item_id}"
    st.session_state[key] = None if st.session_state.get(key) == panel else panel
    st.session_state.pop(f"reject-unpicked-{item_id}", None)  # a reopened form starts afresh


def _decide_batch(q: dict[str, Any], feed: Any) -> list[dict[str, Any]]:
    b = q["batch"]
    result = signoff().decide_batch(
        b["thread"],
        b["name"],
        dict(b.get("decision") or {"type": "approve"}),
        exclude=b["exclude"],
        checked=b["checked"],
        by=q["by"],
        on_progress=feed,
    )
    q["decisions"] = result["decisions"]
    q["titles"] = {i: q["title"] for i in result["decisions"]}
    q["held_back"] = result.get("held_back", [])
    return list(result["summaries"])


def _decide(q: dict[str, Any], feed: Any) -> list[dict[str, Any]]:
    """One queued submission: a whole batch, or the decisions it names."""
    if q.get("batch"):
        return _decide_batch(q, feed)
    return list(signoff().decide_many(q["decisions"], by=q["by"], on_progress=feed))


def _to_page(number: int) -> None:
    st.session_state["inbox-page"] = max(1, number)


def _queue_outbox(kind: str, key: str, title: str) -> None:
    queue("outbox-queue", {"kind": kind, "key": key, "title": title, "by": reviewer()})


WORKING = {
    "approve": "Approving: {title}…",
    "edit": "Applying your edits: {title}…",
    "revise": "Sending back to the writer: {title}…",
    "reject": "Rejecting: {title}…",
}
QUEUED = {
    "approve": "Approved — {title} goes out in a moment.",
    "edit": "Approved with your edits — {title} goes out in a moment.",
    "revise": "Sent back — the writer is redrafting {title}; the redraft comes back to your inbox.",
    "reject": "Rejected — {title} will not go out.",
}
DONE = {
    "approve": "Approved — {title} went out.",
    "edit": "Approved with your edits — {title} went out.",
    "revise": "Sent back — the redraft of {title} is in your inbox.",
    "reject": "Rejected — {title} will not go out.",
}


def apply_queued() -> None:
    """Apply the submissions queued by clicks: one `decide_many` call each."""
    apply_each("queued", _apply_one)


def _apply_one(q: dict[str, Any]) -> None:
    """One queued submission: recorded, its messages queued, the page redrawn."""
    decisions = q["decisions"]
    n = len(decisions)
    kind = q["label"]
    name = next(iter(q["titles"].values())) if n == 1 else count(n, "draft")
    if q.get("batch"):
        name = f"every waiting draft of {q['title']}"
    try:
        if n == 1 and not q.get("batch"):  # does it wait out a hold window once approved?
            q["hold_seconds"] = {
                i["id"]: i.get("hold_seconds") or 0 for i in signoff().items(list(decisions))
            }
        # Recorded at once; what follows runs in a worker (ui/progress.py shows it).
        with st.spinner(WORKING.get(kind, "Deciding: {title}…").format(title=name)):
            result = _decide(q, None)
            done("queued", q)  # recorded: a run stopped from here on must not lose it
        jobs = [int(s["job"]) for s in result if "job" in s]
        said = _done_message(result, q)  # what was recorded, at once
        # what the worker's run did, once it ended (read back from the campaigns then)
        report = lambda result=result, q=q: _done_message(_refreshed(result), q, ran=True)  # noqa: E731
        # a card (or a whole batch) says it in its receipt, in its place; the rest above the list
        if not receipts.record(q, said, jobs, report, result):
            flash(*said)
            progress.when_done(jobs, report)
    except AlreadyDecided as err:
        if not receipts.record_refused(q, err):
            st.info(title_case(str(err)), icon=":material/info:")
    except InvalidDecision as err:
        st.error(str(err))
    except Busy as err:
        st.warning(str(err))
    except NotFound as err:
        st.warning(str(err))
    except SignoffError as err:
        st.error(str(err))
    except Exception as err:  # a connector or the model failed
        st.error(
            f"Your decision was recorded but could not be applied: {err}. "
            "Open the campaign to see where it stopped."
        )
    else:
        st.rerun()


def apply_outbox_queue() -> None:
    """In-doubt and failed actions: mark sent, send again, retry."""
    if apply_each("outbox-queue", _apply_outbox):
        st.rerun()


def _apply_outbox(q: dict[str, Any]) -> None:
    """One queued mark-sent, send-again or retry, its message queued."""
    try:
        with st.spinner(f"{q['title']}…"):
            if q["kind"] == "retry":
                result = signoff().retry_action(q["key"], by=q["by"])
            else:
                result = signoff().settle(q["key"], q["kind"], by=q["by"])
            done("outbox-queue", q)  # settled: a run stopped from here on must not lose it
    except SignoffError as err:
        flash("error", str(err))
    except Exception as err:  # the connector failed again
        flash("error", f"{q['title']}: it failed again ({err}).")
    else:
        if result.get("status") == "failed":
            error = (result.get("detail") or {}).get("error") or "no reason given"
            flash("error", f"{q['title']} failed again: {error}")
            return
        flash(
            "success",
            {
                "mark_sent": f"Marked as sent — {q['title']} will not be sent again.",
                "send_again": f"Sent again — {q['title']}.",
                "retry": f"Tried again — {q['title']}.",
            }[q["kind"]],
        )


def _results(summaries: list[dict[str, Any]], ids: set[str]) -> dict[str, dict[str, Any]]:
    """Per decided id: its action's hold and outcome, read back from its campaign."""
    found: dict[str, dict[str, Any]] = {}
    for summary in summaries:
        try:
            campaign = signoff().campaign(summary["thread_id"])
        except SignoffError:
            continue
        holds = {h["action_id"]: h for h in campaign.get("holds", [])}
        outcomes = {o["action_id"]: o for o in campaign["outcomes"]}
        for d in campaign["decisions"]:
            if d["interrupt_id"] in ids:
                aid = d["action_id"]
                found[d["interrupt_id"]] = {"hold": holds.get(aid), "outcome": outcomes.get(aid)}
    return found


def _refreshed(summaries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The campaigns' summaries now (after the worker's run), keeping who still must approve."""
    fresh = []
    for s in summaries:
        try:
            now = signoff().summary(s["thread_id"])
        except SignoffError:
            now = {k: v for k, v in s.items() if k != "job"}
        fresh.append({**now, "waiting_for": s.get("waiting_for", {})})
    return fresh


def _done_message(
    summaries: list[dict[str, Any]], q: dict[str, Any], *, ran: bool = False
) -> tuple[str, str]:
    """What happened, read back from the campaigns (the holds and outcomes of these actions);
    before a queued run ended (`ran` False and a summary names its job): what was recorded."""
    decisions = q["decisions"]
    if q.get("batch") and q["label"] == "revise":
        if ran:
            return "success", (
                f"Sent back — the redraft of the template of {q['title']} is in your inbox, "
                f"for {count(len(decisions), 'contact')}."
            )
        return "info", (
            f"Sent back — the writer is redrafting the template of {q['title']} for "
            f"{count(len(decisions), 'contact')}; the redraft comes back to your inbox as one "
            "batch."
        )
    if q.get("held_back"):
        level, message = _done_many(summaries, q) if len(decisions) > 1 else ("success", "")
        kept = count(len(q["held_back"]), "draft")
        return "warning", (
            f"{message} {kept} with links or contacts you did not give stayed in your inbox: "
            "open them one by one."
        ).strip()
    if len(decisions) > 1 and not ran and any("job" in s for s in summaries):
        if q["label"] in ("approve", "edit") and (behind := _behind_many(summaries, q)):
            return "info", behind
        return "info", (
            f"Recorded {count(len(decisions), 'decision')} — what follows (sending, redrafting) "
            "runs in the background; progress shows above."
        )
    if len(decisions) > 1:
        return _done_many(summaries, q)
    item_id, decision = next(iter(decisions.items()))
    title = q["titles"][item_id]
    kind = decision["type"]
    message = DONE[kind].format(title=title)
    still = next(
        (s["waiting_for"][item_id] for s in summaries if item_id in s.get("waiting_for", {})), None
    )
    if still:
        return "info", f"Your approval is recorded — {title} still {'; '.join(still)}."
    if not ran and any("job" in s for s in summaries):  # a worker carries it out
        hold = (q.get("hold_seconds") or {}).get(item_id) or 0
        ahead = _behind(summaries, item_id) if kind in ("approve", "edit") else None
        if ahead is not None:  # one run per campaign: it goes with the run after this one
            then = (
                f"it then waits {duration(hold)} before it goes out, and you can cancel it on "
                "the Scheduled page"
                if hold
                else "it then goes out"
            )
            return "info", (
                f"Approved — your approval of {title} is recorded. The campaign is still "
                f"{ahead['busy']}: {title} is scheduled as soon as that finishes; {then}."
            )
        if kind in ("approve", "edit") and hold:
            return "info", (
                f"Approved — {title} is scheduled: it goes out in {duration(hold)} unless you "
                "cancel it on the Scheduled page."
            )
        return "info", QUEUED[kind].format(title=title)
    if kind not in ("approve", "edit"):
        return "success", message
    result = _results(summaries, {item_id}).get(item_id, {})
    hold, outcome = result.get("hold"), result.get("outcome")
    if hold:
        return "success", (
            f"Approved — {title} is scheduled: it goes out in {duration(hold['seconds_left'])} "
            "unless you cancel it on the Scheduled page."
        )
    if outcome is None:
        return "info", f"Recorded — {title} goes out when the rest of its batch is decided."
    if outcome["status"] != "executed":
        return "warning", (
            f"{title_case(title)} was approved but did not go out "
            f"({outcome['status'].replace('_', ' ')}). Open the campaign for details."
        )
    detail = outcome.get("detail") or {}
    if detail.get("transport") == "maildir":
        return "success", message + " Delivered to the Maildir outbox."
    if detail.get("transport") == "feed":
        return "success", message + f" Posted to the feed (line {detail.get('line')})."
    return "success", message


def _behind(summaries: list[dict[str, Any]], item_id: str) -> dict[str, Any] | None:
    """The approval of `item_id` if it waits for another run of its campaign to end (a
    send-back's redraft): recorded, but scheduled only after that run."""
    for thread_id in {str(s["thread_id"]) for s in summaries if s.get("thread_id")}:
        try:
            waiting = signoff().approvals_waiting(thread_id)
        except SignoffError:
            continue
        found = next((w for w in waiting if w["id"] == item_id), None)
        if found is not None:
            return found
    return None


def _behind_many(summaries: list[dict[str, Any]], q: dict[str, Any]) -> str:
    """Several approvals in one submission ("Approve all", a selection) whose campaign is busy
    with another run (a send-back's redraft): one line per such campaign, not per draft; the
    approvals of campaigns that are not busy go on in the background. Empty when none waits."""
    decided = set(q["decisions"])
    lines: list[str] = []
    behind = 0
    for thread_id in dict.fromkeys(str(s["thread_id"]) for s in summaries if s.get("thread_id")):
        try:
            waiting = signoff().approvals_waiting(thread_id)
        except SignoffError:
            continue
        if not waiting:
            continue
        if (q.get("batch") or {}).get("thread") == thread_id:
            n = len(decided)  # the batch's one decision: every draft it approved waits with it
        else:
            n = sum(1 for w in waiting if w["id"] in decided)
        if not n:
            continue
        behind += n
        first = waiting[0]
        hold = max(int(w.get("hold_seconds") or 0) for w in waiting)
        they = "it" if n == 1 else "they"
        then = (
            f"then {they} {'waits' if n == 1 else 'wait'} {duration(hold)} on the Scheduled "
            "page, where you can cancel"
            if hold
            else f"then {they} {'goes' if n == 1 else 'go'} out"
        )
        lines.append(
            f"{plain(first.get('campaign') or 'Campaign')}: {count(n, 'approved draft')} "
            f"{'is' if n == 1 else 'are'} scheduled as soon as the campaign finishes "
            f"{first['busy']}; {then}."
        )
    if not lines:
        return ""
    rest = len(decided) - behind
    tail = (
        [
            f"The other {count(rest, 'draft')} {'goes' if rest == 1 else 'go'} on in the "
            "background; progress shows above."
        ]
        if rest > 0
        else []
    )
    head = f"Approved — {count(len(decided), 'approval')} recorded."
    return "  \n".join([head, *lines, *tail])


def _done_many(summaries: list[dict[str, Any]], q: dict[str, Any]) -> tuple[str, str]:
    decisions = q["decisions"]
    kind = next(iter(decisions.values()))["type"]
    verb = {"approve": "Approved", "reject": "Rejected"}.get(kind, "Decided")
    parts = [f"{verb} {count(len(decisions), 'draft')} in one go."]
    if kind == "approve" and q.get("batch"):  # one decision for the batch: its one outcome
        done = signoff().batch_result(q["batch"]["thread"])
        sent = int(((done["outcome"] or {}).get("detail") or {}).get("executed", 0))
        if sent:
            parts.append(f"{count(sent, 'action')} went out.")
        elif done["hold"]:
            held = int(done["hold"]["payload"].get("batch_size") or len(decisions))
            parts.append(f"{count(held, 'action')} scheduled: cancel on the Scheduled page.")
        elif done["open"]:
            parts.append(f"{len(decisions)} wait for the rest of their batch.")
    elif kind == "approve":
        results = _results(summaries, set(decisions))
        sent = sum(
            1
            for r in results.values()
            if r["outcome"] is not None and r["outcome"]["status"] == "executed"
        )
        held = sum(1 for r in results.values() if r["hold"])
        waiting = sum(1 for r in results.values() if not r["hold"] and r["outcome"] is None)
        if sent:
            parts.append(f"{count(sent, 'action')} went out.")
        if held:
            parts.append(f"{count(held, 'action')} scheduled: cancel on the Scheduled page.")
        if waiting:
            parts.append(f"{waiting} wait for the rest of their batch.")
    return "success", " ".join(parts)


def title_case(text: str) -> str:
    return text[:1].upper() + text[1:]
