"""Runs in the background, shown on the page: what a worker is doing for a campaign, read from
the database every second (`st.fragment(run_every=...)`), never waiting on the model.

A panel polls only while a run is queued or running; when it ends, the fragment reruns the
whole page, which then draws the result (the drafts in the inbox, the campaign's new status).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import streamlit as st

from graphs.humanize import duration
from ui.state import ProgressFeed, flash, plain, signoff
from ui.stopped import NOTHING_LOST, what_happened

POLL_S = 1.0
OPEN = ("queued", "running")
KIND_LABELS = {
    "start": "Researching and drafting",
    "apply": "Carrying out your decisions",
    "retry": "Carrying on where it stopped",
}


def is_open(progress: dict[str, Any] | None) -> bool:
    return bool(progress and progress["status"] in OPEN)


def _seconds(value: float | None) -> str:
    return f"{value:.0f} s" if value is not None and value < 90 else duration(value or 0)


# "Drafting the email… (0 s)": the writer's line when a draft begins; its count never moves
_DRAFTING = re.compile(r"^(?P<head>(?:Re)?[Dd]rafting the (?P<thing>.+?)(?: with your feedback)?…)")
_DRAFTED = re.compile(r"^(?:Re)?[Dd]rafted the (?P<thing>.+?)(?: in | with your feedback|$)")
_STALE_COUNT = re.compile(r"… \(\d+ s\)$")
# the writer's plan: "Drafting the social post, the email and the landing page, each on its own"
_PLAN = re.compile(r"^Drafting (?P<things>.+), each on its own$")
# the publisher's line for an action that ran: "like_post: executed" (graphs/runtime/runs.py)
_OUTCOME = re.compile(r"^(?P<name>[a-z][a-z_]*): (?P<status>[a-z_]+)$")
OUTCOME_WORDS = {
    "executed": "done",
    "failed": "it failed; see the Inbox",
    "in_doubt": "not known whether it went out; see the Inbox",
}
# An open run's box: st.status shows a check mark as soon as the page's script has run (the
# panel polls, so that is most of the time), which read as "done" while it was still working.
RUNNING_ICON = ":material/progress_activity:"


def _once(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each message once, where it first came, with how many times it came (an audience of
    500 writes "Waiting for your decision: Send email" 500 times)."""
    first: dict[tuple[str, str], dict[str, Any]] = {}
    for line in lines:
        key = (str(line.get("step")), str(line.get("message")))
        if key in first:
            first[key]["times"] += 1
        else:
            first[key] = {**line, "times": 1}
    return list(first.values())


def _drafted_later(lines: list[dict[str, Any]], n: int, thing: str) -> bool:
    for later in lines[n + 1 :]:
        done = _DRAFTED.match(str(later["message"]))
        if done and done.group("thing") == thing:
            return True
    return False


def _action_words(name: str, status: str) -> str:
    """'like_post: executed' → 'Like a post: done' (the action's title, as on its card)."""
    from tools.registry import get_tool

    try:
        title = get_tool(name).title
    except (KeyError, ValueError):
        title = name.replace("_", " ").capitalize()
    return f"{title}: {OUTCOME_WORDS.get(status, status.replace('_', ' '))}"


def _lines(progress: dict[str, Any]) -> list[str]:
    """Each progress line as a marketer reads it: a draft still being written says for how
    long so far (the run's clock, not the stale count the line was written with); a draft
    already written says so once (its "Drafting…" line goes); actions by their titles."""
    lines = _once(progress["lines"])[-12:]
    running = progress["status"] == "running" and progress.get("elapsed") is not None
    shown = []
    for n, line in enumerate(lines):
        message = str(line["message"])
        plan = _PLAN.match(message)
        if plan:
            things = re.split(r", | and ", plan.group("things"))
            if len(things) == 1:  # one draft: its own "Drafting the email…" line says it
                continue
        drafting = _DRAFTING.match(message)
        if drafting:
            if _drafted_later(lines, n, drafting.group("thing")):
                continue  # drafted since: the "Drafted the …" line below says so
            message = _STALE_COUNT.sub("…", message)
            since = line.get("elapsed")
            so_far = progress["elapsed"] - since if running and since is not None else 0.0
            if so_far >= 1:
                message += f" {duration(so_far)} so far"
        outcome = _OUTCOME.match(message) if line.get("step") == "publisher" else None
        if outcome:
            message = _action_words(outcome.group("name"), outcome.group("status"))
        if line.get("times", 1) > 1:  # e.g. one review per contact of an audience
            message += f" ({line['times']} times)"
        icon = ProgressFeed.STEP_ICONS.get(line["step"], ":material/arrow_right:")
        shown.append(f"{icon} {plain(message)}")
    return shown


