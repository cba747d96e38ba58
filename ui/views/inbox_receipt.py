"""A decided card leaves a receipt in its place: what was decided, on what, by whom, and what
became of it ("Approved · Email «A warmer home» · by Ann · sends at 10:42 UTC"), with Cancel
while an approved send is still held.

Why: a decided card used to vanish on the next redraw and every card below moved up by a card's
height; a reviewer working down the list with the pointer where the next card's Approve button
was found another card's button under it. So the Inbox keeps the list it showed (its order, in
the session) until it is read again for another reason (a filter, another page of the list,
another page of the app, a reload): an entry that no longer waits is drawn as its receipt, in
the same place, and a small script in the page gives the receipt the height the card had (the
browser keeps the last height of every card), so nothing below it moves.

A card decided elsewhere (another reviewer, the CLI) while the page is open becomes a receipt
too, saying who decided it: the page asks every few seconds whether anything it shows was
decided (`watch`), and a click on the card before that is refused by the runtime ("already
decided by …"), which the receipt then says.

Here: what a receipt holds and the list it stands in; how a receipt is drawn, its Cancel, the
height script and the watch: ui/views/inbox_receipt_view.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import streamlit as st

from graphs.errors import AlreadyDecided, SignoffError
from graphs.humanize import clip, duration
from ui.state import ACTION_ICONS, flash, short_id, signoff
from ui.stopped import NOTHING_LOST, what_happened

LIST = "inbox-list"  # the list the page showed: {"sig", "order", "entries"}
RECEIPTS = "inbox-receipts"  # entry key → its receipt
OPEN = ("queued", "running")

VERBS = {
    "approve": "Approved",
    "edit": "Edited and approved",
    "revise": "Sent back with your notes",
    "reject": "Rejected",
    "expire": "Expired",
}


# -- the list as it was shown ------------------------------------------------------------------
def entry_key(item: dict[str, Any]) -> str:
    """A list entry's key, the same as its container's: 'card-<id>', or 'batch-<batch>'."""
    if item.get("batch") and not (item.get("open", 1) == 1 and (item.get("batch_size") or 1) <= 1):
        return f"batch-{short_id(item['thread_id'])}-{item['batch']}"
    return f"card-{item['id']}"


def batch_entry(thread_id: str, name: str) -> str:
    return f"batch-{short_id(thread_id)}-{name}"


def what(item: dict[str, Any], *, batch: int = 0) -> str:
    """What a person calls it: 'Email «A warmer home for less»', '25 emails «…»', 'Post «…»'."""
    args = item.get("args") or {}
    if item.get("action") == "send_email":
        noun = f"{batch:,} emails" if batch > 1 else "Email"
        return f"{noun} «{clip(str(args.get('subject') or ''), 60)}»"
    if item.get("action") == "publish_post":
        return f"Post «{clip(str(args.get('text') or ''), 48)}»"
    if item.get("action") == "publish_page":
        return f"Page «{clip(str(args.get('title') or ''), 60)}»"
    return str(item.get("title") or str(item.get("action", "action")).replace("_", " ").title())


def _describe(item: dict[str, Any]) -> dict[str, Any]:
    batch = int(item.get("open") or 1) if entry_key(item).startswith("batch-") else 0
    return {
        "what": what(item, batch=batch),
        "action": item.get("action"),
        "icon": ACTION_ICONS.get(item.get("action", ""), ":material/bolt:"),
        "thread_id": item["thread_id"],
        "action_id": item.get("action_id"),
        "item_id": item["id"],
        "batch": item.get("batch") if batch else None,
    }


def forget() -> None:
    """The list will be read again (another page of the app): no receipt outlives it."""
    st.session_state.pop(LIST, None)
    st.session_state.pop(RECEIPTS, None)


def kept(sig: tuple[Any, ...]) -> bool:
    """Did the page show a list under `sig` (filters, page of the list)? Then its entries keep
    their places (decided ones as receipts), even when none of them waits any more."""
    shown = st.session_state.get(LIST)
    return bool(shown and shown["sig"] == sig and shown["order"])


def any_kept() -> bool:
    """Is a list on the page (its receipts keep the filters there when nothing else waits)?"""
    shown = st.session_state.get(LIST)
    return bool(shown and shown["order"])


def arrange(items: list[dict[str, Any]], sig: tuple[Any, ...]) -> list[tuple[str, Any]]:
    """The entries to draw, in the order the page showed them: ("live", item) for what still
    waits, ("receipt", key) for what was decided since; new entries go below. A new `sig` (a
    filter, another page of the list) starts a new list, without receipts."""
    current = {entry_key(i): i for i in items}
    shown = st.session_state.get(LIST)
    if shown is None or shown["sig"] != sig:
        st.session_state[LIST] = {
            "sig": sig,
            "order": list(current),
            "entries": {k: _describe(i) for k, i in current.items()},
        }
        st.session_state[RECEIPTS] = {}
        return [("live", i) for i in items]
    receipts = st.session_state.setdefault(RECEIPTS, {})
    runtime = signoff()
    for key in shown["order"]:
        if key in current or key in receipts:
            continue
        entry = shown["entries"][key]
        still = _still_waiting(entry)
        if still is not None:  # it only moved to another page of the list: it stays here
            current[key] = still
        else:
            receipts[key] = _decided_elsewhere(runtime, entry)
            _resolve(runtime, key, receipts[key], entry)  # what became of it: held, sent…
    drawn: list[tuple[str, Any]] = []
    for key in shown["order"]:
        if key in current:
            again = receipts.pop(key, None)  # waiting again (a batch's redraft, same name)
            if again is not None and again.get("message") and not again.get("elsewhere"):
                flash(again.get("level", "info"), again["message"])  # said above, once
                st.rerun()
            drawn.append(("live", current[key]))
        else:
            drawn.append(("receipt", key))
    for key, item in current.items():
        if key not in shown["order"]:
            shown["order"].append(key)
            shown["entries"][key] = _describe(item)
            drawn.append(("live", item))
    return drawn


def _still_waiting(entry: dict[str, Any]) -> dict[str, Any] | None:
    runtime = signoff()
    try:
        if entry["batch"]:
            lead = runtime.batch_items(entry["thread_id"], entry["batch"], limit=1)
            if not lead:
                return None
            opened = len(runtime.batch_ids(entry["thread_id"], entry["batch"]))
            return {**lead[0], "open": opened}
        found = runtime.items([entry["item_id"]])
    except SignoffError:
        return None
    return found[0] if found else None


def _decided_elsewhere(runtime: Any, entry: dict[str, Any]) -> dict[str, Any]:
    """The receipt of an entry decided while the page showed it, by someone else or elsewhere."""
    receipt: dict[str, Any] = {"kind": "gone", "by": "", "at": "", "elsewhere": True, "jobs": []}
    try:
        decisions = runtime.campaign(entry["thread_id"])["decisions"]
    except SignoffError:
        decisions = []
    if entry["batch"]:  # the batch's one decision, or the last of its members'
        people = [d for d in decisions if d["decision"].get("type") in VERBS]
        found = people[-1] if people else None
    else:
        found = next((d for d in decisions if d["interrupt_id"] == entry["item_id"]), None)
    if found is not None:
        receipt.update(kind=found["decision"].get("type"), by=found["by"], at=found["at"])
    if receipt["kind"] not in VERBS:
        receipt.update(kind="gone", final=True)
        receipt["level"], receipt["message"] = (
            "info",
            "It no longer waits for anyone: its campaign was stopped or cleared.",
        )
    elif receipt["kind"] == "expire":
        receipt["final"] = True
        receipt["level"], receipt["message"] = "info", "Nobody decided it in time: it expired."
    else:
        receipt["level"], receipt["message"] = (
            "info",
            f"Decided by {receipt['by']} at {hm(receipt['at'])}, not on this page (another "
            "reviewer, or the command line). Nothing for you to do here.",
        )
    return receipt


# -- receipts of this page's own decisions -------------------------------------------------------
def _own_key(q: dict[str, Any]) -> str | None:
    """The list entry a submission decided as a whole (one card; a whole batch), if it is one
    the page shows; None for a part of an entry (a selection of a batch, its sample's card)."""
    shown = st.session_state.get(LIST)
    if not shown:
        return None
    if q.get("batch"):
        b = q["batch"]
        if b.get("exclude") or q.get("held_back"):
            return None  # the rest of the batch still waits: the batch stays
        key = batch_entry(b["thread"], b["name"])
    elif len(q["decisions"]) == 1:
        key = f"card-{next(iter(q['decisions']))}"
    else:
        return None
    return key if key in shown["order"] else None


def record(
    q: dict[str, Any],
    said: tuple[str, str],
    jobs: list[int],
    report: Callable[[], tuple[str, str]],
    summaries: list[dict[str, Any]],
) -> bool:
    """A receipt for this submission, in its entry's place; False if it decided no whole entry
    the page shows, or the entry still waits (an approval that needs another person's): then
    the page's message says it, above the list, as before."""
    key = _own_key(q)
    if key is None or any(i in s.get("waiting_for", {}) for s in summaries for i in q["decisions"]):
        return False
    decision: dict[str, Any] = next(iter(q["decisions"].values()), {}) if not q.get("batch") else {}
    entry = st.session_state[LIST]["entries"][key]
    if decision.get("type") == "edit":  # what goes out is the edited version
        entry["what"] = what({"action": entry.get("action"), "args": decision.get("args")})
    st.session_state.setdefault(RECEIPTS, {})[key] = {
        "kind": q["label"],
        "by": q["by"],
        "at": time.time(),
        "level": said[0],
        "message": said[1],
        "jobs": list(jobs),
        "report": report,
    }
    return True


def record_refused(q: dict[str, Any], err: AlreadyDecided) -> bool:
    """The card was decided before this click (elsewhere): its receipt says by whom."""
    key = _own_key(q)
    if key is None:
        return False
    st.session_state.setdefault(RECEIPTS, {})[key] = {
        "kind": err.decision,
        "by": err.by,
        "at": err.at,
        "elsewhere": True,
        "level": "info",
        "message": f"{str(err)[:1].upper()}{str(err)[1:]}",
        "jobs": [],
    }
    return True


# -- what became of it ---------------------------------------------------------------------------
def _resolve(runtime: Any, key: str, receipt: dict[str, Any], entry: dict[str, Any]) -> None:
    """Its run's report once the run ended; then, for an approval, its hold or its outcome."""
    if receipt.get("final"):
        return
    receipt["running"] = []
    if receipt["jobs"]:
        found = [runtime.job(j) for j in receipt["jobs"]]
        running = [j for j in found if j is not None and j["status"] in OPEN]
        if running:
            going = {  # one run per campaign at a time: a queued one may wait for another
                j["thread_id"] for j in runtime.queue_status()["open"] if j["status"] == "running"
            }
            receipt["running"] = [
                {
                    **runtime.job_view(j),
                    "behind": j["status"] == "queued" and j["thread_id"] in going,
                }
                for j in running
            ]
            return
        failed = [j for j in found if j is not None and j["status"] == "failed"]
        if failed:
            error = str(failed[0].get("error") or "")
            said = " ".join(s for s in (what_happened(error), NOTHING_LOST) if s)
            receipt["level"], receipt["message"] = (
                "error",
                f"It stopped part-way. {said} Retry it from the Inbox.",
            )
        elif receipt.get("report") is not None:
            receipt["level"], receipt["message"] = receipt["report"]()
        receipt["jobs"] = []
    if receipt["kind"] not in ("approve", "edit"):
        receipt["final"] = True
        return
    was_held = bool(receipt.get("hold"))
    hold, outcome = _fate(runtime, entry)
    receipt["hold"] = hold
    receipt["outcome"] = outcome
    if outcome is not None:
        receipt["final"] = True
    if entry["batch"] or receipt.get("cancelled"):
        return  # a batch's message counts its sends; a cancel from here said it already
    title = entry["what"]
    verb = "Approved with your edits" if receipt["kind"] == "edit" else "Approved"
    if hold is not None:  # said again on each run, so the time left is never stale
        left = max(0.0, hold["release_at"] - time.time())
        receipt["level"], receipt["message"] = (
            "success",
            f"{verb} — {title} is scheduled: it goes out in {duration(left)} unless you cancel "
            "it (here, or on the Scheduled page).",
        )
    elif was_held and outcome is not None:  # released, sent now or cancelled meanwhile
        receipt["level"], receipt["message"] = (
            ("success", f"{verb} — {title} went out.")
            if outcome.get("status") == "executed"
            else ("info", f"Cancelled — {title} will not go out.")
            if outcome.get("status") == "cancelled"
            else (
                "warning",
                f"{title} did not go out ({str(outcome.get('status', '')).replace('_', ' ')}). "
                "Open the campaign for details.",
            )
        )


def _fate(
    runtime: Any, entry: dict[str, Any]
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The approved action's hold (id, release time, how many) and its outcome, read back."""
    try:
        if entry["batch"]:
            result = runtime.batch_result(entry["thread_id"])
            row = result["hold"]
            hold = (
                {
                    "id": row["interrupt_id"],
                    "release_at": float(row["payload"]["release_at"]),
                    "size": int(row["payload"].get("batch_size") or 0),
                }
                if row
                else None
            )
            return hold, result["outcome"]
        holds = [
            h
            for h in runtime.holds()
            if h["thread_id"] == entry["thread_id"] and h["action_id"] == entry["action_id"]
        ]
        if holds:
            return {"id": holds[0]["id"], "release_at": float(holds[0]["release_at"])}, None
        outcomes = runtime.campaign(entry["thread_id"])["outcomes"]
    except SignoffError:
        return None, None
    return None, next((o for o in outcomes if o["action_id"] == entry["action_id"]), None)


def refresh() -> None:
    """Bring the receipts of the list up to date (once per page run, before they are drawn)."""
    receipts = st.session_state.get(RECEIPTS) or {}
    shown = st.session_state.get(LIST)
    if not receipts or not shown:
        return
    runtime = signoff()
    for key, receipt in receipts.items():
        if key in shown["entries"]:
            _resolve(runtime, key, receipt, shown["entries"][key])


def running_jobs() -> list[int]:
    """Runs the receipts show (the page's progress panel leaves them out, and polls them)."""
    return [j for r in (st.session_state.get(RECEIPTS) or {}).values() for j in r.get("jobs", [])]


def hm(value: Any) -> str:
    """'10:42 UTC' for today, '2026-11-21 10:42 UTC' for another day."""
    if isinstance(value, int | float):
        stamp = time.gmtime(float(value))
        day, hm = time.strftime("%Y-%m-%d", stamp), time.strftime("%H:%M", stamp)
    else:
        text = str(value or "")
        day, _, rest = text.partition("T")
        hm = rest[:5]
    today = time.strftime("%Y-%m-%d", time.gmtime())
    return f"{hm} UTC" if day == today else f"{day} {hm} UTC"
