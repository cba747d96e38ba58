"""What every page shares: the one runtime per server, page paths and small rendering helpers.

Pages render; they call the `Signoff` facade and nothing else (no prompts, no SQL, no graph
wiring). `st.session_state` only ever holds UI state (which panel is open, a queued click, a flash
message); everything shown is read back from the facade.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from graphs.humanize import duration

if TYPE_CHECKING:  # the runtime (LangGraph, storage, connectors) is imported when first opened
    from graphs.runtime import Signoff

log = logging.getLogger(__name__)


# Paths relative to ui/app.py, usable with st.page_link / st.switch_page.
PAGE_NEW = "views/new_campaign.py"
PAGE_INBOX = "views/inbox.py"
PAGE_CAMPAIGN = "views/campaign.py"
PAGE_SCHEDULED = "views/scheduled.py"
PAGE_ACTIVITY = "views/activity.py"
PAGE_AUTONOMY = "views/autonomy.py"
PAGE_KNOWLEDGE = "views/knowledge.py"

SCHEDULER_ENV = "SIGNOFF_SCHEDULER"  # "off": this server releases no holds (run `signoff worker`)

DEFAULT_REVIEWER = "marketer"

ACTION_ICONS = {
    "send_email": ":material/mail:",
    "publish_post": ":material/campaign:",
    "publish_page": ":material/article:",
    "spend_ads": ":material/payments:",
    "like_post": ":material/thumb_up:",
    "follow_account": ":material/person_add:",
    "repost_post": ":material/repeat:",
}
RISK_COLORS = {"high": "red", "medium": "orange", "low": "green"}
STATUS_LABELS = {
    "waiting": ("Waiting for you", "orange", ":material/hourglass_top:"),
    "running": ("Working on it", "blue", ":material/autorenew:"),
    "scheduled": ("Scheduled", "violet", ":material/schedule:"),
    "done": ("Done", "green", ":material/check_circle:"),
    "error": ("Needs attention", "red", ":material/error:"),
}


def home_path() -> str:
    """The data directory: env SIGNOFF_HOME, default ./.signoff (absolute, so it keys the cache)."""
    return str(Path(os.environ.get("SIGNOFF_HOME", ".signoff")).expanduser().resolve())


def scheduler_enabled() -> bool:
    return os.environ.get(SCHEDULER_ENV, "on").strip().lower() not in ("off", "0", "false", "no")


_OPENED: dict[str, Signoff] = {}  # home → the runtime `get_signoff` opened for it


def opened(home: str) -> Signoff | None:
    """The runtime this server already opened for `home`, or None (nothing is opened for it)."""
    return _OPENED.get(home)


def _release(runtime: Signoff) -> None:
    """Called when the cache drops a runtime (e.g. `get_signoff.clear()`): stop its scheduler."""
    for home, known in list(_OPENED.items()):
        if known is runtime:
            del _OPENED[home]
    try:
        runtime.stop_scheduler()
    except Exception:  # pragma: no cover - stopping is best effort
        log.exception("could not stop the scheduler of %s", getattr(runtime, "home", "?"))


@st.cache_resource(show_spinner="Opening your campaigns…", on_release=_release)
def get_signoff(home: str) -> Signoff:
    """One runtime (database, graph, connectors) per data directory and server process.

    `st.cache_resource` is shared by every session, and by every AppTest in one process: the
    cache key is the home path, so two data directories never share a runtime. The server's
    scheduler (releasing held actions, expiring stale ones) starts here, once per data
    directory, unless SIGNOFF_SCHEDULER=off (then `signoff worker` does it).

    Graph runs (a new campaign, what follows a decision, a retry, a hold's release) go to the
    run queue: workers (`signoff worker`, started by `make run`) run them and the page reads
    their progress from the database (ui/progress.py). The server's scheduler only records
    releases and expiries; it runs nothing.
    """
    from graphs.runtime import Signoff  # seconds of imports: only once the page needs it

    runtime = Signoff(home, queued=True)
    if scheduler_enabled():
        runtime.start_scheduler(runs=False)
    _OPENED[home] = runtime
    return runtime


def signoff() -> Signoff:
    return get_signoff(home_path())


def reviewer() -> str:
    """Who is deciding: the signed-in person's verified email, or in local mode the OS user
    (set by ui/app.py for each run; recorded with every decision)."""
    from ui.auth import current_identity

    name = current_identity()
    if name is None:  # a click from a session that is not signed in (any more)
        st.stop()
    return name


def flash(kind: str, message: str) -> None:
    """A message to show once on the next run (after st.rerun)."""
    st.session_state.setdefault("flash", []).append((kind, message))


def show_flash() -> None:
    for kind, message in st.session_state.pop("flash", []):
        {"success": st.success, "info": st.info, "warning": st.warning, "error": st.error}[kind](
            message, icon={"success": ":material/check_circle:"}.get(kind)
        )


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!$<>|~:])")


def plain(text: Any) -> str:
    """Text written by the model or a person, shown as-is in markdown (no `$…$` maths, no links)."""
    escaped = _MD_SPECIAL.sub(r"\\\1", str(text))
    return escaped.replace("\n", "  \n")


def count(n: int, noun: str, plural: str | None = None) -> str:
    """count(1, 'action') → '1 action'; count(2, 'action') → '2 actions'; count(2, 'entry',
    'entries') → '2 entries'."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def distinct_claims(evidence: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each claim once (a small model repeats itself), with its distinct sources."""
    merged: dict[str, dict[str, Any]] = {}
    for entry in evidence:
        claim = merged.setdefault(entry["claim"].strip(), {"claim": entry["claim"], "sources": []})
        for source in entry["sources"]:
            if source not in claim["sources"]:
                claim["sources"].append(source)
    return list(merged.values())


def short_id(thread_id: str) -> str:
    return thread_id[:8]


def expires_in(expires_at: float | None, now: float | None = None) -> str:
    """'expires in 3 h' / 'expired' / '' (no expiry)."""
    if not expires_at:
        return ""
    left = float(expires_at) - (time.time() if now is None else now)
    return "expired" if left <= 0 else f"expires in {duration(left)}"


def clock(value: Any) -> str:
    """An epoch (float) or ISO-8601 time → '2026-11-21 14:05:09 UTC'."""
    if isinstance(value, int | float):
        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(float(value)))
    text = str(value or "")
    date, _, rest = text.partition("T")
    return f"{date} {rest[:8]} UTC" if rest else date