def draw(progress: dict[str, Any], *, workers: int, behind: bool = False) -> None:
    """One run: a status box with its progress lines and elapsed time. `behind`: a run of the
    same campaign is going (one run per campaign at a time): this one starts when it ends."""
    label = KIND_LABELS.get(progress["kind"], "Working")
    if progress["status"] == "queued" and behind:
        label += " — waiting for this campaign's current run to finish"
        state = "running"
    elif progress["status"] == "queued":
        ahead = progress["ahead"]
        label += " — waiting its turn" + (f" ({ahead} ahead)" if ahead else "")
        state = "running"
    elif progress["status"] == "running":
        label += f"… {_seconds(progress['elapsed'])}"
        state = "running"
    elif progress["status"] == "failed":
        label += " — it stopped"
        state = "error"
    else:
        label += f" — done in {_seconds(progress['elapsed'])}"
        state = "complete"
    box = (
        st.expander(label, expanded=True, icon=RUNNING_ICON)
        if state == "running"
        else st.status(label, state=state, expanded=False)  # type: ignore[arg-type]
    )
    with box:
        if progress["status"] == "queued" and not workers:
            st.warning(
                "No background worker is running, so this waits. Whoever runs Signoff starts one "
                "with `make run` (or `make worker`).",
                icon=":material/hourglass_disabled:",
            )
        for line in _lines(progress):
            st.markdown(line)
        if progress["status"] == "failed" and progress.get("error"):
            error = str(progress["error"])
            said = " ".join(s for s in (what_happened(error), NOTHING_LOST) if s)
            st.error(f"{said} Retry it from the Inbox.", icon=":material/error:")
            st.caption(
                ":material/dns: What went wrong, in detail",
                help=f"For whoever runs Signoff: {plain(error)}",
            )


@st.fragment(run_every=POLL_S)
def _live(thread_id: str) -> None:
    runtime = signoff()
    progress = runtime.run_progress(thread_id)
    if not is_open(progress):
        st.rerun()  # the run ended: redraw the page with its result
    assert progress is not None
    draw(progress, workers=len(runtime.workers()))


def campaign_run(thread_id: str) -> bool:
    """The campaign's run while it is queued or running (polled); True when one is open."""
    runtime = signoff()
    progress = runtime.run_progress(thread_id)
    if not is_open(progress):
        if progress:  # the last run, folded: how long it took, or why it stopped
            draw(progress, workers=len(runtime.workers()))
        return False
    _live(thread_id)
    return True


@st.fragment(run_every=POLL_S)
def _live_all(known: tuple[int, ...], pending_then: int, drawn_elsewhere: tuple[int, ...]) -> None:
    runtime = signoff()
    status = runtime.queue_status()
    now_open = tuple(j["id"] for j in status["open"])
    status["open"] = [j for j in status["open"] if j["id"] not in drawn_elsewhere]
    if any(j not in now_open for j in known):
        st.rerun()  # a run ended: its drafts (or outcomes) belong on the page now
    if runtime.counts()["pending"] > pending_then:
        st.rerun()  # a draft is ready while its campaign's other actions are still drafted
    going = {j["thread_id"] for j in status["open"] if j["status"] == "running"}
    for progress in status["open"][:5]:
        behind = progress["status"] == "queued" and progress["thread_id"] in going
        draw(progress, workers=len(status["workers"]), behind=behind)
    if len(status["open"]) > 5:
        st.caption(f"…and {len(status['open']) - 5} more runs in the queue.")


def open_runs(drawn_elsewhere: list[int] | None = None) -> None:
    """Every run queued or running (all campaigns), polled until each ends; and the runs this
    session waits for (`when_done`), so their report shows as soon as they end. Runs in
    `drawn_elsewhere` (the Inbox's receipts show their own) are polled but not drawn here."""
    status = signoff().queue_status()
    awaited = [j for jobs, *_ in st.session_state.get(AFTER) or [] for j in jobs]
    elsewhere = tuple(sorted(drawn_elsewhere or []))
    known = tuple(sorted({j["id"] for j in status["open"]} | set(awaited) | set(elsewhere)))
    if known:
        _live_all(known, signoff().counts()["pending"], elsewhere)


# -- what a queued run did, said once it ended ---------------------------------------------------
AFTER = "after-runs"


def when_done(
    jobs: list[int],
    report: Callable[[], tuple[str, str]],
    *,
    replaces: tuple[str, str] | None = None,
) -> None:
    """Once every job in `jobs` has ended, flash `report()` (level, message): what the run did,
    read back from the campaigns then (the click itself only said what was recorded).

    The report replaces the click's own message (`replaces`; by default the message flashed
    last, which the caller has just said): if that one has not been shown yet (the worker was
    quicker than the page's redraw), it is dropped, so the page never says the same thing twice.
    """
    if not jobs:
        return
    if replaces is None:
        said = st.session_state.get("flash") or []
        replaces = tuple(said[-1]) if said else None
    st.session_state.setdefault(AFTER, []).append((list(jobs), report, replaces))


def report_finished() -> None:
    """Flash the reports of runs that ended since the last page run (call before show_flash)."""
    waiting = st.session_state.get(AFTER) or []
    if not waiting:
        return
    runtime = signoff()
    still = []
    for jobs, report, replaces in waiting:
        found = [runtime.job(j) for j in jobs]
        if any(j is not None and j["status"] in OPEN for j in found):
            still.append((jobs, report, replaces))
            continue
        unsaid = st.session_state.get("flash") or []
        if replaces is not None and tuple(replaces) in [tuple(m) for m in unsaid]:
            unsaid.remove(next(m for m in unsaid if tuple(m) == tuple(replaces)))
        failed = [j for j in found if j is not None and j["status"] == "failed"]
        if failed:
            error = str(failed[0].get("error") or "")
            said = " ".join(s for s in (what_happened(error), NOTHING_LOST) if s)
            flash("error", f"It stopped part-way. {said} Retry it from the Inbox.")
        else:
            flash(*report())
    st.session_state[AFTER] = still
