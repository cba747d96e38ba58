"""The campaigns table: one row per thread, its brief and status."""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

from graphs.storage.audit import AuditTables
from graphs.storage.base import now_iso

log = logging.getLogger(__name__)


class CampaignTables(AuditTables):
    """One row per campaign (thread)."""

    def add_campaign(
        self,
        thread_id: str,
        brief: dict[str, Any],
        *,
        audit: tuple[str, dict[str, Any], str] | None = None,
    ) -> None:
        """Add a campaign; with `audit=(event, detail, actor)` its entry commits with it."""
        with self.tx() as c:
            c.execute(
                "INSERT INTO campaigns VALUES (?, ?, 'running', ?, ?)",
                (thread_id, json.dumps(brief), now_iso(), now_iso()),
            )
            if audit is not None:
                event, detail, actor = audit
                self._append_audit(c, event, detail, thread_id=thread_id, actor=actor)

    def set_campaign_status(self, thread_id: str, status: str) -> None:
        with self.tx() as c:
            c.execute(
                "UPDATE campaigns SET status = ?, updated_at = ? WHERE thread_id = ?",
                (status, now_iso(), thread_id),
            )

    def campaign(self, thread_id: str) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM campaigns WHERE thread_id = ?", (thread_id,))
        return _campaign_row(rows[0]) if rows else None

    def campaigns(self, limit: int = 200) -> list[dict[str, Any]]:
        rows = self.query(
            "SELECT * FROM campaigns ORDER BY created_at DESC, rowid DESC LIMIT ?", (limit,)
        )
        return [_campaign_row(r) for r in rows]

    def stopped_campaigns(self, limit: int = 20) -> list[dict[str, Any]]:
        """Campaigns whose run stopped (status "error"), the latest first (index
        `campaigns_stopped`, revision 12)."""
        rows = self.query(
            "SELECT * FROM campaigns WHERE status = 'error' ORDER BY updated_at DESC LIMIT ?",
            (limit,),
        )
        return [_campaign_row(r) for r in rows]

    def thread_ids(self) -> list[str]:
        return [r["thread_id"] for r in self.query("SELECT thread_id FROM campaigns")]


def _campaign_row(r: sqlite3.Row) -> dict[str, Any]:
    return {
        "thread_id": r["thread_id"],
        "brief": json.loads(r["brief"]),
        "status": r["status"],
        "created_at": r["created_at"],
        "updated_at": r["updated_at"],
    }
