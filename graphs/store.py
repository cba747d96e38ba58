"""The app's own tables, beside the checkpoints in the same SQLite file: the one `Store`.

decisions  one row per interrupt id (unique): the single-resumer rule
outbox     one row per idempotency key: exactly-once execution
audit      append-only log of everything that happened; outlives checkpoints
inbox      index of pending interrupts, so the inbox never scans checkpoints
campaigns  one row per thread
leases     one row per thread being resumed: one resume per thread at a time

Each table group lives in its own module under `graphs/storage/`; `Store` is all of them over one
connection, and every name that was importable from here still is.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from graphs.audit_chain import AuditChain
from graphs.storage.audit import AuditTables, audit_hash, database_file
from graphs.storage.autonomy import AutonomyTables
from graphs.storage.base import Tables, connect, default_home, now_iso, open_database
from graphs.storage.campaigns import CampaignTables
from graphs.storage.decisions import DecisionTables
from graphs.storage.inbox import InboxTables
from graphs.storage.jobs import JobTables
from graphs.storage.leases import LeaseTables
from graphs.storage.notifications import NotificationTables
from graphs.storage.outbox import OutboxTables
from graphs.storage.pages import PageReads
from graphs.storage.schema import MIGRATIONS, _statements

log = logging.getLogger(__name__)

__all__ = [
    "MIGRATIONS",
    "_statements",
    "Store",
    "Tables",
    "audit_hash",
    "connect",
    "default_home",
    "now_iso",
    "open_database",
]


class Store(
    CampaignTables,
    InboxTables,
    PageReads,
    DecisionTables,
    OutboxTables,
    AuditTables,
    NotificationTables,
    AutonomyTables,
    LeaseTables,
    JobTables,
):
    """Thin, explicit SQL over the app tables. Thread-safe through one lock per store."""

    def __init__(self, conn: Any, policy_version: str | None = None) -> None:
        """`conn`: `connect(path)` (SQLite) or `open_database(home)` (either database)."""
        self.conn = conn
        self._lock = threading.RLock()
        self._write_lock = threading.RLock()  # graphs/storage/base.py `Tables`
        self.policy_version = policy_version  # stamped on every audit entry
        self._heads = []
        self.migrate()
        self.chain = AuditChain.for_database(Path(database_file(conn)))  # key + anchor
        self._begin_chain()
