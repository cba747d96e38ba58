"""On PostgreSQL a locked transaction chains its audit entries on the head its connection
knows, checked by a guard (graphs/storage/audit.py `_append_audit`): an audited write that also
reads waits once before its commit, not twice, and the head it uses is the one after the lock,
however many other writers appended before it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from audit_support import verifies

from bench.pg_trips import Trips
from graphs.store import Store, open_database


def test_two_stores_appending_in_turn_keep_one_chain(
    home: Path, postgres: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("SIGNOFF_DATABASE_URL", postgres.new_schema())
    a, b = Store(open_database(home)), Store(open_database(home))
    try:
        for n in range(6):
            for store in (a, b, b, a):  # each a locked transaction: a read, then an entry
                with store.tx() as c:
                    c.execute("SELECT COUNT(*) FROM decisions").fetchone()
                    store._append_audit(c, "test.entry", {"n": n}, thread_id="t")
        seqs = [e["seq"] for e in a.audit_log(limit=100, oldest_first=True)]
        assert seqs == list(range(seqs[0], seqs[0] + 24)), seqs
        verifies(a)
    finally:
        a.conn.close()
        b.conn.close()


def test_an_audited_write_with_a_read_waits_once_before_its_commit(
    home: Path, postgres: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("SIGNOFF_DATABASE_URL", postgres.new_schema())
    store = Store(open_database(home))
    try:
        store.audit("test.first", {})  # the first entry reads the head on its own
        trips = Trips()
        trips.name(store.conn.raw, "app")
        with trips.counting():
            with store.tx() as c:
                c.execute("SELECT COUNT(*) FROM decisions").fetchone()  # a wait: with the head
                store._append_audit(c, "test.entry", {}, thread_id="t")  # no wait
                store._append_audit(c, "test.entry", {}, thread_id="t")  # no wait
            # the COMMIT: a wait
        assert sum(trips.trips.values()) == 2, trips.trips
        verifies(store)
    finally:
        store.conn.close()
