"""The storage and runtime rules that must hold on both databases: SQLite (the embedded
default) and PostgreSQL (a schema of the throwaway test cluster, tests/pg_cluster.py).

Tests taking `database` run once per database; the rest are about one of them (the SQL
translation, the in-place upgrade of a SQLite file from before Alembic)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from audit_support import broken, intact, verifies
from fakes import ScriptedChatModel
from policy_support import write_policy

from graphs.runtime import Signoff
from graphs.storage.database import translate
from graphs.storage.migrate import head
from graphs.store import MIGRATIONS, Store, _statements, connect, open_database

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
pytestmark = pytest.mark.timeout(300)


def by_action(pending: list[dict[str, Any]], name: str) -> dict[str, Any]:
    [item] = [p for p in pending if p["action"] == name]
    return item


# -- the translation of the Tables API's SQL for PostgreSQL -----------------------------------
def test_translation_of_placeholders_and_insert_or_ignore() -> None:
    assert translate("SELECT * FROM t WHERE a = ? AND b LIKE '%?%'") == (
        "SELECT * FROM t WHERE a = %s AND b LIKE '%%?%%'"
    )
    assert translate("INSERT OR IGNORE INTO r VALUES (?, ?)") == (
        "INSERT INTO r VALUES (%s, %s) ON CONFLICT DO NOTHING"
    )
    assert translate("INSERT OR IGNORE INTO n (a) VALUES (?) RETURNING id") == (
        "INSERT INTO n (a) VALUES (%s) ON CONFLICT DO NOTHING RETURNING id"
    )
    with pytest.raises(ValueError, match="ON CONFLICT"):
        translate("INSERT OR REPLACE INTO t VALUES (?)")


# -- the run queue: claim, heartbeat, take over a dead worker's job ---------------------------
def test_job_lease_take_over(home: Path, database: str) -> None:
    store = Store(open_database(home))
    assert store.dialect == ("sqlite" if database == "sqlite" else "postgresql")
    first = store.enqueue("retry", "t1")
    second = store.enqueue("apply", "t2")
    a = store.claim_job("worker-a", ttl=30)
    b = store.claim_job("worker-b", ttl=30)
    assert a is not None and b is not None and (a["id"], b["id"]) == (first, second)
    assert store.claim_job("worker-c", ttl=30) is None
    assert store.heartbeat(first, "worker-a", ttl=30) and not store.heartbeat(first, "worker-c")
    taken = store.claim_job("worker-c", ttl=30, now=time.time() + 31)
    assert taken is not None and (taken["id"], taken["owner"], taken["attempts"]) == (
        first,
        "worker-c",
        2,
    )
    assert not store.finish_job(first, "worker-a", "done")
    assert store.finish_job(first, "worker-c", "done")
    assert [j["id"] for j in store.jobs("running")] == [second]
    store.conn.close()


def test_concurrent_claims_take_each_job_once(home: Path, database: str) -> None:
    """Four workers (threads, each its own connection) drain 40 jobs: each job once."""
    seed = Store(open_database(home))
    ids = {seed.enqueue("run", f"t{n}") for n in range(40)}
    got: dict[str, list[int]] = {}

    def worker(name: str) -> None:
        store = Store(open_database(home))
        mine = got.setdefault(name, [])
        while (job := store.claim_job(name, ttl=60)) is not None:
            mine.append(job["id"])
            assert store.finish_job(job["id"], name, "done")
        store.conn.close()

    threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    claimed = [i for mine in got.values() for i in mine]
    assert sorted(claimed) == sorted(ids)
    assert seed.jobs("done", limit=100) and not seed.jobs("queued")
    seed.conn.close()


# -- first decision wins, across processes ----------------------------------------------------
DECIDER = textwrap.dedent(
    """
    import json, os, sys, time
    from pathlib import Path
    from graphs.store import Store, open_database
    me, gate = sys.argv[1], Path(sys.argv[2])
    store = Store(open_database(Path(os.environ["SIGNOFF_HOME"])))
    (gate / me).touch()  # ready; go when both are
    while len(list(gate.iterdir())) < 2:
        time.sleep(0.005)
    won = [i for i in range(60)
           if store.record_decision(f"i{i}", "t", f"a{i}", {"type": "approve"}, me,
                                    audit=("decision.recorded", {"i": i})) is None]
    print(json.dumps(won))
    """
)


def test_first_decision_wins_between_two_processes(home: Path, database: str) -> None:
    Store(open_database(home)).conn.close()  # migrated before the race
    env = {**os.environ, "SIGNOFF_HOME": str(home), "PYTHONPATH": str(ROOT)}
    gate = home / "gate"
    gate.mkdir(parents=True)
    procs = {
        me: subprocess.Popen(
            [sys.executable, "-c", DECIDER, me, str(gate)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for me in ("ann", "bob")
    }
    won = {me: set(json.loads(p.communicate(timeout=240)[0])) for me, p in procs.items()}
    assert all(p.returncode == 0 for p in procs.values())
    assert won["ann"] | won["bob"] == set(range(60)) and not won["ann"] & won["bob"]
    store = Store(open_database(home))
    for me, ids in won.items():
        assert all(store.decision(f"i{i}")["by"] == me for i in ids)  # type: ignore[index]
    assert len(store.audit_log(event="decision.recorded", limit=1000)) == 60
    verifies(store)
    store.conn.close()


# -- the audit: append-only, and its chain verifies -------------------------------------------
def test_audit_is_append_only_and_its_chain_verifies(home: Path, database: str) -> None:
    store = Store(open_database(home))
    for n in range(5):
        store.audit("decision.recorded", {"n": n}, actor="ann")
    assert store.verify_audit() == intact(5)
    for statement in ("UPDATE audit SET actor = 'mallory' WHERE seq = 3", "DELETE FROM audit"):
        with pytest.raises(Exception, match="append-only"), store.tx() as c:
            c.execute(statement)
    assert [e["seq"] for e in store.audit_log(oldest_first=True)] == [1, 2, 3, 4, 5]
    if database != "sqlite":  # cut from the end with the trigger disabled: still caught
        with store.tx() as c:
            c.execute("ALTER TABLE audit DISABLE TRIGGER USER")
            c.execute("DELETE FROM audit WHERE seq > 3")
            c.execute("ALTER TABLE audit ENABLE TRIGGER USER")
        assert "#4–#5" in str(broken(store)["problem"])
    store.conn.close()


# -- the runtime end to end: holds, paging counts, retention ----------------------------------
def test_a_held_send_is_released_by_the_scheduler(
    home: Path, tmp_path: Path, brief: dict[str, str], database: str
) -> None:
    policy = write_policy(tmp_path / "held.yaml", send_email={"hold_seconds": 600})
    with Signoff(home, model=ScriptedChatModel(), policy_path=policy) as s:
        email = by_action(s.start(brief)["pending"], "send_email")
        s.decide(email["id"], {"type": "approve"}, by="ann")
        [hold] = s.holds()
        assert s.tick(now=hold["release_at"] - 5)["released"] == []
        assert s.tick(now=hold["release_at"] + 1)["released"] == [hold["id"]]
        assert s.holds() == [] and s.tick(now=hold["release_at"] + 2)["released"] == []
        [row] = s.store.outbox(email["thread_id"])
        assert (row["name"], row["status"]) == ("send_email", "done")


def test_a_hold_decided_while_the_scheduler_releases_keeps_its_decision(
    home: Path,
    tmp_path: Path,
    brief: dict[str, str],
    database: str,
    monkeypatch: Any,
    caplog: Any,
) -> None:
    """The scheduler read two holds as due, and a person cancelled one before its releases
    were recorded: the cancel stands (first wins), the other hold is released, once, and the
    audit chain verifies (on PostgreSQL the step's first try fails on the cancel, and is done
    again looking before each release)."""
    policy = write_policy(
        tmp_path / "held.yaml", send_email={"hold_seconds": 600}, publish_post={"hold_seconds": 600}
    )
    with Signoff(home, model=ScriptedChatModel(), policy_path=policy) as s:
        for item in s.start(brief)["pending"]:
            s.decide(item["id"], {"type": "approve"}, by="ann")
        holds = s.holds()
        assert len(holds) == 2
        due = s.store.due(max(h["release_at"] for h in holds) + 1)
        first, second = sorted(due, key=lambda r: r["interrupt_id"])
        s.cancel(first["interrupt_id"], by="ann")
        monkeypatch.setattr(s.store, "due", lambda *a, **k: list(due))  # read before the cancel
        caplog.set_level("INFO", logger="graphs.storage.guesses")
        done = s.tick(now=max(h["release_at"] for h in holds) + 1)
        assert done["released"] == [second["interrupt_id"]]
        assert ("releases: a guess missed" in caplog.text) == (database != "sqlite")
        assert s.store.decision(first["interrupt_id"])["decision"]["type"] == "cancel"  # type: ignore[index]
        assert s.store.decision(second["interrupt_id"])["decision"]["type"] == "release"  # type: ignore[index]
        events = [e["event"] for e in s.store.audit_log(first["thread_id"], oldest_first=True)]
        assert events.count("hold.release") == 1 and events.count("hold.cancel") == 1
        verifies(s.store)


def test_inbox_pages_and_counts(signoff: Signoff, brief: dict[str, str], database: str) -> None:
    contacts = [{"email": f"c{n}@example.com", "name": f"C{n}"} for n in range(5)]
    signoff.start(brief)
    batch = signoff.start({**brief, "channels": ["email"]}, audience=contacts)
    counts = signoff.counts()
    assert counts["pending"] == 2 + len(contacts) and counts["holds"] == 0
    entries = signoff.store.inbox_page(limit=50)
    assert [e["open"] for e in entries].count(len(contacts)) == 1 and len(entries) == 3
    assert signoff.store.inbox_entries() == 3
    assert signoff.store.inbox_count(channel="email") == 1 + len(contacts)
    assert signoff.store.inbox_count(thread_id=batch["thread_id"]) == len(contacts)
    first, second = signoff.store.inbox_page(limit=2), signoff.store.inbox_page(offset=2)
    assert [e["interrupt_id"] for e in first + second] == [e["interrupt_id"] for e in entries]
    [member, *_] = signoff.store.batch_member_ids(batch["thread_id"], "audience")
    signoff.decide(member, {"type": "reject", "reason": "not this one"})
    assert signoff.counts()["pending"] == 1 + len(contacts)
    assert signoff.store.batch_open(batch["thread_id"], "audience") == len(contacts) - 1
    assert signoff.store.batch_needing_check(batch["thread_id"], "audience") >= 0


def test_prune_keeps_audit_and_outbox(
    signoff: Signoff, brief: dict[str, str], database: str
) -> None:
    finished = signoff.start(brief)
    for item in finished["pending"]:
        signoff.decide(item["id"], {"type": "approve"}, by="ann")
    thread_id = finished["thread_id"]
    config = {"configurable": {"thread_id": thread_id}}
    assert list(signoff.checkpointer.list(config))  # type: ignore[arg-type]
    before = signoff.campaign(thread_id)
    assert signoff.prune(0, by="ops") == [thread_id]
    assert list(signoff.checkpointer.list(config)) == []  # type: ignore[arg-type]
    after = signoff.campaign(thread_id)
    assert after["executed"] == before["executed"] and after["decisions"] == before["decisions"]
    assert len(signoff.store.outbox(thread_id)) == 2 and signoff.audit_verify()["ok"]


# -- a SQLite file from before Alembic is upgraded in place -----------------------------------
def test_a_sqlite_file_at_user_version_5_upgrades_in_place(home: Path) -> None:
    """Written by the old numbered script (graphs/storage/schema.py) with rows in its tables;
    opened by the new code: stamped, upgraded, every row kept, counters and triggers working."""
    db = home / "signoff.db"
    home.mkdir(parents=True)
    old = connect(db)
    for number, script in enumerate(MIGRATIONS, start=1):
        for statement in _statements(script):
            old.execute(statement)
        old.execute(f"PRAGMA user_version = {number}")
    assert len(MIGRATIONS) == 5
    payload = json.dumps({"action": {"name": "send_email"}, "channel": "email", "risk": "low"})
    old.execute("INSERT INTO campaigns VALUES ('t', '{}', 'waiting', 'x', 'x')")
    for n in range(3):
        old.execute(
            "INSERT INTO inbox (interrupt_id, thread_id, action_id, payload, created_at, batch)"
            " VALUES (?, 't', ?, ?, ?, 'b')",
            (f"i{n}", f"a{n}", payload, f"2026-01-01T00:00:0{n}"),
        )
    old.execute("INSERT INTO decisions VALUES ('i1', 't', 'a1', '{}', 'ann', 'x', NULL)")
    old.execute(
        "INSERT INTO jobs (kind, thread_id, payload, status, created_at, updated_at)"
        " VALUES ('run', 't', '{}', 'queued', 'x', 'x')"
    )
    old.execute(
        "INSERT INTO audit (at, actor, event, detail) VALUES ('x', 'ann', 'campaign.started', '{}')"
    )
    old.execute(
        "CREATE TABLE IF NOT EXISTS endorsements (interrupt_id TEXT NOT NULL, person TEXT NOT "
        "NULL, content_hash TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (interrupt_id, person))"
    )
    old.execute("INSERT INTO endorsements VALUES ('i0', 'ann', 'h', 'x')")
    old.close()

    store = Store(connect(db))
    assert store.query("SELECT version_num FROM alembic_version")[0][0] == head()
    assert store.query("PRAGMA user_version")[0][0] == int(head())
    assert store.inbox_count() == 2 and store.batch_open("t", "b") == 2
    assert [r["interrupt_id"] for r in store.inbox_items()] == ["i0", "i2"]
    assert store.decision("i1")["by"] == "ann"  # type: ignore[index]
    assert store.claim_job("w")["thread_id"] == "t"  # type: ignore[index]
    assert store.query("SELECT person FROM endorsements")[0]["person"] == "ann"
    assert store.audit_log()[0]["event"] == "campaign.started"
    store.record_decision("i0", "t", "a0", {"type": "approve"}, "bob")  # triggers still count
    assert store.inbox_count() == 1
    with pytest.raises(Exception, match="append-only"), store.tx() as c:
        c.execute("DELETE FROM audit")
    store.conn.close()
    # the same tables and columns as a database created fresh by the revisions
    fresh = Store(connect(home.parent / "fresh" / "signoff.db"))
    assert _columns(fresh) == _columns(Store(connect(db)))


def _columns(store: Store) -> dict[str, list[str]]:
    tables = [
        r["name"]
        for r in store.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    ]
    return {t: [r["name"] for r in store.query(f"PRAGMA table_info({t})")] for t in tables}


# -- make bench's P1 on PostgreSQL runs to the end (speed is the bench's business) ------------
def test_p1_on_postgres_prints_its_ratio(postgres: Any) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--only", "p1pg", "--threads", "1"],
        cwd=ROOT,
        env={**os.environ, "SIGNOFF_BENCH_DATABASE_URL": postgres.url},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.search(r"^p1pg_ratio=\d+\.\d+$", done.stdout, re.M), done.stdout[-2000:]
    assert re.search(r"^p1pg_cpu_ratio=\d+\.\d+$", done.stdout, re.M), done.stdout[-2000:]
    assert re.search(r"^p1pg_ratio_vs_pooled_bare=\d+\.\d+$", done.stdout, re.M), done.stdout[
        -2000:
    ]


# -- the ad-spend ledger on PostgreSQL: one budget for every machine --------------------------
def test_ad_budgets_hold_across_machines_on_postgres(
    tmp_path: Path, postgres: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tools.ads import spent
    from tools.base import Call, ConnectorError, Settings
    from tools.registry import get_tool

    monkeypatch.setenv("SIGNOFF_DATABASE_URL", postgres.new_schema())
    tool = get_tool("spend_ads")
    machines = [
        Settings(home=tmp_path / name, ads_daily_budget=100.0, ads_campaign_budget=1000.0)
        for name in ("machine-a", "machine-b")
    ]
    Store(open_database(tmp_path / "machine-a")).conn.close()  # migrated: ad_spend is there

    def book(settings: Settings, amount: float, key: str) -> dict[str, Any]:
        args = tool.validate_args(
            {"amount": amount, "currency": "EUR", "description": "winter push"}, settings
        )
        return tool.run(Call(args, key, f"camp-{key[:1]}", "ads-1", settings))

    assert book(machines[0], 70, "a" * 64)["status"] == "booked locally"
    assert book(machines[0], 70, "a" * 64)["amount"] == 70  # the same reference: once
    with pytest.raises(ConnectorError, match="over the daily budget"):
        book(machines[1], 40, "b" * 64)  # the other machine sees the first one's 70
    assert book(machines[1], 30, "c" * 64)["status"] == "booked locally"
    assert spent(machines[0]) == spent(machines[1]) == 100.0
    assert not (tmp_path / "machine-a" / "ledger.db").exists()


def test_a_new_sqlite_file_is_the_revisions_database(tmp_path: Path) -> None:
    """A new file is filled from a copy built once per process: the very schema, rows and
    revision the Alembic revisions give, in WAL mode; a file with tables is never overwritten."""
    from contextlib import closing
    from sqlite3 import connect as raw

    from graphs.storage.migrate import _alembic_sqlite, upgrade_sqlite

    def schema(path: Path) -> tuple[list[tuple[str, str, str]], list[Any], int]:
        with closing(raw(path)) as c:
            return (
                sorted(c.execute("SELECT type, name, sql FROM sqlite_master").fetchall()),
                c.execute("SELECT version_num FROM alembic_version").fetchall(),
                c.execute("PRAGMA user_version").fetchone()[0],
            )

    by_alembic, by_copy = tmp_path / "a.db", tmp_path / "b.db"
    _alembic_sqlite(by_alembic)
    store = Store(connect(by_copy))  # how every process opens it
    assert schema(by_copy) == schema(by_alembic)
    assert store.query("PRAGMA journal_mode")[0][0] == "wal"
    store.record_decision("i0", "t", "a0", {"type": "approve"}, "bob")
    upgrade_sqlite(by_copy)  # not empty: untouched
    assert store.decision("i0")["by"] == "bob"  # type: ignore[index]
    store.conn.close()


def test_the_newest_revision_is_alembics_head() -> None:
    """`head()` reads the versions folder (no Alembic import to open a database): the same
    revision Alembic's own script directory names as its single head."""
    from graphs.storage.migrate import script_directory

    assert script_directory().get_heads() == [head()]


def test_processes_opening_a_new_postgres_database_at_once_all_start(postgres: Any) -> None:
    """The first set-up (Alembic, then LangGraph's CREATE INDEX CONCURRENTLY) under a polled
    lock: a process blocked in pg_advisory_lock would hold a snapshot the index build waits for
    (a deadlock). Four processes' worth of connections open one brand-new database at once."""
    from pg_schemas import schema_url

    from graphs.storage.checkpoints import postgres_saver
    from graphs.storage.migrate import upgrade_postgres

    url = schema_url(postgres.url)
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            upgrade_postgres(url)
            _, conn = postgres_saver(url)
            conn.close()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    assert not any(t.is_alive() for t in threads) and errors == []
