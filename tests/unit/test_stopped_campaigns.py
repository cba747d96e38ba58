"""Campaigns whose run stopped: counted and listed from the partial index of revision 12, on both
databases (the Inbox and the sidebar read them on every page)."""

from __future__ import annotations

from pathlib import Path

from graphs.store import Store, open_database


def test_stopped_campaigns_are_counted_and_listed_latest_first(home: Path, database: str) -> None:
    store = Store(open_database(home))
    for n in range(4):
        store.add_campaign(f"t{n}", {"product": f"P{n}"})
    assert store.counts()["stopped"] == 0 and store.stopped_campaigns() == []
    store.set_campaign_status("t1", "error")
    store.set_campaign_status("t3", "error")
    store.set_campaign_status("t2", "waiting")
    assert store.counts()["stopped"] == 2
    assert {c["thread_id"] for c in store.stopped_campaigns()} == {"t1", "t3"}
    with store.tx() as c:  # t1 stopped later (times are kept to the second)
        c.execute("UPDATE campaigns SET updated_at = ? WHERE thread_id = ?", ("2999-01-01", "t1"))
    assert [c["thread_id"] for c in store.stopped_campaigns()] == ["t1", "t3"]
    assert store.stopped_campaigns(limit=1)[0]["brief"] == {"product": "P1"}
    store.set_campaign_status("t3", "running")  # a retry carries it on
    assert store.counts()["stopped"] == 1
    if database == "sqlite":  # the count and the list read the partial index, not the table
        plans = [
            " ".join(str(r[-1]) for r in store.query(f"EXPLAIN QUERY PLAN {sql}"))
            for sql in (
                "SELECT COUNT(*) FROM campaigns WHERE status = 'error'",
                "SELECT * FROM campaigns WHERE status = 'error' ORDER BY updated_at DESC LIMIT 20",
            )
        ]
        assert all("campaigns_stopped" in plan for plan in plans), plans
