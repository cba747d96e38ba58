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

from graphs.audit_chain import AuditChain, plain_hash
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
    # 2: risk-based routes, holds, expiry, notifications, earned autonomy, a hash-chained audit
    """
    ALTER TABLE inbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'review';
    ALTER TABLE inbox ADD COLUMN due REAL;
    ALTER TABLE inbox ADD COLUMN batch TEXT;
    ALTER TABLE audit ADD COLUMN policy_version TEXT;
    ALTER TABLE audit ADD COLUMN prev_hash TEXT;
    ALTER TABLE audit ADD COLUMN hash TEXT;
    CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TABLE notifications (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ref TEXT NOT NULL UNIQUE,
        thread_id TEXT,
        action_id TEXT,
        action TEXT,
        channel TEXT,
        kind TEXT NOT NULL,
        title TEXT NOT NULL,
        message TEXT NOT NULL,
        created_at TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'open',
        decided_by TEXT,
        decided_at TEXT,
        reason TEXT
    );
    CREATE TABLE track (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ref TEXT NOT NULL UNIQUE,
        at TEXT NOT NULL,
        action TEXT NOT NULL,
        channel TEXT NOT NULL,
        outcome TEXT NOT NULL,
        thread_id TEXT,
        action_id TEXT
    );
    CREATE INDEX track_action ON track(action, channel, id);
    CREATE TABLE autonomy (
        action TEXT NOT NULL,
        channel TEXT NOT NULL,
        level TEXT NOT NULL,
        since TEXT NOT NULL,
        decided_by TEXT NOT NULL,
        track_from INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (action, channel)
    );
    CREATE TABLE proposals (
        thread_id TEXT NOT NULL,
        action_id TEXT NOT NULL,
        revision INTEGER NOT NULL,
        action TEXT NOT NULL,
        channel TEXT NOT NULL,
        facts TEXT NOT NULL,
        route TEXT NOT NULL,
        level TEXT NOT NULL,
        policy_version TEXT NOT NULL,
        at TEXT NOT NULL,
        day TEXT NOT NULL,
        outcome TEXT,
        PRIMARY KEY (thread_id, action_id, revision)
    );
    CREATE INDEX proposals_day ON proposals(action, day, route);
    CREATE TABLE reminders (
        interrupt_id TEXT PRIMARY KEY,
        at TEXT NOT NULL
    );
    """,
    # 3: reaching reviewers (graphs/notify.py): one delivery per item, person and kind
    """
    CREATE TABLE deliveries (
        interrupt_id TEXT NOT NULL,
        person TEXT NOT NULL,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        seen REAL NOT NULL,
        sent_at TEXT,
        channels TEXT,
        error TEXT,
        PRIMARY KEY (interrupt_id, person, kind)
    );
    CREATE INDEX deliveries_status ON deliveries(status, person);
    ALTER TABLE track ADD COLUMN decided_by TEXT;
    CREATE TABLE notify_prefs (
        person TEXT PRIMARY KEY,
        mode TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        last_digest REAL
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

    def __init__(self, conn: sqlite3.Connection, policy_version: str | None = None) -> None:
        self.conn = conn
        self._lock = threading.RLock()
        self.policy_version = policy_version  # stamped on every audit entry
        self._heads: list[tuple[int, str, str]] = []  # anchored once their transaction commits
        self.migrate()
        self.chain = AuditChain.for_database(Path(_database_file(conn)))  # key + anchor
        self._begin_chain()

    # -- plumbing ---------------------------------------------------------------------------
    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE takes the write lock up front)."""
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self._heads.clear()
                self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")
                while self._heads:
                    self.chain.record_head(*self._heads.pop(0))

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
                for statement in _statements(script):
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
    def replace_inbox(self, thread_id: str, items: list[dict[str, Any]]) -> list[str]:
        """Set the pending interrupts of one thread; returns the ids that are new.

        Each item: interrupt_id, action_id, payload, kind ("review" | "hold"), due (epoch: a
        hold's release time, a review's expiry, or None) and batch (or None). A review's due time
        is kept from when it was first seen.
        """
        with self.tx() as c:
            old = {
                r["interrupt_id"]: (r["created_at"], r["due"])
                for r in c.execute(
                    "SELECT interrupt_id, created_at, due FROM inbox WHERE thread_id = ?",
                    (thread_id,),
                )
            }
            c.execute("DELETE FROM inbox WHERE thread_id = ?", (thread_id,))
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
            "WHERE d.interrupt_id IS NULL"
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
            "WHERE d.interrupt_id IS NULL AND i.due IS NOT NULL AND i.due <= ?"
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

    def thread_ids(self) -> list[str]:
        return [r["thread_id"] for r in self.query("SELECT thread_id FROM campaigns")]

    # -- decisions --------------------------------------------------------------------------
    def record_decision(
        self,
        interrupt_id: str,
        thread_id: str,
        action_id: str,
        decision: dict[str, Any],
        by: str,
        *,
        audit: tuple[str, dict[str, Any]] | None = None,
    ) -> dict[str, Any] | None:
        """Insert the decision; returns None when ours won, else the row that was there first.

        With `audit=(event, detail)` the decision's audit entry commits with it."""
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

    def finish(
        self,
        key: str,
        status: str,
        result: dict[str, Any],
        *,
        audit: tuple[str, dict[str, Any], str | None] | None = None,
    ) -> None:
        """Record a result; with `audit=(event, detail, thread_id)` its entry commits with it."""
        with self.tx() as c:
            c.execute(
                "UPDATE outbox SET status = ?, result = ?, updated_at = ? WHERE key = ?",
                (status, json.dumps(result), now_iso(), key),
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

    # -- audit: append-only, each entry chained to the previous one by a hash -------------------
    def audit(
        self,
        event: str,
        detail: dict[str, Any],
        *,
        thread_id: str | None = None,
        actor: str = "signoff",
    ) -> int:
        """Append one entry; returns its sequence number."""
        with self.tx() as c:
            return self._append_audit(c, event, detail, thread_id=thread_id, actor=actor)

    def _append_audit(
        self,
        c: sqlite3.Connection,
        event: str,
        detail: dict[str, Any],
        *,
        thread_id: str | None = None,
        actor: str = "signoff",
    ) -> int:
        """Append inside the caller's transaction, so a state change and its entry commit
        together (a crash between them would leave an unaudited change)."""
        last = c.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        seq = (last["seq"] if last else 0) + 1
        prev = (last["hash"] or "") if last else ""
        at = now_iso()
        body = json.dumps(detail, default=str, sort_keys=True)
        digest = self.chain.mac(seq, at, thread_id, actor, event, body, self.policy_version, prev)
        self._heads.append((seq, digest, at))
        c.execute(
            "INSERT INTO audit (seq, at, thread_id, actor, event, detail, policy_version,"
            " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (seq, at, thread_id, actor, event, body, self.policy_version, prev, digest),
        )
        return seq

    def audit_log(
        self,
        thread_id: str | None = None,
        limit: int = 500,
        *,
        event: str | None = None,
        actor: str | None = None,
        oldest_first: bool = False,
    ) -> list[dict[str, Any]]:
        clauses, params = [], []
        for column, value in (("thread_id", thread_id), ("actor", actor)):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if event:
            clauses.append("(event = ? OR event LIKE ?)")
            params += [event, event.rstrip(".*") + ".%"]
        sql = "SELECT * FROM audit" + (" WHERE " + " AND ".join(clauses) if clauses else "")
        order = "ASC" if oldest_first else "DESC"
        rows = self.query(sql + f" ORDER BY seq {order} LIMIT ?", (*params, limit))
        return [
            {
                "seq": r["seq"],
                "at": r["at"],
                "thread_id": r["thread_id"],
                "actor": r["actor"],
                "event": r["event"],
                "detail": json.loads(r["detail"]),
                "policy_version": r["policy_version"],
                "hash": r["hash"],
            }
            for r in rows
        ]

    def verify_audit(self) -> dict[str, Any]:
        """Walk the chain against the audit key and the anchor (graphs/audit_chain.py); name the
        first entry that was altered, removed, re-hashed or cut from the end."""
        rows = self.query("SELECT * FROM audit ORDER BY seq")
        top = self.query("SELECT seq FROM sqlite_sequence WHERE name = 'audit'")
        return self.chain.verify(rows, int(top[0]["seq"]) if top else 0)

    def _begin_chain(self) -> None:
        """The first time this database meets the key: the keyed chain starts after what is
        there (older entries keep their plain SHA-256 chain, and the genesis commits to it)."""
        if self.chain.genesis() is not None:
            return
        with self.tx() as c:
            last = c.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
            next_seq = (last["seq"] if last else 0) + 1
            if self.chain.begin(next_seq, (last["hash"] or "") if last else ""):
                if last is not None:
                    log.warning(
                        "audit entries #1–#%d predate the audit key; they stay on their plain "
                        "chain, and the keyed chain commits to the last of them",
                        last["seq"],
                    )

    # -- notifications: the reviewer's feed of actions that ran and want a look -------------
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
            cur = c.execute(
                "INSERT OR IGNORE INTO notifications (ref, thread_id, action_id, action, channel,"
                " kind, title, message, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (ref, thread_id, action_id, action, channel, kind, title, message, now_iso()),
            )
            return cur.lastrowid if cur.rowcount else None

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

    # -- track record and autonomy ------------------------------------------------------------
    def track(
        self,
        ref: str,
        action: str,
        channel: str,
        outcome: str,
        thread_id: str,
        action_id: str,
        *,
        by: str | None = None,
    ) -> bool:
        with self.tx() as c:
            return bool(
                c.execute(
                    "INSERT OR IGNORE INTO track (ref, at, action, channel, outcome, thread_id,"
                    " action_id, decided_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (ref, now_iso(), action, channel, outcome, thread_id, action_id, by),
                ).rowcount
            )

    def track_record(
        self, action: str | None = None, channel: str | None = None, since_id: int = 0
    ) -> list[dict[str, Any]]:
        clauses: list[str] = ["id > ?"]
        params: list[Any] = [since_id]
        for column, value in (("action", action), ("channel", channel)):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        rows = self.query(
            "SELECT * FROM track WHERE " + " AND ".join(clauses) + " ORDER BY id", tuple(params)
        )
        return [dict(r) for r in rows]

    def autonomy_row(self, action: str, channel: str) -> dict[str, Any] | None:
        rows = self.query(
            "SELECT * FROM autonomy WHERE action = ? AND channel = ?", (action, channel)
        )
        return dict(rows[0]) if rows else None

    def set_autonomy(self, action: str, channel: str, level: str, by: str) -> None:
        """Set a level; the track record that counts towards the next step starts afresh."""
        with self.tx() as c:
            last = c.execute("SELECT COALESCE(MAX(id), 0) AS id FROM track").fetchone()["id"]
            c.execute(
                "INSERT INTO autonomy VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (action, channel) DO "
                "UPDATE SET level = excluded.level, since = excluded.since,"
                " decided_by = excluded.decided_by, track_from = excluded.track_from",
                (action, channel, level, now_iso(), by, last),
            )

    # -- proposals: what each routing saw, for the policy simulation ---------------------------
    def propose(
        self,
        thread_id: str,
        action_id: str,
        revision: int,
        facts: dict[str, Any],
        route: str,
        level: str,
        day: str,
        *,
        daily_limit: int | None = None,
    ) -> tuple[bool, str]:
        """Record one routing (once per action revision). Returns (new, route).

        With a `daily_limit` the route is re-checked inside the same write transaction: the day's
        count of automatic runs of this action never exceeds the limit, even with parallel
        branches; one over the limit is recorded as "skip".
        """
        with self.tx() as c:
            row = c.execute(
                "SELECT route FROM proposals WHERE thread_id = ? AND action_id = ? AND revision = ?",
                (thread_id, action_id, revision),
            ).fetchone()
            if row is not None:
                return False, row["route"]
            if daily_limit is not None and route == "auto":
                used = c.execute(
                    "SELECT COUNT(*) AS n FROM proposals WHERE action = ? AND day = ? AND "
                    "route = 'auto'",
                    (facts["action"], day),
                ).fetchone()["n"]
                if used >= daily_limit:
                    route = "skip"
            c.execute(
                "INSERT INTO proposals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                (
                    thread_id,
                    action_id,
                    revision,
                    facts["action"],
                    facts["channel"],
                    json.dumps(facts),
                    route,
                    level,
                    self.policy_version or "",
                    now_iso(),
                    day,
                ),
            )
            return True, route

    def daily_count(self, action: str, day: str) -> int:
        rows = self.query(
            "SELECT COUNT(*) AS n FROM proposals WHERE action = ? AND day = ? AND route = 'auto'",
            (action, day),
        )
        return int(rows[0]["n"])

    def set_proposal_outcome(self, thread_id: str, action_id: str, outcome: str) -> None:
        """The latest revision's outcome (approved, edited, rejected, flagged, executed, …)."""
        with self.tx() as c:
            c.execute(
                "UPDATE proposals SET outcome = ? WHERE thread_id = ? AND action_id = ? AND "
                "revision = (SELECT MAX(revision) FROM proposals WHERE thread_id = ? AND "
                "action_id = ?)",
                (outcome, thread_id, action_id, thread_id, action_id),
            )

    def proposals(self, last: int = 200) -> list[dict[str, Any]]:
        rows = self.query(
            "SELECT * FROM (SELECT rowid AS n, * FROM proposals ORDER BY rowid DESC LIMIT ?) "
            "ORDER BY n",
            (last,),
        )
        return [{**dict(r), "facts": json.loads(r["facts"])} for r in rows]

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


def _statements(script: str) -> Iterator[str]:
    """Split a migration into statements (a trigger body holds `;` of its own)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip():
                yield pending.strip()
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete SQL statement in a migration: {pending.strip()[:80]}")


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


def audit_hash(
    seq: int,
    at: str,
    thread_id: str | None,
    actor: str,
    event: str,
    detail: str,
    policy_version: str | None,
    prev_hash: str,
) -> str:
    """The unkeyed SHA-256 of an entry (the chain before the audit key existed)."""
    return plain_hash(seq, at, thread_id, actor, event, detail, policy_version, prev_hash)


def _database_file(conn: sqlite3.Connection) -> str:
    row = conn.execute("PRAGMA database_list").fetchone()
    if not row or not row[2]:
        raise ValueError("the audit chain needs a database file, not an in-memory database")
    return str(row[2])


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
        "kind": r["kind"],
        "due": r["due"],
        "batch": r["batch"],
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
