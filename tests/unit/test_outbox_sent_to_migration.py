"""Revision 13's index of the emails that went out, by recipient: a database made at revision
12 (today's main) with sent and unsent emails in its outbox is upgraded, the first-contact reads
answer as before, and each database's planner reads them from the index."""

from __future__ import annotations

import json
from pathlib import Path

from migration_support import at_revision

from graphs.storage.migrate import head
from graphs.store import Store, open_database

CONTACTED = (
    "SELECT 1 FROM outbox WHERE name = 'send_email' AND status = 'done' AND "
    "lower(json_extract(args, '$.to')) = lower(?) LIMIT 1"
)


def _outbox_row(key: str, name: str, to: str, status: str) -> tuple[str, ...]:
    args = json.dumps({"to": to, "subject": "Hello"} if name == "send_email" else {"text": to})
    return (key, "t", f"a-{key}", name, args, status, "x", "x")


def test_a_revision_12_database_upgrades_and_reads_first_contacts_from_the_index(
    home: Path, database: str
) -> None:
    old = at_revision(home, database, "0012")
    for row in (
        _outbox_row("k1", "send_email", "Ann@Example.com", "done"),
        _outbox_row("k2", "send_email", "bob@example.com", "pending"),
        _outbox_row("k3", "post_social", "carol@example.com", "done"),
        _outbox_row("k4", "send_email", "dan@example.com", "failed"),
    ):
        old.execute(
            "INSERT INTO outbox (key, thread_id, action_id, name, args, status, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            row,
        )
    old.close()

    store = Store(open_database(home))  # upgraded to the newest revision as it opens
    try:
        assert store.query("SELECT version_num FROM alembic_version")[0][0] == head() >= "0013"
        assert store.contacted("ann@example.com") and store.contacted("ANN@EXAMPLE.COM")
        for address in ("bob@example.com", "carol@example.com", "dan@example.com", "eve@x.org"):
            assert not store.contacted(address), address
        reads = store.routing_reads("send_email", "email", "Ann@example.com")
        assert reads["contacted"] is True
        assert store.routing_reads("send_email", "email", "bob@example.com")["contacted"] is False
        store.write_one(
            "UPDATE outbox SET status = 'done', updated_at = 'y' WHERE key = 'k2'"
        )  # sent now: the index holds it from then on
        assert store.contacted("Bob@example.com")

        if database == "sqlite":
            plan = " ".join(
                str(tuple(r)) for r in store.query("EXPLAIN QUERY PLAN " + CONTACTED, ("x",))
            )
        else:  # a handful of rows: the planner would scan them; is the index usable at all?
            store.conn.raw.execute("SET enable_seqscan = off")
            plan = " ".join(r[0] for r in store.query("EXPLAIN " + CONTACTED, ("x",)))
        assert "outbox_sent_to" in plan, plan
    finally:
        store.conn.close()
