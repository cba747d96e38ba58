"""Retention: finished campaigns' checkpoints can be pruned; their history stays.

`prune(older_than)` removes every checkpoint and pending write (the checkpointer's own
`delete_thread`) of campaigns that are `done` and were last updated before the cut-off. The
audit log and the outbox are never touched. What the Campaign page and `signoff show` read
from the checkpoints — evidence, proposed actions, outcomes — is first kept in the campaign's
`campaign.pruned` audit entry, so a pruned campaign still shows its whole history.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from graphs.errors import InvalidInput

log = logging.getLogger(__name__)

FINISHED = ("done",)
UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
PRUNED = "campaign.pruned"


def parse_age(text: str) -> float:
    """'90d', '12h', '30m', '3600s' → seconds. The unit is required: a bare '90' could mean
    90 days to the person typing it and 90 seconds to us, and pruning is not undone."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([dhms]?)\s*", str(text))
    if not match:
        raise InvalidInput(
            f"Expected an age such as 90d, 12h, 30m or 3600s; got {text!r}. Nothing was pruned."
        )
    if not match.group(2):
        raise InvalidInput(
            f"An age needs its unit: d, h, m or s; got {text.strip()!r}. Did you mean "
            f"{match.group(1)}d? Nothing was pruned."
        )
    return float(match.group(1)) * UNITS[match.group(2)]


def prunable(store: Any, older_than: float, now: datetime | None = None) -> list[dict[str, Any]]:
    """Finished campaigns last updated more than `older_than` seconds ago, not yet pruned."""
    cutoff = (now or datetime.now(UTC)) - timedelta(seconds=older_than)
    pruned = {e["thread_id"] for e in store.audit_log(event=PRUNED, limit=10**9)}
    return [
        c
        for c in store.campaigns(limit=10**9)
        if c["status"] in FINISHED
        and datetime.fromisoformat(c["updated_at"]) <= cutoff
        and c["thread_id"] not in pruned
    ]


def prune(
    store: Any, checkpointer: Any, graph: Any, older_than: float, *, by: str, dry_run: bool = False
) -> list[str]:
    """Prune the checkpoints of finished campaigns older than `older_than` seconds; returns
    their thread ids. Each is audited with what the checkpoints held."""
    done: list[str] = []
    for campaign in prunable(store, older_than):
        thread_id = campaign["thread_id"]
        if dry_run:
            done.append(thread_id)
            continue
        values = graph.get_state({"configurable": {"thread_id": thread_id}}).values
        kept = {k: values.get(k, []) for k in ("evidence", "actions", "outcomes")}
        store.audit(PRUNED, {**kept, "older_than_s": older_than}, thread_id=thread_id, actor=by)
        checkpointer.delete_thread(thread_id)
        log.info("pruned the checkpoints of campaign %s", thread_id)
        done.append(thread_id)
    return done


def kept_values(store: Any, thread_id: str) -> dict[str, Any]:
    """What a pruned campaign's checkpoints held ({} if it was never pruned)."""
    entries = store.audit_log(thread_id, limit=1, event=PRUNED)
    if not entries:
        return {}
    detail = entries[0]["detail"]
    return {k: detail.get(k, []) for k in ("evidence", "actions", "outcomes")}
