"""On PostgreSQL a locked transaction chains its audit entries on the head its connection last
read or wrote, without reading it (graphs/storage/audit.py `_append_audit`); when another
writer appended since, the guard finds it, the entries are chained again on the real head and
the transaction's other writes still commit with them, once."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from audit_support import verifies

from bench.pg_trips import Trips
from graphs.store import Store, open_database


def _stores(home: Path, postgres: Any, monkeypatch: Any, n: int) -> list[Store]:
    monkeypatch.setenv("SIGNOFF_DATABASE_URL", postgres.new_schema())
    return [Store(open_database(home)) for _ in range(n)]


def test_an_audited_write_on_a_known_head_waits_only_for_its_commit(
    home: Path, postgres: Any, monkeypatch: Any
) -> None:
    (store,) = _stores(home, postgres, monkeypatch, 1)
    try:
        store.audit("test.first", {})  # the first entry reads the head
        trips = Trips()
        trips.name(store.conn.raw, "app")
        with trips.counting():
            with store.tx() as c:
                c.execute("UPDATE campaigns SET status = 'x' WHERE thread_id = 'none'")
                store._append_audit(c, "test.entry", {}, thread_id="t")
                store._append_audit(c, "test.entry", {}, thread_id="t")
        assert sum(trips.trips.values()) == 1, trips.trips
        assert [e["seq"] for e in store.audit_log(limit=10, oldest_first=True)] == [1, 2, 3]
        verifies(store)
    finally:
        store.conn.close()


def test_a_missed_guess_chains_again_and_keeps_the_transactions_writes(
    home: Path, postgres: Any, monkeypatch: Any, caplog: Any
) -> None:
    a, b = _stores(home, postgres, monkeypatch, 2)
    caplog.set_level(logging.INFO, logger="graphs.storage.audit")
    try:
        a.audit("test.a", {})
        b.audit("test.b", {})  # a's head (#1) is now behind
        with a.tx() as c:
            c.execute(
                "INSERT INTO decisions VALUES (?, ?, ?, ?, ?, ?, NULL)",
                ("i1", "t", "a1", "{}", "ann", "2026-01-01T00:00:00+00:00"),
            )
            a._append_audit(c, "decision.recorded", {"n": 1}, thread_id="t")
            a._append_audit(c, "decision.more", {"n": 2}, thread_id="t")
        assert "chained again" in caplog.text  # the guess (#2 on #1) missed
        assert a.audit("test.after", {}) == 5  # the returned number is the committed one
        entries = a.audit_log(limit=10, oldest_first=True)
        assert [(e["seq"], e["event"]) for e in entries] == [
            (1, "test.a"),
            (2, "test.b"),
            (3, "decision.recorded"),
            (4, "decision.more"),
            (5, "test.after"),
        ]
        assert a.decision("i1") is not None  # the block's own write committed, once
        verifies(a)
    finally:
        a.conn.close()
        b.conn.close()


def test_a_missed_guess_does_not_hide_the_blocks_own_error(
    home: Path, postgres: Any, monkeypatch: Any
) -> None:
    a, b = _stores(home, postgres, monkeypatch, 2)
    try:
        a.audit("test.a", {})
        b.audit("test.b", {})
        a.record_decision("i1", "t", "a1", {"approve": True}, "ann")
        b.audit("test.c", {})  # a's guess is behind again
        raised = None
        try:
            a.record_decision(
                "i1", "t", "a1", {"approve": False}, "bob", audit=("x", {}), conflict_raises=True
            )
        except Exception as exc:  # the first decision is there: the whole transaction fails
            raised = exc
        assert raised is not None and type(raised).__name__ == "UniqueViolation"
        assert [e["event"] for e in a.audit_log(limit=10, oldest_first=True)] == [
            "test.a",
            "test.b",
            "test.c",
        ]
        assert a.decision("i1")["by"] == "ann"  # type: ignore[index]
        verifies(a)
    finally:
        a.conn.close()
        b.conn.close()


def test_stores_appending_at_once_keep_one_chain(
    home: Path, postgres: Any, monkeypatch: Any
) -> None:
    stores = _stores(home, postgres, monkeypatch, 3)
    errors: list[BaseException] = []

    def append(n: int, store: Store) -> None:
        try:
            for k in range(25):
                with store.tx() as c:
                    c.execute("INSERT INTO reminders VALUES (?, ?)", (f"r{n}-{k}", "2026-01-01"))
                    store._append_audit(c, "test.entry", {"n": n, "k": k}, thread_id=f"t{n}")
        except BaseException as exc:
            errors.append(exc)

    try:
        threads = [threading.Thread(target=append, args=(n, s)) for n, s in enumerate(stores)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        entries = stores[0].audit_log(limit=1000, oldest_first=True)
        assert [e["seq"] for e in entries] == list(range(1, 76))
        assert len(stores[0].reminded()) == 75  # every transaction's own write, once
        verifies(stores[0])
    finally:
        for store in stores:
            store.conn.close()


def test_a_connection_stops_guessing_while_others_write_and_starts_again_alone(
    home: Path, postgres: Any, monkeypatch: Any, caplog: Any
) -> None:
    """Two writers taking turns: each guess would miss (a miss costs two waits more than the
    read it saves), so after its first miss a connection reads the head, and guesses again
    once a read finds the head where it left it."""
    a, b = _stores(home, postgres, monkeypatch, 2)
    try:
        with caplog.at_level(logging.INFO, logger="graphs.storage.audit"):
            for n in range(10):
                a.audit("test.a", {"n": n})
                b.audit("test.b", {"n": n})
            assert caplog.text.count("chained again") == 2  # one miss each, not 18
            caplog.clear()
            trips = Trips()
            trips.name(a.conn.raw, "app")
            for n in range(3):  # alone now: a read finds the head where `a` left it
                with trips.counting():
                    a.audit("test.alone", {"n": n})
            assert "chained again" not in caplog.text
        # the first reads the head (moved by b) and the second finds it unmoved: a wait for the
        # read and one for the commit each; the third guesses: its commit's wait only
        assert sum(trips.trips.values()) == 2 + 2 + 1, trips.trips
        assert a._guess_head
        verifies(a)
        assert len(a.audit_log(limit=100)) == 23
    finally:
        a.conn.close()
        b.conn.close()
