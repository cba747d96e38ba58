"""Revision 11's per-batch counters are filled from the rows already there when a database is
upgraded (a batch waiting in the inbox of a file written before the counters existed), and the
triggers keep them from then on."""

from __future__ import annotations

import json
from pathlib import Path

from graphs.store import MIGRATIONS, Store, _statements, connect


def test_an_upgraded_file_counts_its_open_batches(home: Path) -> None:
    db = home / "signoff.db"
    home.mkdir(parents=True)
    old = connect(db)
    for number, script in enumerate(MIGRATIONS, start=1):  # a file from before Alembic
        for statement in _statements(script):
            old.execute(statement)
        old.execute(f"PRAGMA user_version = {number}")
    old.execute("INSERT INTO campaigns VALUES ('t', '{}', 'waiting', 'x', 'x')")
    for n, risk in enumerate(["low", "high", "low", "low"]):
        payload = json.dumps({"action": {"name": "send_email"}, "channel": "email", "risk": risk})
        old.execute(
            "INSERT INTO inbox (interrupt_id, thread_id, action_id, payload, created_at, batch)"
            " VALUES (?, 't', ?, ?, ?, 'b')",
            (f"i{n}", f"a{n}", payload, f"2026-01-01T00:00:0{n}"),
        )
    old.execute("INSERT INTO decisions VALUES ('i2', 't', 'a2', '{}', 'ann', 'x', NULL)")
    old.close()

    store = Store(connect(db))  # upgraded to the newest revision as it opens

    def counted() -> dict[str, int]:
        rows = store.query("SELECT risk, n FROM inbox_batch_counts WHERE thread_id = 't'")
        return {r["risk"]: r["n"] for r in rows}

    assert counted() == {"low": 2, "high": 1}  # i0 and i3 low, i1 high; i2 decided
    assert store.inbox_count(risk="low", thread_id="t") == 2
    [entry] = store.inbox_page(risk="low", thread_id="t")
    assert entry["interrupt_id"] == "i0" and entry["open"] == 2
    store.record_decision("i0", "t", "a0", {"type": "approve"}, "ann")
    store.record_decision("i1", "t", "a1", {"type": "approve"}, "ann")
    assert counted() == {"low": 1}  # a counter at 0 goes
    [entry] = store.inbox_page(risk="low", thread_id="t")
    assert entry["interrupt_id"] == "i3" and entry["open"] == 1
    store.conn.close()
