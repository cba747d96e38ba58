"""Approvals recorded but waiting their turn: their campaign is busy with another run.

A campaign runs one run at a time (its lease). An approval recorded while another run of the same
campaign is going (a send-back's redraft, the first drafts) is kept at once (first wins, audited),
but it is carried out only by the run queued after it, once the current one ends: until then it
is neither in the Inbox (decided) nor on the Scheduled page (its hold does not exist yet). This
reads, without building the graph, which approvals wait so, and what their campaign is busy with,
so the pages can say it.

An approval waits its turn when it is not applied yet (`decisions.applied_at` is NULL) and a
run of its campaign is running that started before the approval was recorded: that run read
its decisions when it began, so this one goes with the next run. (A run that began after the
approval carries it out itself: it is not "waiting".)
"""

from __future__ import annotations

import re
from typing import Any

from graphs.humanize import to_epoch

APPROVALS = ("approve", "edit")
# the writer's progress lines (graphs/writer.py): "Drafting the email… (0 s)", "Redrafting the
# social post with your feedback… (0 s)"; "Drafted the email in 12 s (…)", "Redrafted the social
# post with your feedback; it comes back for review" when one is done
_BEGUN = re.compile(r"^(?P<re>Re)?[Dd]rafting the (?P<thing>.+?)(?: with your feedback)?…")
_DONE = re.compile(r"^(?:Re)?[Dd]rafted the (?P<thing>.+?)(?: in | with your feedback)")
KIND_WORK = {
    "start": "researching and drafting",
    "retry": "carrying on where it stopped",
    "apply": "carrying out earlier decisions",
}


def busy_with(job: dict[str, Any]) -> str:
    """What a running job is doing, in words: 'redrafting the social post', 'drafting the email',
    else what its kind of run does ('carrying out earlier decisions')."""
    lines = (job.get("payload") or {}).get("progress") or []
    going: dict[str, str] = {}
    for line in lines:
        message = str(line.get("message") or "")
        if m := _BEGUN.match(message):
            thing = m.group("thing")
            going.pop(thing, None)
            going[thing] = f"{'redrafting' if m.group('re') else 'drafting'} the {thing}"
        elif m := _DONE.match(message):
            going.pop(m.group("thing"), None)
    if going:
        work = list(going.values())
        return work[0] if len(work) == 1 else ", ".join(work[:-1]) + " and " + work[-1]
    return KIND_WORK.get(str(job.get("kind")), "another run")


def _began_before(job: dict[str, Any], decided_at: Any, open_jobs: list[dict[str, Any]]) -> bool:
    """Did this running job begin before the decision was recorded (so it does not carry it
    out)? A decision's time has whole seconds: within the same second, yes when a later run of
    the campaign is open beside it (the one queued for the decision)."""
    started = to_epoch((job.get("payload") or {}).get("started_at"))
    at = to_epoch(decided_at)
    if started is None or at is None:
        return False
    if int(started) != int(at):
        return started < at
    return any(int(j["id"]) > int(job["id"]) for j in open_jobs)


def approvals_waiting(store: Any, thread_id: str | None = None) -> list[dict[str, Any]]:
    """The approvals (approve, edit) recorded but waiting for their campaign's current run to
    end, oldest first: {id, thread_id, campaign (its product), action_id, title, action, by, at,
    hold_seconds, busy (what the run does, in words), job (the running job's id)}. Reads the
    unapplied decisions (a partial index), and the open jobs and the row of each campaign that
    has one."""
    decided = [d for d in store.unapplied(thread_id) if d["decision"].get("type") in APPROVALS]
    jobs: dict[str, list[dict[str, Any]]] = {}
    products: dict[str, str] = {}
    found: list[dict[str, Any]] = []
    for d in decided:
        thread = str(d["thread_id"])
        if thread not in jobs:
            jobs[thread] = store.thread_jobs(thread, open_only=True)
        ahead = [
            j
            for j in jobs[thread]
            if j["status"] == "running" and _began_before(j, d["at"], jobs[thread])
        ]
        if not ahead:
            continue
        job = min(ahead, key=lambda j: int(j["id"]))
        if thread not in products:
            row = store.campaign(thread) or {}
            products[thread] = str((row.get("brief") or {}).get("product") or "Campaign")
        item = store.inbox_item(d["interrupt_id"])
        payload = (item or {}).get("payload") or {}
        action = str((payload.get("action") or {}).get("name") or d["action_id"])
        found.append(
            {
                "id": d["interrupt_id"],
                "thread_id": thread,
                "campaign": products[thread],
                "action_id": d["action_id"],
                "title": str(payload.get("title") or action.replace("_", " ").capitalize()),
                "action": action,
                "by": d["by"],
                "at": d["at"],
                "hold_seconds": payload.get("hold_seconds"),
                "busy": busy_with(job),
                "job": int(job["id"]),
            }
        )
    return found
