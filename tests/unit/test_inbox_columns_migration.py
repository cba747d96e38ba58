"""Revision 14: an inbox row's filter columns come with its INSERT (the app computes them) instead
of an UPDATE after it. A database made at revision 13 with rows in its inbox upgrades with the
same counts; rows written by the app and rows written without the columns (the old way, still
filled by the trigger) carry the same columns and are counted alike, whoever writes, decides or
deletes them. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from migration_support import at_revision

from graphs.storage.inbox_rows import INSERT_ROW, NO_COLUMNS, inbox_columns
from graphs.storage.migrate import head
from graphs.store import Store, open_database

OLD_INSERT = (  # as revision 13's writers inserted a row: the trigger fills the columns
    "INSERT INTO inbox (interrupt_id, thread_id, action_id, payload, created_at, kind, due, batch)"
    " VALUES (?, ?, ?, ?, ?, ?, NULL, ?)"
)

COUNTS = {
    "inbox_counts": "SELECT kind, channel, risk, action, batched, n FROM inbox_counts WHERE n > 0",
    "inbox_batches": "SELECT thread_id, batch, kind, n FROM inbox_batches WHERE n > 0",
    "inbox_batch_counts": "SELECT thread_id, batch, kind, channel, risk, action, n"
    " FROM inbox_batch_counts WHERE n > 0",
}
RECOUNT = {  # the same, counted from the open rows themselves
    "inbox_counts": "SELECT kind, COALESCE(channel, '') AS channel, COALESCE(risk, '') AS risk,"
    " action, CASE WHEN batch IS NULL THEN 0 ELSE 1 END AS batched, COUNT(*) AS n FROM inbox"
    " WHERE decided = 0 AND action IS NOT NULL GROUP BY kind, COALESCE(channel, ''),"
    " COALESCE(risk, ''), action, CASE WHEN batch IS NULL THEN 0 ELSE 1 END",
    "inbox_batches": "SELECT thread_id, batch, kind, COUNT(*) AS n FROM inbox WHERE decided = 0"
    " AND action IS NOT NULL AND batch IS NOT NULL GROUP BY thread_id, batch, kind",
    "inbox_batch_counts": "SELECT thread_id, batch, kind, COALESCE(channel, '') AS channel,"
    " COALESCE(risk, '') AS risk, action, COUNT(*) AS n FROM inbox WHERE decided = 0"
    " AND action IS NOT NULL AND batch IS NOT NULL GROUP BY thread_id, batch, kind,"
    " COALESCE(channel, ''), COALESCE(risk, ''), action",
}


def payload(name: Any = "send_email", **extra: Any) -> dict[str, Any]:
    return {"action": {"name": name, "args": {"to": "a@example.com"}}, **extra}


def counted(db: Any, queries: dict[str, str]) -> dict[str, set[tuple[Any, ...]]]:
    return {table: {tuple(r) for r in db.execute(sql).fetchall()} for table, sql in queries.items()}


def old_row(db: Any, iid: str, body: dict[str, Any], batch: str | None = None) -> None:
    kind = "review"
    db.execute(
        OLD_INSERT, (iid, "t", f"a-{iid}", json.dumps(body), f"2026-01-01 {iid}", kind, batch)
    )


def test_a_revision_13_database_upgrades_with_the_same_counts(home: Path, database: str) -> None:
    old = at_revision(home, database, "0013")
    old.execute("INSERT INTO decisions VALUES ('s3', 't', 'a-s3', '{}', 'ann', 'x', NULL)")
    for iid, body, batch in (
        ("s1", payload(channel="email", risk="high"), None),
        ("s2", payload("publish_post", channel="social", risk="low"), None),
        ("s3", payload(channel="email", risk="high"), None),  # decided before it was indexed
        ("s4", payload("spend_ads", channel="ads", risk="high"), None),
        ("b1", payload(channel="email", risk="low"), "aud"),
        ("b2", payload(channel="email", risk="low"), "aud"),
        ("b3", payload(channel="email", risk="high"), "aud"),
    ):
        old_row(old, iid, body, batch)
    old.execute("INSERT INTO decisions VALUES ('b3', 't', 'a-b3', '{}', 'ann', 'x', NULL)")
    before = counted(old, COUNTS)
    assert before == counted(old, RECOUNT) and before["inbox_counts"]
    old.close()

    store = Store(open_database(home))  # upgraded to the newest revision as it opens
    try:
        db = store.conn
        assert store.query("SELECT version_num FROM alembic_version")[0][0] == head() >= "0014"
        assert counted(db, COUNTS) == before  # nothing stored changed

        # the app's rows (columns given), and one written the old way: counted alike
        items = [
            {
                "interrupt_id": f"n{n}",
                "action_id": f"n{n}",
                "payload": payload(channel="email", risk=risk),
                "kind": "review",
                "due": None,
                "batch": None,
            }
            for n, risk in enumerate(["high", "low", "low"])
        ]
        store.index_thread("t2", items, replace=False)
        with store.tx() as c:
            old_row(c, "o1", payload(channel="email", risk="low"))
        assert counted(db, COUNTS) == counted(db, RECOUNT)
        store.record_decision("n1", "t2", "n1", {"type": "approve"}, "ann")
        store.record_decision("b1", "t", "a-b1", {"type": "approve"}, "ann")
        assert counted(db, COUNTS) == counted(db, RECOUNT)
        store.index_thread("t2", items[:1], there={"n0", "n1", "n2"})  # n1 and n2 go
        with store.tx() as c:
            c.execute("DELETE FROM inbox WHERE interrupt_id IN ('s1', 'o1', 'b2')")
        assert counted(db, COUNTS) == counted(db, RECOUNT)
        open_rows = {r[0] for r in db.execute("SELECT interrupt_id FROM inbox WHERE decided = 0")}
        assert open_rows == {"s2", "s4", "n0"}
    finally:
        store.conn.close()


def test_the_app_fills_the_columns_as_the_trigger_would(home: Path, database: str) -> None:
    store = Store(open_database(home))
    try:
        bodies = {
            "plain": payload(channel="email", risk="high"),
            "amount-int": {"action": {"name": "spend_ads", "args": {"amount": 250}}, "risk": "x"},
            "amount-real": {"action": {"name": "spend_ads", "args": {"amount": 12.5}}},
            "amount-text": {"action": {"name": "spend_ads", "args": {"amount": "12"}}},
            "amount-bool": {"action": {"name": "spend_ads", "args": {"amount": True}}},
            "no-channel": payload(risk="low"),
            "unicode": payload(channel="émail", risk="höch"),
            "odd-name": payload(7, channel="email"),  # not a plain name: the trigger fills it
            "no-args": {"action": {"name": "like_post"}, "channel": "social"},
        }
        store.record_decision("app-decided", "t", "x", {"type": "approve"}, "ann")
        store.record_decision("old-decided", "t", "x", {"type": "approve"}, "ann")
        bodies["decided"] = payload(channel="email", risk="low")
        with store.tx() as c:
            for name, body in bodies.items():
                c.execute(
                    OLD_INSERT, (f"old-{name}", "t", "x", json.dumps(body), "c", "review", None)
                )
                c.execute(
                    INSERT_ROW,
                    (
                        f"app-{name}",
                        "t",
                        "x",
                        json.dumps(body),
                        "c",
                        "review",
                        None,
                        None,
                        *(inbox_columns(body) or NO_COLUMNS),
                        f"app-{name}",
                    ),
                )
        assert inbox_columns(bodies["odd-name"]) is None
        ignoring = INSERT_ROW.replace("INSERT INTO", "INSERT OR IGNORE INTO", 1)  # graphs/record.py
        for _ in range(2):
            with store.tx() as c:
                body = bodies["plain"]
                row = ("app-again", "t", "x", json.dumps(body), "c", "review", None, None)
                c.execute(ignoring, (*row, *(inbox_columns(body) or NO_COLUMNS), "app-again"))
        rows = {
            r[0]: tuple(r[1:])
            for r in store.query(
                "SELECT interrupt_id, action, channel, risk, amount, decided FROM inbox"
            )
        }
        for name in bodies:
            assert rows[f"app-{name}"] == rows[f"old-{name}"], name
        assert rows["app-amount-int"][3] == 250 and rows["app-amount-text"][3] is None
        assert rows["app-decided"][4] == 1 and rows["app-plain"][4] == 0
        assert rows["app-again"] == rows["app-plain"]
        assert counted(store.conn, COUNTS) == counted(store.conn, RECOUNT)
    finally:
        store.conn.close()
