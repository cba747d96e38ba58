"""The app's own tables, beside the checkpoints in the same SQLite file.

decisions  one row per interrupt id (unique): the single-resumer rule
outbox     one row per idempotency key: exactly-once execution
audit      append-only log of everything that happened; outlives checkpoints
inbox      index of pending interrupts, so the inbox never scans checkpoints
campaigns  one row per thread
leases     one row per thread being resumed: one resume per thread at a time
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graphs.errors import Busy

log = logging.getLogger(__name__)

MIGRATIONS: list[str] = [
    # 1: the spine's tables
    """
    CREATE TABLE campaigns (
        thread_id TEXT PRIMARY KEY,
        brief TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE inbox (
        interrupt_id TEXT PRIMARY KEY,
        thread_id TEXT NOT NULL,
        action_id TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX inbox_thread ON inbox(thread_id);
    CREATE TABLE decisions (
        interrupt_id TEXT PRIMARY KEY,
        thread_id TEXT NOT NULL,
        action_id TEXT NOT NULL,
        decision TEXT NOT NULL,
        decided_by TEXT NOT NULL,
        decided_at TEXT NOT NULL,
        applied_at TEXT
    );
    CREATE INDEX decisions_unapplied ON decisions(thread_id) WHERE applied_at IS NULL;
    CREATE TABLE outbox (
        key TEXT PRIMARY KEY,
        thread_id TEXT NOT NULL,
        action_id TEXT NOT NULL,
        name TEXT NOT NULL,
        args TEXT NOT NULL,
        status TEXT NOT NULL,
        result TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX outbox_thread ON outbox(thread_id);
    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        thread_id TEXT,
        actor TEXT NOT NULL,
        event TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE TABLE leases (
        thread_id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        expires REAL NOT NULL
    );
    """,
]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def default_home() -> Path:
    return Path(os.environ.get("SIGNOFF_HOME", ".signoff")).expanduser().resolve()


def connect(path: Path) -> sqlite3.Connection:
    """A connection usable from LangGraph's worker threads, WAL, default busy timeout (5 s)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


class Store:
    """Thin, explicit SQL over the app tables. Thread-safe through one lock per store."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._lock = threading.RLock()
        self.migrate()

    # -- plumbing ---------------------------------------------------------------------------
    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE takes the write lock up front)."""
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self.conn.execute(sql, params).fetchall()

    def migrate(self) -> None:
        with self.tx() as c:
            version = c.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(MIGRATIONS, start=1):
                if number <= version:
                    continue
                log.info("applying migration %d", number)
                for statement in script.split(";"):
                    if statement.strip():
                        c.execute(statement)
                c.execute(f"PRAGMA user_version = {number}")

    # -- campaigns --------------------------------------------------------------------------
    def add_campaign(self, thread_id: str, brief: dict[str, Any]) -> None:
        with self.tx() as c:
            c.execute(
                "INSERT INTO campaigns VALUES (?, ?, 'running', ?, ?)",
                (thread_id, json.dumps(brief), now_iso(), now_iso()),
            )

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

    # -- inbox index ------------------------------------------------------------------------
    def replace_inbox(self, thread_id: str, items: list[tuple[str, str, dict[str, Any]]]) -> None:
        """Set the pending interrupts of one thread: (interrupt_id, action_id, payload)."""
        with self.tx() as c:
            old = {
                r["interrupt_id"]: r["created_at"]
                for r in c.execute(
                    "SELECT interrupt_id, created_at FROM inbox WHERE thread_id = ?", (thread_id,)
                )
            }
            c.execute("DELETE FROM inbox WHERE thread_id = ?", (thread_id,))
            for interrupt_id, action_id, payload in items:
                c.execute(
                    "INSERT INTO inbox VALUES (?, ?, ?, ?, ?)",
                    (
                        interrupt_id,
                        thread_id,
                        action_id,
                        json.dumps(payload),
                        old.get(interrupt_id, now_iso()),
                    ),
                )

    def inbox(self, thread_id: str | None = None) -> list[dict[str, Any]]:
        sql = (
            "SELECT i.* FROM inbox i LEFT JOIN decisions d USING (interrupt_id) "
            "WHERE d.interrupt_id IS NULL"
        )
        params: tuple[Any, ...] = ()
        if thread_id:
            sql += " AND i.thread_id = ?"
            params = (thread_id,)
        rows = self.query(sql + " ORDER BY i.created_at, i.rowid", params)
        return [_inbox_row(r) for r in rows]

    def inbox_item(self, interrupt_id: str) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM inbox WHERE interrupt_id = ?", (interrupt_id,))
        return _inbox_row(rows[0]) if rows else None

    def thread_ids(self) -> list[str]:
        return [r["thread_id"] for r in self.query("SELECT thread_id FROM campaigns")]

    # -- decisions --------------------------------------------------------------------------
    def record_decision(
        self, interrupt_id: str, thread_id: str, action_id: str, decision: dict[str, Any], by: str
    ) -> dict[str, Any] | None:
        """Insert the decision; returns None when ours won, else the row that was there first."""
        with self.tx() as c:
            row = c.execute(
                "SELECT * FROM decisions WHERE interrupt_id = ?", (interrupt_id,)
            ).fetchone()
            if row is not None:
                return _decision_row(row)
            c.execute(
                "INSERT INTO decisions VALUES (?, ?, ?, ?, ?, ?, NULL)",
                (interrupt_id, thread_id, action_id, json.dumps(decision), by, now_iso()),
            )
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

    # -- outbox -----------------------------------------------------------------------------
    def claim(
        self, key: str, thread_id: str, action_id: str, name: str, args: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Claim a key for sending. Returns None when claimed now, else the existing row."""
        with self.tx() as c:
            row = c.execute("SELECT * FROM outbox WHERE key = ?", (key,)).fetchone()
            if row is not None:
                return _outbox_row(row)
            c.execute(
                "INSERT INTO outbox VALUES (?, ?, ?, ?, ?, 'sending', NULL, 1, ?, ?)",
                (key, thread_id, action_id, name, json.dumps(args), now_iso(), now_iso()),
            )
            return None

    def retry_claim(self, key: str) -> None:
        with self.tx() as c:
            c.execute(
                "UPDATE outbox SET status = 'sending', attempts = attempts + 1, updated_at = ? "
                "WHERE key = ?",
                (now_iso(), key),
            )

    def finish(self, key: str, status: str, result: dict[str, Any]) -> None:
        with self.tx() as c:
            c.execute(
                "UPDATE outbox SET status = ?, result = ?, updated_at = ? WHERE key = ?",
                (status, json.dumps(result), now_iso(), key),
            )

    def outbox(self, thread_id: str | None = None) -> list[dict[str, Any]]:
        if thread_id:
            rows = self.query(
                "SELECT * FROM outbox WHERE thread_id = ? ORDER BY created_at, rowid", (thread_id,)
            )
        else:
            rows = self.query("SELECT * FROM outbox ORDER BY created_at, rowid")
        return [_outbox_row(r) for r in rows]

    # -- audit ------------------------------------------------------------------------------
    def audit(
        self,
        event: str,
        detail: dict[str, Any],
        *,
        thread_id: str | None = None,
        actor: str = "signoff",
    ) -> None:
        with self.tx() as c:
            c.execute(
                "INSERT INTO audit (at, thread_id, actor, event, detail) VALUES (?, ?, ?, ?, ?)",
                (now_iso(), thread_id, actor, event, json.dumps(detail, default=str)),
            )

    def audit_log(self, thread_id: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
        sql = "SELECT * FROM audit"
        params: tuple[Any, ...] = ()
        if thread_id:
            sql += " WHERE thread_id = ?"
            params = (thread_id,)
        rows = self.query(sql + " ORDER BY seq DESC LIMIT ?", (*params, limit))
        return [
            {
                "seq": r["seq"],
                "at": r["at"],
                "thread_id": r["thread_id"],
                "actor": r["actor"],
                "event": r["event"],
                "detail": json.loads(r["detail"]),
            }
            for r in rows
        ]

    # -- leases: one resumer per thread at a time, across processes -------------------------
    @contextmanager
    def lease(self, thread_id: str, *, ttl: float = 600.0, wait: float = 120.0) -> Iterator[str]:
        owner = f"{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"
        deadline = time.monotonic() + wait
        delay = 0.01
        while True:
            with self.tx() as c:
                now = time.time()
                c.execute(
                    "DELETE FROM leases WHERE thread_id = ? AND expires < ?", (thread_id, now)
                )
                held = c.execute(
                    "SELECT owner FROM leases WHERE thread_id = ?", (thread_id,)
                ).fetchone()
                if held is not None and not _owner_alive(held["owner"]):
                    log.warning(
                        "clearing the lease of dead process %s on %s", held["owner"], thread_id
                    )
                    c.execute("DELETE FROM leases WHERE thread_id = ?", (thread_id,))
                got = c.execute(
                    "INSERT OR IGNORE INTO leases VALUES (?, ?, ?)", (thread_id, owner, now + ttl)
                ).rowcount
            if got:
                break
            if time.monotonic() > deadline:
                raise Busy(
                    f"Campaign {thread_id} is being updated by another process for over {wait:.0f} s;"
                    " your decision is recorded and will be applied when it finishes. Try again later."
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.25)
        try:
            yield owner
        finally:
            with self.tx() as c:
                c.execute(
                    "DELETE FROM leases WHERE thread_id = ? AND owner = ?", (thread_id, owner)
                )


def _owner_alive(owner: str) -> bool:
    """Leases name `pid:thread:nonce`; a lease of a process that no longer exists is void."""
    try:
        pid = int(owner.split(":", 1)[0])
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (ValueError, PermissionError):
        return True
    return True


def _campaign_row(r: sqlite3.Row) -> dict[str, Any]:
    return {
        "thread_id": r["thread_id"],
        "brief": json.loads(r["brief"]),
        "status": r["status"],
        "created_at": r["created_at"],
        "updated_at": r["updated_at"],
    }


def _inbox_row(r: sqlite3.Row) -> dict[str, Any]:
    return {
        "interrupt_id": r["interrupt_id"],
        "thread_id": r["thread_id"],
        "action_id": r["action_id"],
        "payload": json.loads(r["payload"]),
        "created_at": r["created_at"],
    }


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
