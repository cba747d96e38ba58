"""The app's tables, as numbered migrations (PRAGMA user_version counts the applied ones)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

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
]


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
