"""On PostgreSQL Signoff's sessions compress what they write with lz4 (graphs/storage/database.py
`prefer_lz4`); a campaign paused by the previous code, whose values the server compressed with
its default pglz, still resumes and finishes, its old values read as they were stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest
from fakes import ScriptedChatModel
from policy_support import write_policy

from graphs.runtime import Signoff
from graphs.storage import database

pytestmark = pytest.mark.timeout(300)


def methods(url: str) -> dict[str, set[str]]:
    """The compression methods of the stored values, per table (uncompressed values left out)."""
    found: dict[str, set[str]] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for table, column in (("checkpoint_writes", "blob"), ("checkpoints", "checkpoint")):
            rows = conn.execute(
                f"SELECT DISTINCT pg_column_compression({column}) FROM {table}"
                f" WHERE pg_column_compression({column}) IS NOT NULL"
            ).fetchall()
            found[table] = {r[0] for r in rows}
    return found


def test_a_campaign_paused_with_pglz_values_finishes_with_lz4_sessions(
    postgres: Any,
    home: Path,
    tmp_path: Path,
    brief: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = postgres.new_schema()
    monkeypatch.setenv("SIGNOFF_DATABASE_URL", url)
    policy = write_policy(tmp_path / "held.yaml", send_email={"hold_seconds": 600})
    with monkeypatch.context() as old_code:  # the previous code: the server's default, pglz
        old_code.setattr(database, "prefer_lz4", lambda conn: None)
        with Signoff(home, model=ScriptedChatModel(), policy_path=policy) as s:
            started = s.start(brief)
            [email] = [p for p in started["pending"] if p["action"] == "send_email"]
            [post] = [p for p in started["pending"] if p["action"] == "publish_post"]
            s.decide(email["id"], {"type": "approve"}, by="ann")  # now held
            assert [h["id"] for h in s.holds()]
    stored = methods(url)
    assert stored["checkpoint_writes"] == {"pglz"}, stored  # the gates' interrupts, > 2 KB

    with Signoff(home, model=ScriptedChatModel(), policy_path=policy) as s:
        for conn in (s.checkpointer.conn, s.store.conn.raw):  # type: ignore[attr-defined]
            row = conn.execute("SHOW default_toast_compression").fetchone()
            assert row["default_toast_compression"] == "lz4"
        [pending] = s.pending()
        assert pending["id"] == post["id"]  # the inbox row the previous code wrote, read back
        s.decide(post["id"], {"type": "approve"}, by="ann")
        holds = s.holds()  # the email's, held before, and the post's
        assert len(holds) == 2
        released = s.tick(now=max(h["release_at"] for h in holds) + 1)["released"]
        assert sorted(released) == sorted(h["id"] for h in holds)
        summary = s.summary(started["thread_id"])
        assert summary["status"] == "done", summary
        outbox = s.store.outbox(started["thread_id"])
        assert sorted((r["name"], r["status"]) for r in outbox) == [
            ("publish_post", "done"),
            ("send_email", "done"),
        ]
        assert s.audit_verify()["ok"]
    stored = methods(url)
    assert "lz4" in stored["checkpoint_writes"] | stored["checkpoints"], stored
