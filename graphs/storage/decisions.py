"""The decisions table: one row per interrupt id, the single-resumer rule."""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

from graphs.storage.audit import AuditTables
from graphs.storage.base import now_iso

log = logging.getLogger(__name__)


class DecisionTables(AuditTables):
    """First decision per interrupt wins; applied ones are marked."""

    def record_decision(
        self,
        interrupt_id: str,
        thread_id: str,
        action_id: str,
        decision: dict[str, Any],
        by: str,
        *,
        audit: tuple[str, dict[str, Any]] | None = None,
        first_read: bool = False,
        conflict_raises: bool = False,
    ) -> dict[str, Any] | None:
        """Insert the decision; returns None when ours won, else the row that was there first.

        With `audit=(event, detail)` the decision's audit entry commits with it.

        `conflict_raises`: a decision there first is not looked for inside the transaction; the
        INSERT meets it as an error instead (at its statement on SQLite, at the COMMIT of the
        pipelined transaction on PostgreSQL: no wait in between) and the whole transaction
        rolls back; the caller, whose transaction it is, tells it by `decision_taken(exc)`."""
        if conflict_raises:
            with self.tx() as c:
                c.execute(
                    "INSERT INTO decisions VALUES (?, ?, ?, ?, ?, ?, NULL)",
                    (interrupt_id, thread_id, action_id, json.dumps(decision), by, now_iso()),
                )
                if audit is not None:
                    self._append_audit(c, audit[0], audit[1], thread_id=thread_id, actor=by)
            return None
        if first_read:
            # A decision row is never removed and its decision never changes once written (the first one wins), so
            # one seen by a plain read is final: no write transaction to find it again (the
            # graph's own record after a resume the runtime already recorded).
            earlier = self.decision(interrupt_id)
            if earlier is not None:
                return earlier
        with self.tx() as c:
            # the key decides: ours is inserted, or the row there first is read back (one
            # statement in the usual case, where a read came before the insert)
            won = c.execute(
                "INSERT OR IGNORE INTO decisions VALUES (?, ?, ?, ?, ?, ?, NULL)",
                (interrupt_id, thread_id, action_id, json.dumps(decision), by, now_iso()),
            ).rowcount
            if not won:
                row = c.execute(
                    "SELECT * FROM decisions WHERE interrupt_id = ?", (interrupt_id,)
                ).fetchone()
                if row is None:  # ignored for a missing value, not for a decision there first
                    raise ValueError(
                        f"The decision on {interrupt_id!r} could not be recorded: expected a "
                        f"thread, an action, a decision and who decided, got {thread_id!r}, "
                        f"{action_id!r}, {decision!r}, {by!r}. Nothing was saved."
                    )
                return _decision_row(row)
            if audit is not None:
                self._append_audit(c, audit[0], audit[1], thread_id=thread_id, actor=by)
            return None

    def decision(self, interrupt_id: str) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM decisions WHERE interrupt_id = ?", (interrupt_id,))
        return _decision_row(rows[0]) if rows else None

    def unapplied(self, thread_id: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM decisions WHERE applied_at IS NULL"
        params: tuple[Any, ...] = ()
        if thread_id:
            sql += " AND thread_id = ?"
            params = (thread_id,)
        return [_decision_row(r) for r in self.query(sql + " ORDER BY decided_at, rowid", params)]

    def mark_applied(self, interrupt_ids: list[str]) -> None:
        with self.tx() as c:
            c.executemany(
                "UPDATE decisions SET applied_at = ? WHERE interrupt_id = ?",
                [(now_iso(), i) for i in interrupt_ids],
            )

    def decisions(self, thread_id: str) -> list[dict[str, Any]]:
        rows = self.query(
            "SELECT * FROM decisions WHERE thread_id = ? ORDER BY decided_at, rowid", (thread_id,)
        )
        return [_decision_row(r) for r in rows]


def decision_taken(exc: BaseException) -> bool:
    """Whether `exc` is a decision's INSERT meeting the decision recorded first (the primary
    key of `decisions`), on either database (`record_decision(conflict_raises=True)`)."""
    if isinstance(exc, sqlite3.IntegrityError):
        return "decisions.interrupt_id" in str(exc)
    return type(exc).__name__ == "UniqueViolation" and "decisions_pkey" in str(exc)


def unapplied_read(thread_id: str) -> tuple[str, tuple[Any, ...]]:
    """The read of `unapplied(thread_id)` (to send it with others: `lease_reading`)."""
    return (
        "SELECT * FROM decisions WHERE applied_at IS NULL AND thread_id = ?"
        " ORDER BY decided_at, rowid",
        (thread_id,),
    )


def decision_rows(rows: list[Any]) -> list[dict[str, Any]]:
    """The decisions of rows read with `unapplied_read` (or any `SELECT * FROM decisions`)."""
    return [_decision_row(r) for r in rows]


def _decision_row(r: sqlite3.Row) -> dict[str, Any]:
    return {
        "interrupt_id": r["interrupt_id"],
        "thread_id": r["thread_id"],
        "action_id": r["action_id"],
        "decision": json.loads(r["decision"]),
        "by": r["decided_by"],
        "at": r["decided_at"],
        "applied_at": r["applied_at"],
    }
