"""A receipt as the Inbox draws it (one line, the page's message about it, its run while it goes,
Cancel while the approved send is held), the script that keeps it at its card's height, Cancel's
click queue, and the watch that redraws the page when something it shows was decided elsewhere.
What a receipt holds, and the list it stands in: ui/views/inbox_receipt.py."""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from graphs.errors import AlreadyDecided, SignoffError
from ui import progress
from ui.clicks import apply_each, done, queue
from ui.state import plain, reviewer, signoff
from ui.views.inbox_receipt import LIST, RECEIPTS, VERBS, hm

CANCELS = "receipt-queue"  # Cancel clicks on receipts, applied by the next run
WATCH_S = 3  # how often the page asks whether anything it shows was decided elsewhere

ICONS = {
    "approve": ":material/check_circle:",
    "edit": ":material/edit_note:",
    "revise": ":material/undo:",
    "reject": ":material/block:",
    "expire": ":material/timer_off:",
}
# Keeps each receipt at the height its card had: every card's and batch's height is noted as the
# page changes; a receipt that takes a card's place gets that height before the browser paints.
# A fixed height (a minimum and a maximum: the container is a flex item), not only a minimum:
# until the run that drew the receipt ends, Streamlit leaves the card's old elements in the same
# container below the receipt's (measured: 16 px taller for a moment, in one run of three). A
# receipt taller than its card scrolls inside it. No `//` comments in the script: the page may
# join its lines. Static text (nothing from the page's data), run once per browser tab.
KEEP_HEIGHTS = """
<script>
(() => {
  const w = window;
  if (w.__signoffKeepHeights) return;
  w.__signoffKeepHeights = true;
  const heights = new Map();
  const ENTRY = /(?:^|\\s)st-key-((?:card|batch)-\\S+)/;
  const RECEIPT = /(?:^|\\s)st-key-receipt-(\\S+)/;
  const keep = () => {
    for (const el of document.querySelectorAll('[class*="st-key-card-"],[class*="st-key-batch-"]')) {
      const m = ENTRY.exec(el.className);
      const h = m && el.getBoundingClientRect().height;
      if (h > 0) heights.set(m[1], h);
    }
    for (const el of document.querySelectorAll('[class*="st-key-receipt-"]')) {
      const m = RECEIPT.exec(el.className);
      const h = m && heights.get(m[1]);
      if (h && el.style.minHeight !== h + "px") {
        el.style.minHeight = h + "px";
        el.style.maxHeight = h + "px";
        el.style.overflowY = "auto";
      }
    }
  };
  new MutationObserver(keep).observe(document.body, {
    childList: true, subtree: true, attributes: true, attributeFilter: ["class"],
  });
  w.addEventListener("resize", keep);
  keep();
})();
</script>
"""


def keep_heights() -> None:
    """The script above, in a place every run draws (it takes no room)."""
    st.html(KEEP_HEIGHTS, unsafe_allow_javascript=True)


# -- Cancel on a receipt ---------------------------------------------------------------------
def _queue_cancel(key: str, hold_id: str) -> None:
    queue(CANCELS, {"key": key, "hold": hold_id, "by": reviewer()})


def apply_cancels() -> None:
    """Apply the Cancel clicks on receipts: each through the runtime's `cancel` (the same call
    as the Scheduled page's Cancel; first of cancel, send now and release wins)."""
    if apply_each(CANCELS, _cancel_one):
        st.rerun()


