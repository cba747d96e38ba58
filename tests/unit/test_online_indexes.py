"""Revisions that add an index to a table already in use build it online on PostgreSQL
(graphs/storage/migrations/helpers.py `create_index_online`): an upgrade of a running
deployment does not stop the writers of that table, and a build cut short is redone."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import psycopg
import pytest

from graphs.storage.database import libpq_url
from graphs.storage.migrate import head, upgrade_postgres


def _outbox_row(key: str, to: str) -> tuple[str, ...]:
    args = json.dumps({"to": to, "subject": "Hello"})
    return (key, "t", f"a-{key}", "send_email", args, "done", "x", "x")


INSERT = (
    "INSERT INTO outbox (key, thread_id, action_id, name, args, status, created_at, updated_at)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
)


def _index(conn: psycopg.Connection[Any], name: str) -> tuple[bool, str] | None:
    row = conn.execute(
        "SELECT i.indisvalid, pg_get_indexdef(i.indexrelid) FROM pg_index i"
        " WHERE i.indexrelid = to_regclass(%s)",
        (name,),
    ).fetchone()
    return None if row is None else (bool(row[0]), str(row[1]))


def test_the_outbox_takes_sends_while_revision_13_builds_its_index(postgres: Any) -> None:
    url = postgres.new_schema()
    upgrade_postgres(url, to="0012")
    with psycopg.connect(libpq_url(url), autocommit=True) as setup:
        setup.execute(INSERT, _outbox_row("k0", "ann@example.com"))

    # a worker's send under way: its transaction has written the outbox and not committed yet
    worker = psycopg.connect(libpq_url(url))
    worker.execute(INSERT, _outbox_row("k1", "bob@example.com"))

    failed: list[BaseException] = []

    def upgrade() -> None:
        try:
            upgrade_postgres(url)
        except BaseException as exc:  # noqa: BLE001 (reported by the test below)
            failed.append(exc)

    migrating = threading.Thread(target=upgrade)
    migrating.start()
    try:
        with psycopg.connect(libpq_url(url), autocommit=True) as watch:
            deadline = time.monotonic() + 60
            while True:  # the index build waits for the worker's transaction to end
                waiting = watch.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND query ILIKE '%outbox_sent_to%'"
                ).fetchone()
                if waiting and waiting[0]:
                    break
                assert migrating.is_alive() and time.monotonic() < deadline, failed
                time.sleep(0.05)

            # meanwhile another worker records a send: a plain CREATE INDEX, queued for its
            # SHARE lock behind the open transaction, would hold this INSERT until it ended
            with psycopg.connect(libpq_url(url), autocommit=True) as other:
                other.execute("SET lock_timeout = '5s'")
                other.execute(INSERT, _outbox_row("k2", "carol@example.com"))
    finally:
        worker.commit()
        worker.close()
        migrating.join(120)
    assert not migrating.is_alive() and not failed, failed

    with psycopg.connect(libpq_url(url), autocommit=True) as check:
        found = _index(check, "outbox_sent_to")
        assert found is not None and found[0], found
        assert "json_extract" in found[1] and "send_email" in found[1], found[1]
        version = check.execute("SELECT version_num FROM alembic_version").fetchone()
        assert version is not None and version[0] == head()
        keys = [r[0] for r in check.execute("SELECT key FROM outbox ORDER BY key")]
        assert keys == ["k0", "k1", "k2"]


def test_an_index_build_cut_short_is_built_again(postgres: Any) -> None:
    url = postgres.new_schema()
    upgrade_postgres(url, to="0012")
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute(INSERT, _outbox_row("k1", "ann@example.com"))
        conn.execute(INSERT, _outbox_row("k2", "ann@example.com"))
        # what a crash or a cancel during a concurrent build leaves: an INVALID index of
        # that name (here made by a build that fails on the duplicate recipients)
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(
                "CREATE UNIQUE INDEX CONCURRENTLY outbox_sent_to ON outbox "
                "(lower(json_extract(args, '$.to')))"
            )
        left = _index(conn, "outbox_sent_to")
        assert left is not None and not left[0]

    upgrade_postgres(url)

    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        found = _index(conn, "outbox_sent_to")
        assert found is not None and found[0], found
        assert "UNIQUE" not in found[1] and "send_email" in found[1], found[1]
