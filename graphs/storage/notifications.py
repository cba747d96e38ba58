"""Notifications: the reviewer's feed of actions that ran and want a look."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from graphs.storage.base import Tables, now_iso

log = logging.getLogger(__name__)


class NotificationTables(Tables):
    """One notification per `ref`; open until acknowledged or flagged."""

    def notify(
        self,
        ref: str,
        *,
        kind: str,
        title: str,
        message: str,
        thread_id: str | None = None,
        action_id: str | None = None,
        action: str | None = None,
        channel: str | None = None,
    ) -> int | None:
        """Add a notification once per `ref`; returns its id when new."""
        with self.tx() as c:
            row = c.execute(
                "INSERT OR IGNORE INTO notifications (ref, thread_id, action_id, action, channel,"
                " kind, title, message, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " RETURNING id",
                (ref, thread_id, action_id, action, channel, kind, title, message, now_iso()),
            ).fetchone()
            return int(row["id"]) if row is not None else None

    def notifications(self, status: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
        sql = "SELECT * FROM notifications"
        params: tuple[Any, ...] = ()
        if status:
            sql += " WHERE status = ?"
            params = (status,)
        rows = self.query(sql + " ORDER BY id DESC LIMIT ?", (*params, limit))
        return [_notification_row(r) for r in rows]

    def notification(self, notification_id: int) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM notifications WHERE id = ?", (notification_id,))
        return _notification_row(rows[0]) if rows else None

    def close_notification(
        self, notification_id: int, status: str, by: str, reason: str | None = None
    ) -> bool:
        """Acknowledge or flag an open notification; False when it was already closed."""
        with self.tx() as c:
            return bool(
                c.execute(
                    "UPDATE notifications SET status = ?, decided_by = ?, decided_at = ?,"
                    " reason = ? WHERE id = ? AND status = 'open'",
                    (status, by, now_iso(), reason, notification_id),
                ).rowcount
            )


def _notification_row(r: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": r["id"],
        "ref": r["ref"],
        "thread_id": r["thread_id"],
        "action_id": r["action_id"],
        "action": r["action"],
        "channel": r["channel"],
        "kind": r["kind"],
        "title": r["title"],
        "message": r["message"],
        "created_at": r["created_at"],
        "status": r["status"],
        "by": r["decided_by"],
        "at": r["decided_at"],
        "reason": r["reason"],
    }
