"""The tamper suite: someone who can write the database file (drops the append-only triggers,
edits rows, recomputes the chain by direct SQL) cannot make the audit verify again; the keyed MAC
needs the key outside the database and the anchor outside it still holds the heads."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from audit_support import broken, intact, verifies
from loopback import Loopback

from graphs.audit_chain import AuditChain, canonical
from graphs.errors import InvalidInput
from graphs.store import MIGRATIONS, Store, _statements, audit_hash, connect

COLUMNS = "seq, at, thread_id, actor, event, detail, policy_version, prev_hash"


@pytest.fixture
def db(home: Path) -> Path:
    return home / "signoff.db"


@pytest.fixture
def store(db: Path) -> Iterator[Store]:
    s = Store(connect(db), policy_version="v1")
    for n in range(8):
        s.audit("decision.recorded", {"n": n, "decision": "approve"}, thread_id="t1", actor="ann")
    yield s
    s.conn.close()


def tamper(db: Path) -> sqlite3.Connection:
    """What an attacker with the file does first: drop the append-only guard."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("DROP TRIGGER IF EXISTS audit_append_only_update")
    conn.execute("DROP TRIGGER IF EXISTS audit_append_only_delete")
    return conn


def rechain(conn: sqlite3.Connection, digest) -> None:  # type: ignore[no-untyped-def]
    """Recompute every prev_hash/hash in sequence order with `digest(fields) -> hex`."""
    prev = ""
    for r in conn.execute(f"SELECT {COLUMNS} FROM audit ORDER BY seq").fetchall():
        fields = [*list(r)[:-1], prev]
        h = digest(fields)
        conn.execute("UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, h, r["seq"]))
        prev = h


def sha256(fields: list[object]) -> str:
    return audit_hash(*fields)  # type: ignore[arg-type]


def test_untouched_log_verifies_and_every_head_is_anchored(store: Store) -> None:
    assert store.verify_audit() == intact(8)
    heads = [r for r in store.chain.read_anchor() if "seq" in r]
    assert [h["seq"] for h in heads] == list(range(1, 9))
    assert store.chain.genesis()["keyed_from"] == 1  # type: ignore[index]
    # the database never holds the key: no row carries it, and the MAC is not plain SHA-256
    row = store.query(f"SELECT {COLUMNS}, hash FROM audit WHERE seq = 1")[0]
    assert row["hash"] != audit_hash(*list(row)[:-1])


# 1
def test_altered_entry(store: Store, db: Path) -> None:
    with tamper(db) as conn:
        conn.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 4")
    result = broken(store)
    assert result["first_bad"] == 4 and result["problem"] == "entry #4 was altered"


# 2
def test_removed_entry(store: Store, db: Path) -> None:
    with tamper(db) as conn:
        conn.execute("DELETE FROM audit WHERE seq = 5")
    result = broken(store)
    assert result["first_bad"] == 6 and "#5 was removed" in str(result["problem"])


# 3
def test_removed_entry_renumbered_and_rechained_with_sha256(store: Store, db: Path) -> None:
    with tamper(db) as conn:
        conn.execute("DELETE FROM audit WHERE seq = 5")
        conn.execute("UPDATE audit SET seq = seq - 1 WHERE seq > 5")
        conn.execute("UPDATE sqlite_sequence SET seq = 7 WHERE name = 'audit'")
        rechain(conn, sha256)
    result = broken(store)
    assert result["first_bad"] == 1 and "re-hashed without the audit key" in str(result["problem"])


# 4
def test_rewritten_and_rehashed_with_plain_sha256(store: Store, db: Path) -> None:
    with tamper(db) as conn:
        conn.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 3")
        rechain(conn, sha256)
    result = broken(store)
    assert result["first_bad"] == 1
    assert result["problem"] == "entry #1 was re-hashed without the audit key"


# 5
def test_rewritten_and_rehashed_with_a_guessed_key(store: Store, db: Path) -> None:
    def guessed(fields: list[object]) -> str:
        return hmac.new(b"guessed-key-0000", canonical(*fields), hashlib.sha256).hexdigest()  # type: ignore[arg-type]

    with tamper(db) as conn:
        conn.execute("UPDATE audit SET detail = '{}' WHERE seq = 2")
        rechain(conn, guessed)
    result = broken(store)
    assert result["first_bad"] == 1 and result["problem"] == "entry #1 was altered"


# 6
def test_null_hashes_after_the_chain_began(store: Store, db: Path) -> None:
    with tamper(db) as conn:
        conn.execute("UPDATE audit SET hash = NULL, prev_hash = NULL")
    result = broken(store)
    assert result["first_bad"] == 1 and "lost its hash after the chain began" in str(
        result["problem"]
    )


# 7
def test_null_hashes_on_the_tail_only(store: Store, db: Path) -> None:
    with tamper(db) as conn:
        conn.execute("UPDATE audit SET hash = NULL, prev_hash = NULL WHERE seq >= 6")
    result = broken(store)
    assert result["first_bad"] == 6 and "lost its hash" in str(result["problem"])


# 8
def test_entries_cut_from_the_end_with_the_sequence_reset(store: Store, db: Path) -> None:
    with tamper(db) as conn:
        conn.execute("DELETE FROM audit WHERE seq > 5")
        conn.execute("UPDATE sqlite_sequence SET seq = 5 WHERE name = 'audit'")
    result = broken(store)
    assert result["first_bad"] == 6
    assert "(#6–#8) were cut from the end (the anchor saw #8)" in str(result["problem"])


# 9
def test_entries_cut_from_the_end_and_sequence_table_dropped(store: Store, db: Path) -> None:
    with tamper(db) as conn:
        conn.execute("DELETE FROM audit WHERE seq > 2")
        conn.execute("DELETE FROM sqlite_sequence WHERE name = 'audit'")
    assert "cut from the end" in str(broken(store)["problem"])


# 10
def test_database_rolled_back_to_an_older_copy(home: Path) -> None:
    """An older copy of the file put back, and Signoff carries on writing: the numbers line up,
    the hashes do not match what the anchor saw."""
    db = home / "signoff.db"
    s = Store(connect(db))
    for n in range(6):
        s.audit("decision.recorded", {"n": n})
    s.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    copy = db.read_bytes()
    s.audit("decision.recorded", {"n": "spend approved"}, actor="ann")
    s.audit("decision.recorded", {"n": "sent"}, actor="ann")
    s.conn.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    db.write_bytes(copy)
    s = Store(connect(db))
    s.audit("decision.recorded", {"n": "something else"})
    s.audit("decision.recorded", {"n": "and more"})
    result = broken(s)
    assert result["first_bad"] == 7 and "not the one the anchor recorded" in str(result["problem"])
    s.conn.close()


# 11
def test_forged_anchor_line(store: Store, db: Path) -> None:
    with store.chain.anchor.open("a") as out:
        out.write(json.dumps({"seq": 99, "hash": "0" * 64, "at": "now", "mac": "f" * 64}) + "\n")
    result = broken(store)
    assert "is not signed with the audit key" in str(result["problem"])


# 12
def test_anchor_deleted(store: Store) -> None:
    store.chain.anchor.unlink()
    result = broken(store)
    assert "is missing or empty" in str(result["problem"])


# 13
def test_other_key_cannot_verify(store: Store, db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNOFF_AUDIT_KEY", "an-entirely-different-secret")
    other = Store(connect(db), policy_version="v1")
    try:
        assert "not signed with the audit key" in str(broken(other)["problem"])
    finally:
        other.conn.close()


def test_key_file_is_owner_only_and_outside_the_home(store: Store, db: Path, home: Path) -> None:
    key = home.parent / ".signoff-config" / "audit.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert not key.is_relative_to(home) and not store.chain.anchor.is_relative_to(home)
    key.chmod(0o644)
    with pytest.raises(InvalidInput, match="chmod 600"):
        AuditChain.for_database(db)


def test_key_from_the_environment(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNOFF_AUDIT_KEY", "short")
    with pytest.raises(InvalidInput, match="at least 16 characters"):
        Store(connect(home / "env.db"))
    monkeypatch.setenv("SIGNOFF_AUDIT_KEY", "s" * 32)
    monkeypatch.setenv("SIGNOFF_AUDIT_ANCHOR", str(home.parent / "anchors" / "env.jsonl"))
    s = Store(connect(home / "env.db"))
    s.audit("policy.loaded", {})
    verifies(s)
    assert (home.parent / "anchors" / "env.jsonl").exists()
    assert not (home.parent / ".signoff-config" / "audit.key").exists()
    s.conn.close()


def test_rolled_back_entry_is_not_anchored(store: Store) -> None:
    with pytest.raises(RuntimeError), store.tx() as c:
        store._append_audit(c, "decision.recorded", {"n": "rolled back"})
        raise RuntimeError("crash before commit")
    store.audit("decision.recorded", {"n": "after"})
    verifies(store)


def test_heads_go_to_the_anchor_webhook(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Loopback() as server:
        monkeypatch.setenv("SIGNOFF_AUDIT_ANCHOR_URL", f"{server.url}/anchor")
        s = Store(connect(home / "signoff.db"))
        s.audit("policy.loaded", {"v": 1})
        s.audit("policy.loaded", {"v": 2})
        s.conn.close()
        posted = [r.json["audit_head"] for r in server.requests if r.path == "/anchor"]
    assert [p["seq"] for p in posted] == [1, 2]
    assert [p["hash"] for p in posted] == [r["hash"] for r in s.chain.read_anchor() if "seq" in r]


def legacy_database(db: Path, entries: int) -> None:
    """A database written before the key existed: migrations 1-2, a plain SHA-256 chain with
    two pre-chain rows (NULL hashes) at its start."""
    db.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db, isolation_level=None)
    for number, script in enumerate(MIGRATIONS[:2], start=1):
        for statement in _statements(script):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {number}")
    prev = ""
    for seq in range(1, entries + 1):
        fields = [seq, f"2026-01-0{seq}T00:00:00+00:00", None, "ann", "x", "{}", "v0", prev]
        h = None if seq <= 2 else audit_hash(*fields)  # type: ignore[arg-type]
        conn.execute(
            f"INSERT INTO audit ({COLUMNS}, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*fields[:-1], None if h is None else prev, h),
        )
        prev = h or ""
    conn.close()


def test_existing_database_keeps_its_plain_chain_and_is_protected_from_then_on(
    home: Path,
) -> None:
    db = home / "signoff.db"
    legacy_database(db, 5)
    s = Store(connect(db), policy_version="v1")
    assert s.chain.genesis()["keyed_from"] == 6  # type: ignore[index]
    s.audit("decision.recorded", {"after": "key"})
    assert s.verify_audit() == intact(6)
    # the pre-key entries rewritten and their plain chain recomputed: the keyed entry and the
    # genesis still commit to the old last hash
    with tamper(db) as conn:
        conn.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 4")
        prev = conn.execute("SELECT hash FROM audit WHERE seq = 3").fetchone()[0]
        for seq in (4, 5):
            r = conn.execute(f"SELECT {COLUMNS} FROM audit WHERE seq = ?", (seq,)).fetchone()
            h = audit_hash(*[*list(r)[:-1], prev])
            conn.execute("UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, h, seq))
            prev = h
    result = broken(s)
    assert result["first_bad"] == 6 and "does not follow" in str(result["problem"])
    s.conn.close()


def test_pre_key_entries_cannot_shed_their_hashes(home: Path) -> None:
    db = home / "signoff.db"
    legacy_database(db, 5)
    s = Store(connect(db))
    with tamper(db) as conn:
        conn.execute("UPDATE audit SET hash = NULL, prev_hash = NULL WHERE seq = 4")
    assert "#4 lost its hash after the chain began" in str(broken(s)["problem"])
    s.conn.close()


def test_environment_has_no_key_by_default() -> None:
    assert "SIGNOFF_AUDIT_KEY" not in os.environ