def _cancel_one(q: dict[str, Any]) -> None:
    receipt = (st.session_state.get(RECEIPTS) or {}).get(q["key"])
    entry = (st.session_state.get(LIST) or {}).get("entries", {}).get(q["key"])
    try:
        summary = signoff().cancel(q["hold"], by=q["by"])
        done(CANCELS, q)  # recorded: a run stopped from here on must not lose it
    except AlreadyDecided as err:
        if receipt is not None:
            gone = {"release": "released", "send_now": "sent", "cancel": "cancelled"}
            who = "the scheduler" if err.by == "scheduler" else err.by
            receipt["level"], receipt["message"] = (
                "warning",
                f"Too late to cancel: {who} {gone.get(err.decision, err.decision)} it at "
                f"{hm(err.at)}. Nothing was changed.",
            )
            receipt.pop("final", None)
        return
    except SignoffError as err:
        if receipt is not None:
            receipt["level"], receipt["message"] = "error", str(err)
        return
    if receipt is None or entry is None:
        return
    said = f"Cancelled — {entry['what']} will not go out."
    receipt.update(
        cancelled={"by": q["by"], "at": time.time()},
        hold=None,
        level="info" if "job" in summary else "success",
        message=said,
        jobs=[int(summary["job"])] if "job" in summary else [],
        report=lambda said=said: ("success", said),
    )
    receipt.pop("final", None)


def _fate_words(receipt: dict[str, Any]) -> str:
    """The end of the receipt's line: what became of it, in a few words."""
    kind = receipt["kind"]
    if kind == "reject":
        return "it will not go out"
    if kind == "revise":
        return "the redraft comes back to your inbox"
    if kind == "expire":
        return "it will not go out"
    if kind not in ("approve", "edit"):
        return "no longer waiting"
    if receipt.get("cancelled"):
        return f"cancelled by {receipt['cancelled']['by']} — it will not go out"
    if receipt.get("hold"):
        return f"sends at {hm(receipt['hold']['release_at'])}"
    outcome = receipt.get("outcome")
    if outcome is not None:
        if outcome.get("status") == "executed":
            return "sent"
        if outcome.get("status") == "cancelled":
            return "cancelled — it will not go out"
        return f"did not go out ({str(outcome.get('status', '')).replace('_', ' ')})"
    if receipt.get("running") or receipt.get("jobs"):
        return "going out in a moment"
    return "waiting to go out"


def render_receipt(key: str) -> None:
    """The receipt in the entry's place: one line, the page's message about it, its run while
    it goes, and Cancel while the approved send is held."""
    receipt = st.session_state[RECEIPTS][key]
    entry = st.session_state[LIST]["entries"][key]
    kind = receipt["kind"]
    verb = VERBS.get(kind, "No longer waiting")
    by = f"by {receipt['by']}" if receipt.get("by") else ""
    if receipt.get("elsewhere") and receipt.get("by"):
        by += f" at {hm(receipt['at'])}, not on this page"
    parts = [
        f"**{verb}**",
        f"{entry['icon']} {plain(entry['what'])}",
        plain(by),
        plain(_fate_words(receipt)),
    ]
    with st.container(border=True, key=f"receipt-{key}"):
        st.markdown(f"{ICONS.get(kind, ':material/info:')} " + " · ".join(p for p in parts if p))
        if receipt.get("message"):
            level = receipt.get("level", "info")
            show = {"success": st.success, "info": st.info, "warning": st.warning}.get(
                level, st.error
            )
            show(receipt["message"], icon=":material/check_circle:" if level == "success" else None)
        workers = len(signoff().workers()) if receipt.get("running") else 0
        for job in receipt.get("running") or []:
            progress.draw(job, workers=workers, behind=bool(job.get("behind")))
        hold = receipt.get("hold")
        if hold and not receipt.get("cancelled"):
            size = int(hold.get("size") or 0)
            st.button(
                f"Cancel all {size:,}" if size > 1 else "Cancel the send",
                key=f"receipt-cancel-{key}",
                icon=":material/cancel:",
                on_click=_queue_cancel,
                args=(key, hold["id"]),
                help=f"It is held until {hm(hold['release_at'])}: cancel it and it never goes "
                "out. Recorded in the audit log.",
            )


@st.fragment(run_every=WATCH_S)
def watch(seen: tuple[int, int]) -> None:
    """Every few seconds, one COUNT query: when the number of drafts waiting or of held sends
    changed (someone decided one elsewhere, a hold was released), the page is drawn again, so a
    card decided elsewhere becomes its receipt instead of staying there to be clicked."""
    counts = signoff().counts()
    if (counts["pending"], counts["holds"]) != seen:
        st.rerun(scope="app")
