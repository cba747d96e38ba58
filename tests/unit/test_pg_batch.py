"""The app tables' PostgreSQL statements as they go out (graphs/storage/pg_batch.py): bound on
the client, prepared on the server once used twice, `EXECUTE`d after; values keep their types
and their text, whatever the connection did in between."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from graphs.storage import pg_batch
from graphs.storage.database import PgConnection


@pytest.fixture
def conn(postgres: Any, tmp_path: Path) -> Iterator[PgConnection]:
    c = PgConnection(postgres.new_schema(), tmp_path / "chain.db")
    c.execute("CREATE TABLE t (k bigint PRIMARY KEY, v text, f double precision, b bytea)")
    try:
        yield c
    finally:
        c.close()


def prepared(conn: PgConnection) -> set[str]:
    rows = conn.raw.execute("SELECT name FROM pg_prepared_statements").fetchall()
    return {r[0] for r in rows}


TRICKY = ["O'Brien", "back\\slash", "100% ?", "$1 %s", "a;\nDROP TABLE t; --", "ünï €", ""]


def test_values_go_in_and_come_back_unchanged_before_and_after_preparing(
    conn: PgConnection,
) -> None:
    for round_ in range(3):  # literal, literal (then prepared), EXECUTE
        with conn.transaction(1) as c:
            for i, text in enumerate(TRICKY):
                key = round_ * 100 + i
                c.execute(
                    "INSERT INTO t VALUES (?, ?, ?, ?)", (key, text, key / 3, text.encode())
                )
        rows = conn.execute("SELECT * FROM t WHERE k >= ? ORDER BY k", (round_ * 100,))
        got = [(r["v"], r["f"], bytes(r["b"])) for r in rows.fetchall()][: len(TRICKY)]
        want = [(t, (round_ * 100 + i) / 3, t.encode()) for i, t in enumerate(TRICKY)]
        assert got == want
    assert any(n.startswith("signoff_") for n in prepared(conn))
    assert conn.execute("SELECT count(*) AS n FROM t").fetchone()["n"] == 3 * len(TRICKY)


def test_a_value_keeps_its_type_where_the_statement_gives_none(conn: PgConnection) -> None:
    for n in (1, 2, 3):  # the third is an EXECUTE of the prepared statement
        row = conn.execute("SELECT ? AS i, ? AS x, ? AS s, ? AS b", (n, n / 2, "t", True))
        assert tuple(row.fetchone()) == (n, n / 2, "t", True)


def test_a_statement_the_server_will_not_prepare_still_runs(conn: PgConnection) -> None:
    """`? IS NULL` with None: the server cannot tell the parameter's type, refuses the PREPARE
    (outside any transaction, so nothing fails), and the statement goes on with its value in
    its text."""
    for _ in range(4):
        with conn.transaction(1) as c:
            assert c.execute("SELECT ? IS NULL AS nothing", (None,)).fetchone()["nothing"]
    assert not any(n.startswith("signoff_") for n in prepared(conn))


def test_a_rollback_keeps_the_prepared_statements(conn: PgConnection) -> None:
    """psycopg clears a session's prepared statements at a ROLLBACK when it prepared any
    itself; this connection prepares its own, and a failed transaction leaves them in place."""
    for k in (1, 2):
        conn.execute("INSERT INTO t (k, v) VALUES (?, ?)", (k, "x"))
    before = prepared(conn)
    assert before
    with pytest.raises(psycopg.errors.UniqueViolation):
        with conn.transaction(1) as c:
            c.execute("INSERT INTO t (k, v) VALUES (?, ?)", (1, "again"))
    assert prepared(conn) == before
    conn.execute("INSERT INTO t (k, v) VALUES (?, ?)", (3, "y"))  # EXECUTE, still there
    assert conn.execute("SELECT count(*) AS n FROM t").fetchone()["n"] == 3


def test_the_least_recently_used_statement_makes_room(
    conn: PgConnection, monkeypatch: Any
) -> None:
    monkeypatch.setattr(pg_batch, "LIMIT", 2)
    statements = [f"SELECT ? + {n} AS v" for n in range(3)]
    for sql in statements:
        for _ in range(2):
            conn.execute(sql, (1,))
    assert len([n for n in prepared(conn) if n.startswith("signoff_")]) == 2
    for n, sql in enumerate(statements):  # all still run, the evicted one prepared again
        for _ in range(2):
            assert conn.execute(sql, (1,)).fetchone()["v"] == 1 + n
    assert len([n for n in prepared(conn) if n.startswith("signoff_")]) == 2


def test_a_failing_statement_after_audit_entries_leaves_the_chain_whole(
    conn: PgConnection, home: Path, postgres: Any, monkeypatch: Any
) -> None:
    """Guessed audit entries go out last, after every other statement of their transaction: a
    statement that fails rolls all back before the entries move the audit's sequence (which no
    rollback takes back)."""
    from graphs.store import Store, open_database

    monkeypatch.setenv("SIGNOFF_DATABASE_URL", postgres.new_schema())
    store = Store(open_database(home))
    try:
        store.audit("test.first", {})  # the head is known: the next entries are guessed
        store.record_decision("i1", "t", "a1", {"type": "approve"}, "ann")
        with pytest.raises(psycopg.errors.UniqueViolation):
            store.record_decision(
                "i1", "t", "a1", {"type": "reject"}, "bob", audit=("x", {}), conflict_raises=True
            )
        assert store.verify_audit()["ok"], store.verify_audit()
        assert store.audit("test.after", {}) == 2
        assert store.verify_audit()["ok"], store.verify_audit()
    finally:
        store.conn.close()
