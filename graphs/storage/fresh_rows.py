"""Inbox rows this process just wrote, so a decision on one of them needs no read first.

On PostgreSQL a decision starts with a round trip that reads the pending item, its decision and
its endorsements (`InboxTables.item_and_decision`). When the same process indexed that item a
moment ago (a campaign started from the CLI, a notebook or a worker, decided right after), the
row is known: the decision is validated and authorised against it, and the decision's own
transaction sends a guard (`ITEM_GUARD`, graphs/storage/guesses.py) that fails it unless the row
is still pending and nobody endorsed it since. A decision already recorded is met by the
decision's key at COMMIT as before. A miss (another process decided, endorsed or resumed the
thread in between) rolls the transaction back and the decision is made again, reading.

Kept small (`SIZE` rows, the oldest forgotten first): only the last few runs' rows are worth it.
An interrupt id always carries the same payload (graphs/storage/inbox.py `index_thread`), so a
remembered row is never out of date, only possibly gone, which the guard sees.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

SIZE = 64

# the guard of a remembered row: still pending (not resumed past, not redrafted) and endorsed
# by nobody; parameters: the interrupt id twice
ITEM_GUARD = (
    "EXISTS (SELECT 1 FROM inbox WHERE interrupt_id = ?)"
    " AND NOT EXISTS (SELECT 1 FROM endorsements WHERE interrupt_id = ?)"
)
GUESS = "inbox item"  # what the guard names when it fails (guesses.missed(exc, GUESS))


class FreshRows:
    """The last `SIZE` inbox rows of no audience batch this process wrote, by interrupt id."""

    def __init__(self, size: int = SIZE) -> None:
        self._size = size
        self._rows: OrderedDict[str, tuple[Any, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, rows: Iterable[Sequence[Any]]) -> None:
        """Rows as the inbox's INSERT wrote them: (interrupt_id, thread_id, action_id, payload
        JSON, created_at, kind, due, batch, ...) once their transaction committed."""
        with self._lock:
            for row in rows:
                if row[7] is None:  # an audience batch's rows are decided by batches.py
                    self._rows[row[0]] = tuple(row[:8])
                    self._rows.move_to_end(row[0])
            while len(self._rows) > self._size:
                self._rows.popitem(last=False)

    def item(self, interrupt_id: str) -> dict[str, Any] | None:
        """The pending item as `item_and_decision` would read it (nobody endorsed it), or None;
        its decision's transaction must guard it (`ITEM_GUARD`)."""
        with self._lock:
            row = self._rows.get(interrupt_id)
        if row is None:
            return None
        iid, thread_id, action_id, payload, created_at, kind, due, batch = row
        return dict(
            interrupt_id=iid,
            thread_id=thread_id,
            action_id=action_id,
            payload=json.loads(payload),  # a copy of its own for every caller
            created_at=created_at,
            kind=kind,
            due=due,
            batch=batch,
            endorsed=[],
        )

    def forget(self, interrupt_id: str) -> None:
        with self._lock:
            self._rows.pop(interrupt_id, None)
