"""The inbox index: pending interrupts (reviews and holds) per thread, and reminders.

Derived data: `Signoff.reindex()` rebuilds it from the checkpoints."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, NamedTuple

from graphs.storage.audit import AuditTables
from graphs.storage.base import now_iso
from graphs.storage.fresh_rows import GUESS as ITEM_GUESS
from graphs.storage.fresh_rows import ITEM_GUARD, FreshRows
from graphs.storage.guesses import guard, guessing_first
from graphs.storage.inbox_rows import _inbox_row, _inbox_rows, _inbox_sql, _put_inbox
from graphs.storage.leases import LeaseTables

log = logging.getLogger(__name__)


class InboxTables(AuditTables, LeaseTables):
    """The index of pending interrupts, so the inbox never scans checkpoints."""

    # the rows this process wrote (PostgreSQL only: graphs/storage/fresh_rows.py)
    _fresh: FreshRows | None = None

    @property
    def fresh_rows(self) -> FreshRows:
        if self._fresh is None:
            self._fresh = FreshRows()
        return self._fresh

    def replace_inbox(self, thread_id: str, items: list[dict[str, Any]]) -> list[str]:
        """Set the pending interrupts of one thread; returns the ids that are new.

        Each item: interrupt_id, action_id, payload, kind ("review" | "hold"), due (epoch: a
        hold's release time, a review's expiry, or None) and batch (or None). A review's due time
        is kept from when it was first seen.
        """
        with self.tx() as c:
            return _put_inbox(c, thread_id, items, replace="all")

    def index_thread(
        self,
        thread_id: str,
        items: list[dict[str, Any]],
        *,
        replace: bool = True,
        proposed: Callable[[dict[str, Any]], tuple[str, dict[str, Any]]] | None = None,
        status: str | None = None,
        keep_error: bool = False,
        applied: list[str] | None = None,
        there: set[str] | None = None,
        end_lease: bool = False,
        read_after: tuple[list[tuple[str, tuple[Any, ...]]], Callable[[list[list[Any]]], None]]
        | None = None,
    ) -> list[str]:
        """One run's sync in one transaction: the thread's rows, the audit entry
        `proposed(item)` of each new item nobody decided yet, and the campaign's `status`
        (unless it is already that, or `keep_error` and it is "error"); the decisions `applied`
        (the run that just went through resumed with them) marked applied, with their
        "decision.applied" entry. Returns the new ids.

        Rows of interrupts no longer pending go, new ones are added, and a row that is there
        stays as it is (an interrupt id always carries the same payload; `replace_inbox`, as
        `reindex` uses it, rewrites every row). With `replace=False` only `items` are added (a
        branch ready while others still draft). When nothing changes, nothing is written.

        The rows and their entries commit together, so an index row is never there without its
        "proposed"/"held" entry (and one commit, where there was one per entry).

        `there`: the ids of the thread's rows of no audience batch as the caller knows them
        (read at its run's start under the thread's lease, with what the run indexed since).
        When they differ from `items` a write is due, and the read that looks for no change is
        skipped; a hint only: the transaction reads the rows it changes either way.

        `end_lease`: the sync is the last write under the thread's lease this (Python) thread
        holds (a run's end): the lease is released in the same transaction (one commit, and
        no moment where the lease is gone but the index not yet written). Not when this is
        part of an outer transaction (its commit is not this one's), nor when nothing is
        written (the lease's block releases it then).

        `read_after=(reads, given)`: when the sync writes, `reads` are done at the end of its
        transaction (the rows it leaves) and `given` their rows once it committed; on
        PostgreSQL they come with the COMMIT, no round trip of their own (a run's summary)."""
        wanted = {i["interrupt_id"] for i in items}
        if replace and not applied and (there is None or there == wanted):
            # a run's end: often nothing changed (one read to know)
            rows = self.query(  # one round trip: the thread's rows and its campaign's status
                "SELECT interrupt_id, NULL AS status FROM inbox WHERE thread_id = ?"
                " AND batch IS NULL UNION ALL"
                " SELECT NULL, status FROM campaigns WHERE thread_id = ?",
                (thread_id, thread_id),
            )
            there = {r["interrupt_id"] for r in rows if r["interrupt_id"] is not None}
            current = next((r["status"] for r in rows if r["status"] is not None), None)
            if wanted == there and (status is None or current in (None, status)):
                return []  # the derived index already says this: no write
        with self._lock:
            outer = self._in_tx  # this thread's transaction is open: the lease waits for it
        sync = (thread_id, items, replace, proposed, status, keep_error, applied, read_after)
        # on PostgreSQL, with the rows known (a run's end, under the thread's lease): the
        # transaction does not wait to read them; a guard fails it if they are not as known,
        # and it is done again reading them (graphs/storage/guesses.py). With none pending
        # there is nothing to guess: every row goes, none read first (`_put_inbox`)
        known = there if replace and there is not None and not outer and items else None
        return guessing_first(
            lambda guess: self._index_tx(
                *sync, end_lease=end_lease and not outer, known=known if guess else None
            ),
            guess=known is not None and self.dialect == "postgresql",
            what=f"inbox sync of {thread_id}",
        )

    def _index_tx(
        self,
        thread_id: str,
        items: list[dict[str, Any]],
        replace: bool,
        proposed: Callable[[dict[str, Any]], tuple[str, dict[str, Any]]] | None,
        status: str | None,
        keep_error: bool,
        applied: list[str] | None,
        read_after: tuple[list[tuple[str, tuple[Any, ...]]], Callable[[list[list[Any]]], None]]
        | None,
        *,
        end_lease: bool,
        known: set[str] | None,
    ) -> list[str]:
        """`index_thread`'s transaction. `known`: the thread's rows of no batch, not read: the
        first statement, a guard (`KNOWN`), fails the transaction unless they are exactly these
        and nobody decided the new items (graphs/storage/guesses.py)."""
        ended = None
        written: list[tuple[Any, ...]] = []
        with self.tx() as c:
            if known is not None:
                fresh_ids = [i["interrupt_id"] for i in items if i["interrupt_id"] not in known]
                guard(
                    c,
                    KNOWN,
                    (
                        sorted(known),
                        len(known),
                        thread_id,
                        fresh_ids if proposed is not None else [],
                    ),
                    "inbox rows",
                )
                decided = None
            else:
                # sent before the inbox rows are read, so both come in one round trip on
                # PostgreSQL
                decided = (
                    c.execute(
                        "SELECT interrupt_id FROM decisions WHERE interrupt_id IN ("
                        + ", ".join("?" * len(items))
                        + ")",
                        tuple(i["interrupt_id"] for i in items),
                    )
                    if proposed is not None and items
                    else None
                )
            new = _put_inbox(
                c,
                thread_id,
                items,
                replace="sync" if replace else "add",
                known=known,
                written=written,
            )
            if proposed is not None and new and (decided is not None or known is not None):
                fresh = set(new) - (
                    {r["interrupt_id"] for r in decided.fetchall()}
                    if decided is not None
                    else set()
                )
                for item in items:
                    if item["interrupt_id"] not in fresh:
                        continue
                    event, detail = proposed(item)
                    self._append_audit(c, event, detail, thread_id=thread_id)
            if status is not None:
                c.execute(
                    "UPDATE campaigns SET status = ?, updated_at = ? WHERE thread_id = ?"
                    " AND status <> ?" + (" AND status <> 'error'" if keep_error else ""),
                    (status, now_iso(), thread_id, status),
                )
            if applied:
                c.executemany(
                    "UPDATE decisions SET applied_at = ? WHERE interrupt_id = ?",
                    [(now_iso(), i) for i in applied],
                )
                self._append_audit(
                    c, "decision.applied", {"interrupt_ids": list(applied)}, thread_id=thread_id
                )
            if end_lease:
                ended = self.release_within(c, thread_id)
            if read_after is not None and self.dialect == "postgresql":
                cursors = [c.execute(sql, params) for sql, params in read_after[0]]
            elif read_after is not None:
                rows = [list(c.execute(sql, params).fetchall()) for sql, params in read_after[0]]
        if ended is not None:
            ended()  # committed: the lease is released
        if written and self.dialect == "postgresql":  # committed: a decision may guess them
            self.fresh_rows.remember(written)
        if read_after is not None:  # committed: on PostgreSQL its rows came with the COMMIT
            if self.dialect == "postgresql":
                rows = [list(read.fetchall()) for read in cursors]
            read_after[1](rows)
        return new

    def inbox(
        self,
        thread_id: str | None = None,
        kind: str | None = "review",
        *,
        reminders: bool = False,
    ) -> list[dict[str, Any]]:
        """Undecided interrupts (reviews by default; `kind="hold"` for holds; None for both).
        With `reminders`, each row also says whether its reminder went out (`reminded`)."""
        sql, params = _inbox_sql(thread_id, kind, reminders)
        return _inbox_rows(self.query(sql, params), reminders)

    def summary_reads(
        self, thread_id: str
    ) -> tuple[dict[str, Any] | None, list[dict[str, Any]], dict[str, list[str]]]:
        """What a campaign's summary shows, in one round trip on PostgreSQL: its campaign row,
        its undecided reviews with their reminders (as `inbox(thread_id, reminders=True)`),
        and the approvals so far of its items (interrupt id → people, in order)."""
        *reads, endorsements = summary_read(thread_id)
        if self.dialect == "postgresql":  # the three in one round trip
            return summary_of(self.reads([*reads, endorsements]))
        with self._lock:  # no round trips to save: no approvals to read when nothing waits
            campaign, rows = self.reads(reads)
            return summary_of([campaign, rows, self.query(*endorsements) if rows else []])

    def inbox_ids(self, thread_id: str) -> Indexed:
        """One thread's indexed interrupt ids, payloads unread (`Indexed`)."""
        sql, params = inbox_ids_read(thread_id)
        return indexed_of(self.query(sql, params))

    def due(self, now: float, kind: str | tuple[str, ...] | None = None) -> list[dict[str, Any]]:
        """Undecided interrupts whose due time has passed: holds to release, reviews to expire
        (or, asked with a later `now`, reviews to remind of). `kind`: one kind or several."""
        sql = (
            "SELECT i.* FROM inbox i LEFT JOIN decisions d USING (interrupt_id) "
            "WHERE d.interrupt_id IS NULL AND i.due IS NOT NULL AND i.due <= ?"
        )
        params: tuple[Any, ...] = (now,)
        if kind:
            kinds = (kind,) if isinstance(kind, str) else tuple(kind)
            sql += " AND i.kind IN (" + ",".join("?" * len(kinds)) + ")"
            params = (now, *kinds)
        rows = self.query(sql + " ORDER BY i.due, i.rowid", params)
        return [_inbox_row(r) for r in rows]

    def item_and_decision(
        self, interrupt_id: str, *, guess: bool = False
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """`inbox_item(id)` and `decision(id)`, in one round trip on PostgreSQL. The item also
        carries `endorsed`: who approved it so far, in order (`Approvals.endorsers`), read in
        the same round trip for the decision's plan.

        `guess` (PostgreSQL): a row this process wrote is taken as it wrote it, not read (with
        no decision, nobody endorsed it); the decision's transaction must send
        `guard_item` (graphs/storage/fresh_rows.py)."""
        from graphs.storage.decisions import _decision_row

        if guess and self.dialect == "postgresql" and self._fresh is not None:
            remembered = self._fresh.item(interrupt_id)
            if remembered is not None:
                return remembered, None

        item, decided, endorsed = self.reads(
            [
                ("SELECT * FROM inbox WHERE interrupt_id = ?", (interrupt_id,)),
                ("SELECT * FROM decisions WHERE interrupt_id = ?", (interrupt_id,)),
                (
                    "SELECT person FROM endorsements WHERE interrupt_id = ? ORDER BY at, rowid",
                    (interrupt_id,),
                ),
            ]
        )
        return (
            {**_inbox_row(item[0]), "endorsed": [r["person"] for r in endorsed]} if item else None,
            _decision_row(decided[0]) if decided else None,
        )

    def guard_item(self, interrupt_id: str) -> None:
        """In the caller's transaction: fail it (`missed(exc, ITEM_GUESS)`) unless the item is
        still pending and nobody endorsed it (a decision on an item that may have been guessed:
        `item_and_decision(guess=True)`)."""
        with self.tx() as c:
            guard(c, ITEM_GUARD, (interrupt_id, interrupt_id), ITEM_GUESS)

    def forget_fresh(self, interrupt_id: str) -> None:
        """A decision on it is recorded: it is no longer worth guessing."""
        if self._fresh is not None:
            self._fresh.forget(interrupt_id)

    def inbox_item(self, interrupt_id: str) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM inbox WHERE interrupt_id = ?", (interrupt_id,))
        return _inbox_row(rows[0]) if rows else None

    def batch_open(self, thread_id: str, batch: str) -> int:
        """How many items of a batch still have no recorded decision."""
        rows = self.query(
            "SELECT COUNT(*) AS n FROM inbox i LEFT JOIN decisions d USING (interrupt_id) "
            "WHERE d.interrupt_id IS NULL AND i.thread_id = ? AND i.batch = ? AND i.kind = 'review'",
            (thread_id, batch),
        )
        return int(rows[0]["n"])

    def remind_once(self, interrupt_id: str) -> bool:
        """True the first time a reminder is due for this review (exactly one reminder)."""
        with self.tx() as c:
            return bool(
                c.execute(
                    "INSERT OR IGNORE INTO reminders VALUES (?, ?)", (interrupt_id, now_iso())
                ).rowcount
            )

    def reminded(self) -> set[str]:
        return {r["interrupt_id"] for r in self.query("SELECT interrupt_id FROM reminders")}


def summary_read(thread_id: str) -> list[tuple[str, tuple[Any, ...]]]:
    """The reads of `summary_reads` (to send them with others: `index_thread(read_after=)`)."""
    sql, params = _inbox_sql(thread_id, "review", True)
    return [
        ("SELECT * FROM campaigns WHERE thread_id = ?", (thread_id,)),
        (sql, params),
        (
            "SELECT e.interrupt_id, e.person FROM endorsements e"
            " JOIN inbox i ON i.interrupt_id = e.interrupt_id WHERE i.thread_id = ?"
            " ORDER BY e.at, e.rowid",
            (thread_id,),
        ),
    ]


def summary_of(
    rows: list[list[Any]],
) -> tuple[dict[str, Any] | None, list[dict[str, Any]], dict[str, list[str]]]:
    """`summary_reads`'s answer from the rows of `summary_read`."""
    from graphs.storage.campaigns import _campaign_row

    campaign, pending, endorsed = rows
    people: dict[str, list[str]] = {}
    for r in endorsed:
        people.setdefault(r["interrupt_id"], []).append(r["person"])
    return (
        _campaign_row(campaign[0]) if campaign else None,
        _inbox_rows(pending, True),
        people,
    )


# the guard of a sync on known rows (graphs/storage/guesses.py): the thread's rows of no batch
# are exactly the known ids (none other, and as many), and no decision on the new items is
# recorded; parameters: known ids, how many, thread, new ids
KNOWN = (
    "(SELECT COUNT(*) FILTER (WHERE interrupt_id <> ALL(?)) = 0 AND COUNT(*) = ? FROM inbox"
    " WHERE thread_id = ? AND batch IS NULL)"
    " AND NOT EXISTS (SELECT 1 FROM decisions WHERE interrupt_id = ANY(?))"
)


class Indexed(NamedTuple):
    """One thread's rows in the index, as read at a run's start (`inbox_ids`)."""

    undecided: set[str]  # interrupt ids nobody decided yet
    ids: set[str]  # every row's id
    batched: bool  # whether any row is an audience batch's
    single: set[str]  # the ids of rows of no audience batch (the ones `index_thread` syncs)
    batches: dict[str, str]  # an audience batch's interrupt id -> its batch key


NOTHING_INDEXED = Indexed(set(), set(), False, set(), {})  # a campaign's first run


def inbox_ids_read(thread_id: str) -> tuple[str, tuple[Any, ...]]:
    """The read of `inbox_ids` (to send it with others: `Tables.reads`, `lease_reading`)."""
    return (
        "SELECT i.interrupt_id, i.batch, i.kind, d.interrupt_id AS decided FROM inbox i"
        " LEFT JOIN decisions d USING (interrupt_id) WHERE i.thread_id = ?",
        (thread_id,),
    )


def indexed_of(rows: list[Any]) -> Indexed:
    """`Indexed` of the rows of `inbox_ids_read`; each set is a new one (the caller's to change)."""
    return Indexed(
        {r["interrupt_id"] for r in rows if r["decided"] is None},
        {r["interrupt_id"] for r in rows},
        any(r["batch"] is not None for r in rows),
        {r["interrupt_id"] for r in rows if r["batch"] is None},
        {r["interrupt_id"]: r["batch"] for r in rows if r["kind"] == "batch"},
    )