def when(iso: str | None) -> str:
    """'2026-11-21T12:15:39+00:00' → '2026-11-21 12:15 UTC'."""
    if not iso:
        return ""
    date, _, rest = iso.partition("T")
    return f"{date} {rest[:5]} UTC" if rest else date


def campaign_label(campaign: dict[str, Any]) -> str:
    brief = campaign.get("brief", {})
    status = STATUS_LABELS.get(campaign.get("status", ""), (campaign.get("status", ""),))[0]
    return f"{brief.get('product', '?')} · {when(campaign.get('created_at'))} · {status}"


def status_badge(status: str) -> None:
    label, color, icon = STATUS_LABELS.get(status, (status, "gray", None))
    st.badge(label, color=color, icon=icon)  # type: ignore[arg-type]


class ProgressFeed:
    """Feeds the facade's (step, message) progress lines into an `st.status` box.

    A click or page change while the facade is working makes Streamlit raise a script-control
    exception at the next element it draws. Letting it through would abort the facade half-way
    (a campaign left running, a decision recorded but not applied), so the first one is held
    back here and raised by `done()` once the facade call has returned.
    """

    STEP_ICONS = {
        "researcher": ":material/travel_explore:",
        "writer": ":material/edit_note:",
        "gate": ":material/front_hand:",
        "publisher": ":material/send:",
    }

    def __init__(self, box: Any) -> None:
        self.box = box
        self.lines: list[str] = []
        self._held: ScriptControlException | None = None

    def __call__(self, step: str, message: str) -> None:
        line = f"{self.STEP_ICONS.get(step, ':material/arrow_right:')} {message}"
        self.lines.append(line)
        if self._held is not None:
            return
        try:
            self.box.write(line)
        except ScriptControlException as exc:
            self._held = exc

    def done(self) -> None:
        if self._held is not None:
            held, self._held = self._held, None
            raise held


def run_with_progress(
    label: str,
    call: Callable[[ProgressFeed], Any],
    *,
    done_label: Callable[[Any], str] | None = None,
    then: Callable[[Any], None] | None = None,
    expanded: bool = True,
) -> Any:
    """Run one facade call inside `st.status`, fed by its progress callback.

    `then(result)` runs right after the call returns, before a held-back click is let through
    (so a flash message or the new campaign's id survives the rerun). Returns the call's result;
    on an exception the box turns red and the exception propagates.
    """
    with st.status(label, expanded=expanded) as box:
        feed = ProgressFeed(box)
        try:
            result = call(feed)
        except Exception:
            feed.done()
            box.update(state="error", expanded=True)
            raise
        if then is not None:
            then(result)
        feed.done()
        box.update(
            label=done_label(result) if done_label else label, state="complete", expanded=False
        )
    return result
