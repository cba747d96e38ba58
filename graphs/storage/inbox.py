"""The inbox index: pending interrupts (reviews and holds) per thread, and reminders.

Derived data: `Signoff.reindex()` rebuilds it from the checkpoints."""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

from graphs.storage.base import Tables, now_iso

log = logging.getLogger(__name__)


class InboxTables(Tables):
    """The index of pending interrupts, so the inbox never scans checkpoints."""

    def replace_inbox(self, thread_id: str, items: list[dict[str, Any]]) -> list[str]:
        """Set the pending interrupts of one thread; returns the ids that are new.

        Each item: interrupt_id, action_id, payload, kind ("review" | "hold"), due (epoch: a
        hold's release time, a review's expiry, or None) and batch (or None). A review's due time
        is kept from when it was first seen.
        """
        with self.tx() as c:
            # an audience batch's rows (batch set) are kept by graphs/runtime/batches.py
            old = {
                r["interrupt_id"]: (r["created_at"], r["due"])
                for r in c.execute(
                    "SELECT interrupt_id, created_at, due FROM inbox WHERE thread_id = ?"
                    " AND batch IS NULL",
                    (thread_id,),
                )
            }
            c.execute("DELETE FROM inbox WHERE thread_id = ? AND batch IS NULL", (thread_id,))
            for item in items:
                created, due = old.get(item["interrupt_id"], (now_iso(), item.get("due")))
                c.execute(
                    "INSERT INTO inbox (interrupt_id, thread_id, action_id, payload, created_at,"
                    " kind, due, batch) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        item["interrupt_id"],
                        thread_id,
                        item["action_id"],
                        json.dumps(item["payload"]),
                        created,
                        item.get("kind", "review"),
                        due if item.get("kind", "review") == "review" else item.get("due"),
                        item.get("batch"),
                    ),
                )
        return [i["interrupt_id"] for i in items if i["interrupt_id"] not in old]

    def inbox(
        self, thread_id: str | None = None, kind: str | None = "review"
    ) -> list[dict[str, Any]]:
        """Undecided interrupts (reviews by default; `kind="hold"` for holds; None for both)."""
        sql = (
            "SELECT i.* FROM inbox i LEFT JOIN decisions d USING (interrupt_id) "
            "WHERE d.interrupt_id IS NULL AND i.decided = 0"  # decided: a batch's decision
        )
        params: list[Any] = []
        if thread_id:
            sql += " AND i.thread_id = ?"
            params.append(thread_id)
        if kind:
            sql += " AND i.kind = ?"
            params.append(kind)
        rows = self.query(sql + " ORDER BY i.created_at, i.rowid", tuple(params))
        return [_inbox_row(r) for r in rows]

    def due(self, now: float, kind: str | None = None) -> list[dict[str, Any]]:
        """Undecided interrupts whose due time has passed: holds to release, reviews to expire
        (or, asked with a later `now`, reviews to remind of)."""
        sql = (
            "SELECT i.* FROM inbox i LEFT JOIN decisions d USING (interrupt_id) "
            "WHERE d.interrupt_id IS NULL AND i.decided = 0 AND i.due IS NOT NULL AND i.due <= ?"
        )
        params: tuple[Any, ...] = (now,)
        if kind:
            sql += " AND i.kind = ?"
            params = (now, kind)
        rows = self.query(sql + " ORDER BY i.due, i.rowid", params)
        return [_inbox_row(r) for r in rows]

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


def _inbox_row(r: sqlite3.Row) -> dict[str, Any]:
    return {
        "interrupt_id": r["interrupt_id"],
        "thread_id": r["thread_id"],
        "action_id": r["action_id"],
        "payload": json.loads(r["payload"]),
        "created_at": r["created_at"],
        "kind": r["kind"],
        "due": r["due"],
        "batch": r["batch"],
    }
