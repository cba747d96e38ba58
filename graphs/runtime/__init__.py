"""The one facade the page, the CLI and notebooks call: start, list pending, decide, show.

Exactly once (DESIGN.md §4):
- a decision is first written to `decisions` (unique per interrupt id); only the caller whose
  insert wins resumes, and a second decider is told who decided first. Hold releases (the
  scheduler), cancels and send-nows are decisions too, so a hold has exactly one outcome;
- a thread is resumed under a lease, one resume at a time, with every recorded and not yet
  applied decision of that thread in one `Command(resume={id: decision, ...})`; an audience
  batch is one interrupt, resumed once when every contact of it is decided (batches.py);
- on start-up, decisions that were recorded but never applied (a crash) are applied;
- the publisher goes through the outbox; graphs run with `durability="sync"`.

Where things are (one concern per module, all behind `Signoff`):

    facade.py         Signoff: opens the data directory, closes it
    runs.py           Runs: the graph runner and the inbox-index sync every service builds on
    campaigns.py      Campaigns: start, retry, recover, read
    reviews.py        Reviews: pending, decide, apply
    inbox.py          InboxPages: the inbox a page at a time, counts
    batches.py        Batches: an audience batch's one interrupt, its contacts in the index,
                      approve all / the rest as one decision, the batch's one resume
    holds.py          Holds: held actions and the scheduler
    held_contacts.py  HeldContacts: a held audience's contacts (list, take one out)
    autonomy.py       AutonomyService: track record, levels, promote, simulate
    notifications.py  NotificationsService: the feed of actions that ran
    audit.py          AuditService: activity, verify, CSV
    executed.py       Executed: undo, in doubt, failed
    jobs.py           RunQueue: graph runs as durable jobs for workers (leases, take-over)
    drawing.py        graph_dot
"""

from __future__ import annotations

from graphs.brief import parse_audience_csv, parse_brief_text, validate_brief
from graphs.runtime.drawing import graph_dot
from graphs.runtime.facade import Signoff
from graphs.runtime.holds import HOLD_DECISIONS
from graphs.runtime.reviews import TRACKED
from graphs.runtime.runs import Progress
from tools.base import strip_citations

__all__ = [
    "HOLD_DECISIONS",
    "TRACKED",
    "Progress",
    "Signoff",
    "graph_dot",
    "parse_audience_csv",
    "parse_brief_text",
    "strip_citations",
    "validate_brief",
]
