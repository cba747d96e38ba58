"""A run's end syncs the inbox index with the thread's rows as its caller knows them
(graphs/storage/inbox.py `index_thread(there=...)`): on PostgreSQL they are not read again, and
a guard fails the transaction unless they are as known; then it is done again reading them.
Either way: the rows end as the run left them, each new item has one "proposed" entry unless
someone decided it first, and the audit chain verifies. On SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from audit_support import verifies

from graphs.store import Store, open_database

pytestmark = pytest.mark.usefixtures("database")


def item(iid: str) -> dict[str, Any]:
    payload = {"action": {"name": "send_email", "args": {}}, "channel": "email", "risk": "high"}
    return {"interrupt_id": iid, "action_id": "a-" + iid, "payload": payload, "kind": "review"}


def proposed(it: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return "action.proposed", {"interrupt_id": it["interrupt_id"]}


def rows(store: Store) -> set[str]:
    return {r["interrupt_id"] for r in store.query("SELECT interrupt_id FROM inbox")}


def proposals(store: Store) -> list[str]:
    log = store.audit_log("t", event="action.proposed", oldest_first=True)
    return [e["detail"]["interrupt_id"] for e in log]


def test_rows_not_as_known_are_read_and_synced_right(
    home: Path, database: str, caplog: Any
) -> None:
    caplog.set_level(logging.INFO, logger="graphs.storage.guesses")
    caplog.set_level(logging.INFO, logger="graphs.storage.audit")
    store = Store(open_database(home))
    other = Store(open_database(home))  # another connection (a person's, another process's)
    try:
        store.add_campaign("t", {})
        assert store.index_thread("t", [item("A")], there=set(), proposed=proposed) == ["A"]
        assert "a guess missed" not in caplog.text  # as known: no read, no retry
        # the caller thinks there are none (A is there): A stays, B is new
        assert store.index_thread("t", [item("A"), item("B")], there=set(), proposed=proposed) == [
            "B"
        ]
        # the caller thinks C is there (it is not): C is added, A goes
        new = store.index_thread(
            "t", [item("B"), item("C")], there={"A", "B", "C"}, proposed=proposed
        )
        assert new == ["C"] and rows(store) == {"B", "C"}
        # D decided by another connection before its sync (as known otherwise): indexed,
        # never "proposed"
        other.record_decision(
            "D", "t", "a-D", {"type": "approve"}, "ann", audit=("decision.recorded", {})
        )
        new = store.index_thread(
            "t", [item("B"), item("C"), item("D")], there={"B", "C"}, proposed=proposed
        )
        assert new == ["D"] and rows(store) == {"B", "C", "D"}
        assert "chained again" not in caplog.text
        # another connection appends to the audit chain and the caller does not know of D: the
        # rows' guard fails the first try, and the audit's guessed head fails the second,
        # whose entry ("proposed" E) is chained again on the real head
        other.audit("test.other", {})
        new = store.index_thread(
            "t", [item("B"), item("C"), item("D"), item("E")], there={"B", "C"}, proposed=proposed
        )
        assert new == ["E"] and rows(store) == {"B", "C", "D", "E"}
        assert proposals(store) == ["A", "B", "C", "E"]
        retried = caplog.text.count("inbox sync of t: a guess missed")
        assert retried == (0 if database == "sqlite" else 4)
        assert ("chained again" in caplog.text) == (database != "sqlite")
        verifies(store)
        assert [e["event"] for e in other.audit_log("t", oldest_first=True)].count(
            "decision.recorded"
        ) == 1
    finally:
        store.conn.close()
        other.conn.close()
