"""The outbox: one row per idempotency key, for exactly-once execution."""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

from graphs.storage.audit import AuditTables
from graphs.storage.base import now_iso

log = logging.getLogger(__name__)


class OutboxTables(AuditTables):
    """Claim a key, record its result (with its audit entry), read what went out."""

    def claim(
        self, key: str, thread_id: str, action_id: str, name: str, args: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Claim a key for sending. Returns None when claimed now, else the existing row.

        One statement (no BEGIN/COMMIT, no read first): the key is the primary key, so of any
        number of concurrent claimers exactly one inserts; the others read the row it wrote
        (a row is never deleted, so it is there to read)."""
        at = now_iso()
        claimed = self.write_one(
            "INSERT OR IGNORE INTO outbox VALUES (?, ?, ?, ?, ?, 'sending', NULL, 1, ?, ?)",
            (key, thread_id, action_id, name, json.dumps(args), at, at),
        )
        if claimed:
            return None
        rows = self.query("SELECT * FROM outbox WHERE key = ?", (key,))
        if not rows:  # SQLite's OR IGNORE also skips a NOT NULL violation: say so, never send
            raise ValueError(f"Could not claim outbox key {key[:12]}…: the row was refused.")
        return _outbox_row(rows[0])

    def retry_claim(self, key: str) -> None:
        with self.tx() as c:
            c.execute(
                "UPDATE outbox SET status = 'sending', attempts = attempts + 1, updated_at = ? "
                "WHERE key = ?",
                (now_iso(), key),
            )

    def finish(
        self,
        key: str,
        status: str,
        result: dict[str, Any],
        *,
        audit: tuple[str, dict[str, Any], str | None] | None = None,
    ) -> None:
        """Record a result; with `audit=(event, detail, thread_id)` its entry commits with it."""
        stored = json.dumps(result)  # before the write lock: it is held for the writes only
        with self.tx() as c:
            c.execute(
                "UPDATE outbox SET status = ?, result = ?, updated_at = ? WHERE key = ?",
                (status, stored, now_iso(), key),
            )
            if audit is not None:
                event, detail, thread_id = audit
                self._append_audit(c, event, detail, thread_id=thread_id)

    def contacted(self, address: str) -> bool:
        """Has an email to this address gone out before (first contact with an audience)?"""
        rows = self.query(
            "SELECT 1 FROM outbox WHERE name = 'send_email' AND status = 'done' AND "
            "lower(json_extract(args, '$.to')) = lower(?) LIMIT 1",
            (address,),
        )
        return bool(rows)

    def outbox(self, thread_id: str | None = None) -> list[dict[str, Any]]:
        if thread_id:
            rows = self.query(
                "SELECT * FROM outbox WHERE thread_id = ? ORDER BY created_at, rowid", (thread_id,)
            )
        else:
            rows = self.query("SELECT * FROM outbox ORDER BY created_at, rowid")
        return [_outbox_row(r) for r in rows]


def _outbox_row(r: sqlite3.Row) -> dict[str, Any]:
    return {
        "key": r["key"],
        "thread_id": r["thread_id"],
        "action_id": r["action_id"],
        "name": r["name"],
        "args": json.loads(r["args"]),
        "status": r["status"],
        "result": json.loads(r["result"]) if r["result"] else None,
        "attempts": r["attempts"],
        "created_at": r["created_at"],
        "updated_at": r["updated_at"],
    }
