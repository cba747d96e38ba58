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
    # 3: an inbox that stays fast: open rows and their filters in indexed columns, and counts of
    #    open rows (per kind, channel, risk, action; per batch), all kept by triggers whoever
    #    writes a decision or the index; indexes for the pages and the sidebar's counts
    """
    ALTER TABLE inbox ADD COLUMN decided INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE inbox ADD COLUMN action TEXT;
    ALTER TABLE inbox ADD COLUMN channel TEXT;
    ALTER TABLE inbox ADD COLUMN risk TEXT;
    CREATE TABLE inbox_counts (
        kind TEXT NOT NULL,
        channel TEXT NOT NULL,
        risk TEXT NOT NULL,
        action TEXT NOT NULL,
        batched INTEGER NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (kind, channel, risk, action, batched)
    );
    CREATE TABLE inbox_batches (
        thread_id TEXT NOT NULL,
        batch TEXT NOT NULL,
        kind TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (thread_id, batch, kind)
    );
    CREATE TRIGGER inbox_count_update AFTER UPDATE ON inbox
    BEGIN
        UPDATE inbox_counts SET n = n - 1
        WHERE OLD.decided = 0 AND OLD.action IS NOT NULL AND kind = OLD.kind
            AND channel = COALESCE(OLD.channel, '') AND risk = COALESCE(OLD.risk, '')
            AND action = OLD.action AND batched = (OLD.batch IS NOT NULL);
        UPDATE inbox_batches SET n = n - 1
        WHERE OLD.decided = 0 AND OLD.action IS NOT NULL AND OLD.batch IS NOT NULL
            AND thread_id = OLD.thread_id AND batch = OLD.batch AND kind = OLD.kind;
        INSERT INTO inbox_counts
        SELECT NEW.kind, COALESCE(NEW.channel, ''), COALESCE(NEW.risk, ''), NEW.action,
            NEW.batch IS NOT NULL, 1
        WHERE NEW.decided = 0 AND NEW.action IS NOT NULL
        ON CONFLICT DO UPDATE SET n = n + 1;
        INSERT INTO inbox_batches SELECT NEW.thread_id, NEW.batch, NEW.kind, 1
        WHERE NEW.decided = 0 AND NEW.action IS NOT NULL AND NEW.batch IS NOT NULL
        ON CONFLICT DO UPDATE SET n = n + 1;
    END;
    CREATE TRIGGER inbox_count_delete AFTER DELETE ON inbox
    BEGIN
        UPDATE inbox_counts SET n = n - 1
        WHERE OLD.decided = 0 AND OLD.action IS NOT NULL AND kind = OLD.kind
            AND channel = COALESCE(OLD.channel, '') AND risk = COALESCE(OLD.risk, '')
            AND action = OLD.action AND batched = (OLD.batch IS NOT NULL);
        UPDATE inbox_batches SET n = n - 1
        WHERE OLD.decided = 0 AND OLD.action IS NOT NULL AND OLD.batch IS NOT NULL
            AND thread_id = OLD.thread_id AND batch = OLD.batch AND kind = OLD.kind;
    END;
    CREATE TRIGGER inbox_columns AFTER INSERT ON inbox
    BEGIN
        UPDATE inbox SET action = json_extract(NEW.payload, '$.action.name'),
            channel = json_extract(NEW.payload, '$.channel'),
            risk = json_extract(NEW.payload, '$.risk'),
            decided = EXISTS (SELECT 1 FROM decisions WHERE interrupt_id = NEW.interrupt_id)
        WHERE rowid = NEW.rowid;
    END;
    CREATE TRIGGER inbox_decided AFTER INSERT ON decisions
    BEGIN UPDATE inbox SET decided = 1 WHERE interrupt_id = NEW.interrupt_id; END;
    UPDATE inbox SET decided = 1 WHERE interrupt_id IN (SELECT interrupt_id FROM decisions);
    UPDATE inbox SET action = json_extract(payload, '$.action.name'),
        channel = json_extract(payload, '$.channel'), risk = json_extract(payload, '$.risk');
    CREATE INDEX inbox_open ON inbox(kind, created_at) WHERE decided = 0;
    CREATE INDEX inbox_open_thread ON inbox(thread_id, kind, created_at) WHERE decided = 0;
    CREATE INDEX inbox_open_channel ON inbox(channel, kind, created_at) WHERE decided = 0;
    CREATE INDEX inbox_open_risk ON inbox(risk, kind, created_at) WHERE decided = 0;
    CREATE INDEX inbox_open_batch ON inbox(thread_id, batch, kind) WHERE decided = 0
        AND batch IS NOT NULL;
    CREATE INDEX outbox_status ON outbox(status);
    CREATE INDEX notifications_status ON notifications(status);
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
