"""A write transaction of the app tables (`Tables.tx`) on both databases: on PostgreSQL its
statements are pipelined (graphs/storage/database.py), so an error may surface at a later
wait than its own statement; it must still roll back everything of the transaction, audit
entries included, and leave the connection usable. Row counts inside it are exact."""

from __future__ import annotations

from pathlib import Path

import pytest
from audit_support import verifies

from graphs.store import Store, open_database


def test_a_failing_statement_rolls_back_the_whole_transaction(home: Path, database: str) -> None:
    store = Store(open_database(home))
    store.add_campaign("t1", {"product": "p"})
    before = len(store.audit_log(limit=1000))
    with pytest.raises(Exception) as raised:
        with store.tx() as c:
            store._append_audit(c, "test.first", {"n": 1}, thread_id="t1")
            c.execute(  # a write whose result nobody reads: pipelined on PostgreSQL
                "UPDATE campaigns SET status = ? WHERE thread_id = ?", ("changed", "t1")
            )
            c.execute(  # the same key again: a unique violation, read by nobody either
                "INSERT INTO leases VALUES (?, ?, ?)", ("t1", "a", 1.0)
            )
            c.execute("INSERT INTO leases VALUES (?, ?, ?)", ("t1", "b", 1.0))
    assert "lease" in str(raised.value).lower() or "unique" in str(raised.value).lower()
    assert store.campaign("t1")["status"] != "changed"
    assert len(store.audit_log(limit=1000)) == before
    assert store.query("SELECT * FROM leases") == []
    # the connection is usable, and the audit chain still verifies
    with store.tx() as c:
        seq = store._append_audit(c, "test.after", {}, thread_id="t1")
    assert store.audit_log(limit=1)[0]["seq"] == seq
    verifies(store)


def test_row_counts_inside_a_transaction_are_exact(home: Path, database: str) -> None:
    store = Store(open_database(home))
    with store.tx() as c:
        first = c.execute("INSERT OR IGNORE INTO leases VALUES (?, ?, ?)", ("t", "a", 1.0))
        assert first.rowcount == 1
        again = c.execute("INSERT OR IGNORE INTO leases VALUES (?, ?, ?)", ("t", "b", 1.0))
        assert again.rowcount == 0
        rows = list(c.execute("SELECT owner FROM leases WHERE thread_id = ?", ("t",)))
        assert [r["owner"] for r in rows] == ["a"]
    assert store.write_one("DELETE FROM leases WHERE thread_id = ?", ("t",)) == 1


def test_a_transaction_inside_another_commits_or_rolls_back_with_it(
    home: Path, database: str
) -> None:
    """A decision, its proposal's outcome and its track record commit together
    (`Reviews._record`): a table group's own `tx()` inside an open one is part of it."""
    store = Store(open_database(home))
    store.add_campaign("t1", {"product": "p"})
    before = len(store.audit_log(limit=1000))
    with pytest.raises(RuntimeError):
        with store.tx():
            store.record_decision("i1", "t1", "a1", {"type": "approve"}, "ann", audit=("x", {}))
            store.track("i1", "send_email", "email", "approved", "t1", "a1", by="ann")
            raise RuntimeError("after both writes")
    assert store.decision("i1") is None
    assert store.track_record("send_email", "email") == []
    assert len(store.audit_log(limit=1000)) == before
    with store.tx():
        decided = store.record_decision(
            "i1", "t1", "a1", {"type": "approve"}, "ann", audit=("x", {})
        )
        assert decided is None
        assert store.track("i1", "send_email", "email", "approved", "t1", "a1", by="ann")
    assert store.decision("i1")["by"] == "ann"
    assert len(store.track_record("send_email", "email")) == 1
    verifies(store)


def test_several_audit_entries_of_one_transaction_chain_on_each_other(
    home: Path, database: str
) -> None:
    """The second and later entries of a transaction follow the one it just wrote (no head
    read); after a rolled-back transaction the next one reads the head again."""
    store = Store(open_database(home))
    store.add_campaign("t1", {"product": "p"})
    with store.tx() as c:
        first = store._append_audit(c, "test.one", {}, thread_id="t1")
        with store.tx() as inner:  # a nested tx() joins: its entry follows too
            second = store._append_audit(inner, "test.two", {}, thread_id="t1")
        third = store._append_audit(c, "test.three", {}, thread_id="t1")
    assert (second, third) == (first + 1, first + 2)
    with pytest.raises(RuntimeError):
        with store.tx() as c:
            store._append_audit(c, "test.gone", {}, thread_id="t1")
            raise RuntimeError("roll back")
    assert (
        store.audit(  # a later transaction: the head read again (the rolled-back one's gone)
            "test.four", {}, thread_id="t1"
        )
        == third + 1
    )
    entries = store.audit_log("t1", oldest_first=True)
    assert [e["event"] for e in entries][-4:] == ["test.one", "test.two", "test.three", "test.four"]
    verifies(store)


def test_several_reads_in_one_call_give_each_its_rows(home: Path, database: str) -> None:
    """`Tables.reads`: each statement's rows in order (one round trip on PostgreSQL), outside
    a transaction and inside one (where it sees the transaction's own writes)."""
    store = Store(open_database(home))
    store.add_campaign("t1", {"product": "p"})
    statements = [
        ("SELECT status FROM campaigns WHERE thread_id = ?", ("t1",)),
        ("SELECT thread_id FROM campaigns WHERE thread_id = ?", ("nope",)),
        ("SELECT count(*) AS n FROM campaigns", ()),
    ]
    status, none, count = store.reads(statements)
    assert [r["status"] for r in status] == [store.campaign("t1")["status"]]
    assert none == [] and count[0]["n"] == 1
    with store.tx() as c:
        c.execute("UPDATE campaigns SET status = ? WHERE thread_id = ?", ("inside", "t1"))
        status, _, _ = store.reads(statements)
        assert status[0]["status"] == "inside"
    assert store.campaign("t1")["status"] == "inside"


def test_a_track_entry_not_counted_is_still_added_once(home: Path, database: str) -> None:
    """`track(counted=False)` does not wait for its answer (its INSERT goes with the rest of a
    pipelined transaction) and still adds one entry per ref."""
    store = Store(open_database(home))
    try:
        for _ in range(2):
            with store.tx():
                added = store.track(
                    "i1", "send_email", "email", "approved", "t1", "a1", by="ann", counted=False
                )
                assert added is True
        [entry] = store.track_record("send_email", "email")
        assert (entry["ref"], entry["decided_by"]) == ("i1", "ann")
        assert not store.track("i1", "send_email", "email", "approved", "t1", "a1", by="bob")
    finally:
        store.conn.close()
