"""The app tables' PostgreSQL connection (graphs/storage/database.py `PgConnection`) itself: in
a pipelined transaction an error of any statement surfaces inside the block (at its next wait)
and rolls the whole transaction back; rows are read by their own result's column names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from graphs.storage.database import PgConnection


@pytest.fixture
def pg(postgres: Any, tmp_path: Path) -> Iterator[tuple[PgConnection, str]]:
    url = postgres.new_schema()
    conn = PgConnection(url, tmp_path / "chain.db")
    conn.execute("CREATE TABLE t (k int PRIMARY KEY, v text)")
    try:
        yield conn, url
    finally:
        conn.close()


def keys(conn: PgConnection) -> list[int]:
    return [r["k"] for r in conn.execute("SELECT k FROM t ORDER BY k").fetchall()]


def test_an_error_in_a_pipelined_write_surfaces_at_the_next_read_and_rolls_all_back(
    pg: tuple[PgConnection, str],
) -> None:
    conn, _ = pg
    conn.execute("INSERT INTO t VALUES (?, ?)", (1, "one"))
    reached = []
    with pytest.raises(psycopg.errors.UniqueViolation):
        with conn.transaction(7) as c:
            c.execute("INSERT INTO t VALUES (?, ?)", (2, "two"))  # fine
            c.execute("INSERT INTO t VALUES (?, ?)", (1, "again"))  # fails, read by nobody
            c.execute("UPDATE t SET v = ? WHERE k = ?", ("changed", 1))  # skipped by the server
            reached.append("writes sent")
            c.execute("SELECT count(*) AS n FROM t").fetchone()  # the next wait: raises here
            reached.append("read")  # never: the error is not lost or put off to the COMMIT
    # raised by the read at the latest; earlier (at the UPDATE's execute, "writes sent" not
    # reached) when psycopg already had the failed result in hand, as it may in pipeline mode
    assert "read" not in reached
    assert keys(conn) == [1]
    assert conn.execute("SELECT v FROM t WHERE k = 1").fetchone()["v"] == "one"
    with conn.transaction(7) as c:  # the connection is usable, the lock was released
        c.execute("INSERT INTO t VALUES (?, ?)", (2, "two"))
    assert keys(conn) == [1, 2]
    assert conn.raw.pgconn.pipeline_status == psycopg.pq.PipelineStatus.OFF


def test_an_error_in_the_last_pipelined_write_surfaces_at_the_commit(
    pg: tuple[PgConnection, str],
) -> None:
    conn, _ = pg
    with pytest.raises(psycopg.errors.UniqueViolation):
        with conn.transaction(None) as c:
            c.execute("INSERT INTO t VALUES (?, ?)", (1, "one"))
            c.executemany("INSERT INTO t VALUES (?, ?)", [(2, "a"), (3, "b"), (2, "dup")])
    assert keys(conn) == []


def test_a_long_transaction_commits_whole(
    pg: tuple[PgConnection, str],
) -> None:
    conn, _ = pg
    with conn.transaction(None) as c:
        for k in range(500):
            c.execute("INSERT INTO t VALUES (?, ?)", (k, "x" * 500))
        counted = c.execute("UPDATE t SET v = ? WHERE k < ?", ("y", 10))
        assert counted.rowcount == 10
    assert len(keys(conn)) == 500


def test_rows_are_read_by_their_own_results_column_names(pg: tuple[PgConnection, str]) -> None:
    """Results with the same number of columns under other names, or the same names in another
    order, each read by their own names: inside a transaction, outside, in `reads`."""
    conn, _ = pg
    conn.execute("INSERT INTO t VALUES (?, ?)", (1, "one"))
    first = "SELECT k AS a, v AS b FROM t"
    swapped = "SELECT v AS a, k AS b FROM t"
    other = "SELECT v AS k, k AS v FROM t"
    for _ in range(2):  # the second time, every column list has been seen before
        with conn.transaction(None) as c:
            c.execute("UPDATE t SET v = ? WHERE k = ?", ("one", 1))  # a result without columns
            rows = [c.execute(sql).fetchone() for sql in (first, swapped, other)]
            assert [(r["a"], r["b"]) for r in rows[:2]] == [(1, "one"), ("one", 1)]
            assert (rows[2]["k"], rows[2]["v"]) == ("one", 1)
            assert rows[2].keys() == ["k", "v"] and list(rows[2]) == ["one", 1]
        a, b, o = conn.reads([(first, ()), (swapped, ()), (other, ())])
        assert (a[0]["a"], b[0]["a"], o[0]["k"]) == (1, "one", "one")
        assert conn.execute(other).fetchone()["v"] == 1
        assert conn.execute("SELECT * FROM t").fetchone()["v"] == "one"


def test_an_error_in_one_of_several_reads_surfaces_and_the_connection_goes_on(
    pg: tuple[PgConnection, str],
) -> None:
    conn, _ = pg
    conn.execute("INSERT INTO t VALUES (?, ?)", (1, "one"))
    with pytest.raises(psycopg.errors.UndefinedColumn):
        conn.reads([("SELECT k FROM t", ()), ("SELECT nope FROM t", ()), ("SELECT 1", ())])
    assert conn.raw.pgconn.pipeline_status == psycopg.pq.PipelineStatus.OFF
    first, second = conn.reads([("SELECT k FROM t", ()), ("SELECT v FROM t WHERE k = ?", (1,))])
    assert (first[0]["k"], second[0]["v"]) == (1, "one")
