"""An audit chain written by main before the hand-built JSON (tests/data/audit_main, written by
10ab768's code: see its make_fixture.py) verifies on today's code, takes new entries, and still
gives away any tampering; today's anchor lines are byte for byte the ones main wrote."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from audit_support import broken, intact

from graphs.audit_chain import canonical, plain_hash
from graphs.store import Store, connect, open_database

FIXTURE = Path(__file__).parents[1] / "data" / "audit_main"
FIELDS = ("seq", "at", "thread_id", "actor", "event", "detail", "policy_version", "prev_hash")


def main_rows() -> list[dict[str, object]]:
    return list(json.loads((FIXTURE / "rows.json").read_text())["rows"])


@pytest.fixture
def chain_env(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Main's key, and a copy of main's anchor, for the store opened next."""
    anchor = tmp_path / "anchor.jsonl"
    shutil.copyfile(FIXTURE / "anchor.jsonl", anchor)
    monkeypatch.setenv("SIGNOFF_AUDIT_KEY", (FIXTURE / "key").read_text().strip())
    monkeypatch.setenv("SIGNOFF_AUDIT_ANCHOR", str(anchor))
    return anchor


def with_main_rows(s: Store) -> Store:
    """The rows as main stored them (an INSERT is allowed; the sequence follows, on SQLite
    by itself, on PostgreSQL as `_append_audit` keeps it)."""
    top = (
        " RETURNING setval(pg_get_serial_sequence('audit', 'seq'), seq)"
        if s.dialect == "postgresql"
        else ""
    )
    with s.tx() as c:
        for r in main_rows():
            c.execute(
                "INSERT INTO audit (seq, at, thread_id, actor, event, detail, policy_version,"
                " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)" + top,
                tuple(r[k] for k in (*FIELDS, "hash")),
            )
    return s


@pytest.fixture
def store(home: Path, chain_env: Path) -> Iterator[Store]:
    s = with_main_rows(Store(connect(home / "signoff.db"), policy_version="policy-7"))
    yield s
    s.conn.close()


def test_main_chain_verifies_and_continues_on_both_databases(
    home: Path, chain_env: Path, database: str
) -> None:
    s = with_main_rows(Store(open_database(home), policy_version="policy-7"))
    assert s.dialect == ("sqlite" if database == "sqlite" else "postgresql")
    assert s.verify_audit() == intact(9)
    with s.tx() as c:
        for n in range(2):
            s._append_audit(c, "action.executed", {"n": n, "by": "Zoë"}, thread_id="t-9")
    assert s.verify_audit() == intact(11)
    s.conn.close()


def tamper(store: Store) -> sqlite3.Connection:
    conn = sqlite3.connect(store.conn.execute("PRAGMA database_list").fetchone()[2])
    conn.isolation_level = None
    conn.execute("DROP TRIGGER IF EXISTS audit_append_only_update")
    conn.execute("DROP TRIGGER IF EXISTS audit_append_only_delete")
    return conn


def test_main_chain_verifies(store: Store) -> None:
    assert len(main_rows()) == 9
    assert store.verify_audit() == intact(9)


def test_new_entries_continue_main_chain(store: Store) -> None:
    store.audit("decision.recorded", {"by": "Zoë", "n": 1}, thread_id="t-9")
    with store.tx() as c:
        for n in range(2):
            store._append_audit(c, "action.executed", {"n": n}, thread_id="t-9")
    assert store.verify_audit() == intact(12)
    new = store.query("SELECT seq, prev_hash FROM audit WHERE seq = 10")[0]
    assert new["prev_hash"] == main_rows()[-1]["hash"]
    assert [r["seq"] for r in store.chain.read_anchor() if "seq" in r] == list(range(1, 13))


def test_hand_built_bytes_are_mains(store: Store) -> None:
    for row in main_rows():
        fields = [row[k] for k in FIELDS]
        assert canonical(*fields) == json.dumps(fields, separators=(",", ":")).encode()
        assert store.chain.mac(*fields) == row["hash"]
    lines = (FIXTURE / "anchor.jsonl").read_text().splitlines(keepends=True)
    heads = [(json.loads(line), line) for line in lines if '"seq"' in line]
    assert len(heads) == 9
    for head, line in heads:
        assert store.chain._head_line(head["seq"], head["hash"], head["at"]) == line


def test_altered_main_entry_is_caught(store: Store) -> None:
    conn = tamper(store)
    conn.execute("UPDATE audit SET detail = ? WHERE seq = 3", ('{"text": "nothing to see"}',))
    result = broken(store)
    assert result["first_bad"] == 3 and "altered" in result["problem"]


def test_main_entry_rehashed_without_the_key_is_caught(store: Store) -> None:
    conn = tamper(store)
    row = conn.execute(f"SELECT {', '.join(FIELDS)} FROM audit WHERE seq = 9").fetchone()
    conn.execute("UPDATE audit SET hash = ? WHERE seq = 9", (plain_hash(*row),))
    result = broken(store)
    assert result["first_bad"] == 9 and "re-hashed without the audit key" in result["problem"]


def test_main_tail_cut_is_caught(store: Store) -> None:
    conn = tamper(store)
    conn.execute("DELETE FROM audit WHERE seq >= 8")
    conn.execute("UPDATE sqlite_sequence SET seq = 7 WHERE name = 'audit'")
    result = broken(store)
    assert result["first_bad"] == 8 and "cut from the end" in result["problem"]


def test_forged_line_in_mains_anchor_is_caught(store: Store) -> None:
    head = next(r for r in store.chain.read_anchor() if r.get("seq") == 4)
    forged = {k: v for k, v in head.items() if k != "_line"} | {"at": "2020-01-01T00:00:00+00:00"}
    with store.chain.anchor.open("a") as out:
        out.write(json.dumps(forged, sort_keys=True) + "\n")
    assert "not signed with the audit key" in broken(store)["problem"]
