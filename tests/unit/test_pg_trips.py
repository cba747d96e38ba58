"""bench/pg_trips.py counts round trips to PostgreSQL: one per statement that waits for its
answer, one for a whole pipelined transaction with no reads, one more per read inside it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.pg_trips import Trips, backend_cpu_s, cpu_lines
from graphs.storage.database import PgConnection


def test_round_trips_are_counted_per_wait_not_per_statement(postgres: Any, tmp_path: Path) -> None:
    conn = PgConnection(postgres.new_schema(), tmp_path / "chain.db")
    try:
        conn.execute("CREATE TABLE t (k int PRIMARY KEY)")
        trips = Trips()
        trips.name(conn.raw, "app")
        with trips.counting():
            conn.execute("SELECT 1").fetchone()  # one statement, one wait
            with conn.transaction(None) as c:  # BEGIN, 3 inserts, COMMIT: one wait
                for k in range(3):
                    c.execute("INSERT INTO t VALUES (?)", (k,))
            with conn.transaction(None) as c:  # a read inside: its wait + the COMMIT's
                c.execute("INSERT INTO t VALUES (?)", (3,))
                assert c.execute("SELECT count(*) FROM t").fetchone()[0] == 4
        assert sum(trips.trips.values()) == 4, trips.trips
        assert {role for role, _ in trips.trips} == {"app"}
        assert all(caller.startswith("tests/unit/test_pg_trips.py") for _, caller in trips.trips)
        lines = trips.lines(campaigns=2)
        assert "pgtrips_app_round_trips_per_campaign=2.0" in lines
    finally:
        conn.close()


def test_several_reads_are_one_round_trip(postgres: Any, tmp_path: Path) -> None:
    """`PgConnection.reads` pipelines its reads and waits once (its pipeline's closing Sync
    brings every result); a pipeline's waits are counted whether psycopg waits for reading
    alone or for reading and writing (a flush)."""
    conn = PgConnection(postgres.new_schema(), tmp_path / "chain.db")
    try:
        trips = Trips()
        trips.name(conn.raw, "app")
        with trips.counting():
            for n in range(5):
                rows = conn.reads([("SELECT 1 AS a", ()), ("SELECT ? AS b", (n,))])
                assert [r[0][0] for r in rows] == [1, n]
        assert sum(trips.trips.values()) == 5, trips.trips
    finally:
        conn.close()


def test_server_cpu_is_read_per_connection(postgres: Any, tmp_path: Path) -> None:
    """`backend_cpu_s` reads the CPU time of each connection's own server process, which grows
    as that connection's statements run (a closed or foreign connection is left out)."""
    conn = PgConnection(postgres.new_schema(), tmp_path / "chain.db")
    other = PgConnection(postgres.new_schema(), tmp_path / "chain2.db")
    try:
        conns = {"app": conn.raw, "other": other.raw, "none": None}
        before = backend_cpu_s(conns)
        assert set(before) == {"app", "other"}
        for n in range(200):
            conn.execute("SELECT ?", (n,)).fetchone()
        after = backend_cpu_s(conns)
        assert after["app"] > before["app"]
        [line, total] = cpu_lines({"app": before["app"]}, {"app": after["app"]}, 2, "signoff")
        assert line.startswith("pgtrips_server_cpu_ms_per_campaign=app ")
        assert total.startswith("pgtrips_signoff_server_cpu_ms_per_campaign=")
        other.close()
        assert set(backend_cpu_s({"other": other.raw})) == set()
    finally:
        conn.close()
