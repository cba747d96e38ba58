"""A decision on an item this process just indexed reads nothing first on PostgreSQL
(graphs/storage/fresh_rows.py): its commit carries a guard instead, and when another process
changed the item in between (resumed its thread, endorsed it, decided it) the guard or the
decision's key fails that commit and the decision is made again, reading. SQLite always reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fakes import ScriptedChatModel

from graphs.errors import AlreadyDecided, NotFound
from graphs.runtime import Signoff
from graphs.store import Store, now_iso, open_database

pytestmark = pytest.mark.usefixtures("database")


def by_action(pending: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(p for p in pending if p["action"] == name)


def spied(s: Signoff) -> list[bool]:
    """The `guess` of each `item_and_decision` call, and whether it read (False) or guessed."""
    calls: list[bool] = []
    original = s.store.item_and_decision

    def spy(interrupt_id: str, *, guess: bool = False) -> Any:
        reads = len(read_sql)
        found = original(interrupt_id, guess=guess)
        calls.append(len(read_sql) == reads)  # True: nothing was read
        return found

    read_sql: list[str] = []
    reads = s.store.reads

    def counted(statements: Any) -> Any:
        read_sql.extend(sql for sql, _ in statements)
        return reads(statements)

    s.store.reads = counted  # type: ignore[method-assign]
    s.store.item_and_decision = spy  # type: ignore[method-assign]
    return calls


def test_a_decision_right_after_its_run_reads_nothing_first(
    home: Path, brief: dict[str, str], database: str
) -> None:
    with Signoff(home, model=ScriptedChatModel()) as s:
        started = s.start(brief)
        email = by_action(started["pending"], "send_email")
        calls = spied(s)
        s.decide(email["id"], {"type": "approve"}, by="ann")
        assert calls == [database != "sqlite"]  # guessed on PostgreSQL, read on SQLite
        assert s.store.decision(email["id"])["by"] == "ann"
        events = [e["event"] for e in s.store.audit_log(limit=1000)]
        assert events.count("decision.recorded") == 1 and "decision.applied" in events
        post = by_action(s.pending(), "publish_post")
        s.decide(
            post["id"], {"type": "reject", "reason": "off brand"}, by="ann"
        )  # the other row, still remembered
        assert calls == [database != "sqlite"] * 2
        with pytest.raises(AlreadyDecided):  # forgotten once decided: read, and refused
            s.decide(email["id"], {"type": "reject", "reason": "late"}, by="bob")
        assert calls[-1] is False


def test_a_row_another_process_removed_is_read_again_and_nothing_is_recorded(
    home: Path, brief: dict[str, str], database: str
) -> None:
    with Signoff(home, model=ScriptedChatModel()) as s:
        email = by_action(s.start(brief)["pending"], "send_email")
        other = Store(open_database(home))
        try:  # another process moved the thread on: the row is gone, undecided
            other.write_one("DELETE FROM inbox WHERE interrupt_id = ?", (email["id"],))
        finally:
            other.conn.close()
        calls = spied(s)
        entries = len(s.store.audit_log(limit=1000))
        with pytest.raises(NotFound):
            s.decide(email["id"], {"type": "approve"}, by="ann")
        # PostgreSQL: guessed, the guard failed the commit, read again; SQLite: read once
        assert calls == ([True, False] if database != "sqlite" else [False])
        assert s.store.decision(email["id"]) is None
        assert len(s.store.audit_log(limit=1000)) == entries  # the missed commit left nothing


def test_an_endorsement_made_elsewhere_is_read_before_the_decision_counts(
    home: Path, brief: dict[str, str], database: str
) -> None:
    with Signoff(home, model=ScriptedChatModel()) as s:
        email = by_action(s.start(brief)["pending"], "send_email")
        other = Store(open_database(home))
        try:
            other.write_one(
                "INSERT INTO endorsements VALUES (?, ?, ?, ?)",
                (email["id"], "bob", "h", now_iso()),
            )
        finally:
            other.conn.close()
        calls = spied(s)
        s.decide(email["id"], {"type": "approve"}, by="ann")
        assert calls == ([True, False] if database != "sqlite" else [False])
        assert s.store.decision(email["id"])["by"] == "ann"
