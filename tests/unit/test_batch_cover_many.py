"""A batch decision's left-out contacts, past what one statement takes: `_cover` (the contacts a
batch decision covers leave the index) reads the open ids and deletes the covered ones `IN_CHUNK`
at a time, never one `NOT IN (...)` list of every left-out id (graphs/runtime/batches.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

import graphs.storage.chunked as chunked
from graphs.runtime import Signoff

POSTGRES_LIMIT = 65_535  # parameters in one statement (the protocol's 16-bit count)
CONTACTS = [{"email": f"p{i}@example.com", "name": f"Pat{i} Lee"} for i in range(1, 13)]


def _start_batch(signoff: Signoff, brief: dict[str, str]) -> str:
    return str(signoff.start({**brief, "channels": ["email"]}, audience=CONTACTS)["thread_id"])


def _inbox_deletes(signoff: Signoff, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Records the parameter count of every DELETE on the inbox sent in a transaction."""
    counts: list[int] = []
    tx = signoff.store.tx

    class Spy:
        def __init__(self, conn: Any) -> None:
            self._conn = conn

        def execute(self, sql: str, params: Any = ()) -> Any:
            if sql.lstrip().upper().startswith("DELETE FROM INBOX"):
                counts.append(len(params))
            return self._conn.execute(sql, params)

        def __getattr__(self, name: str) -> Any:
            return getattr(self._conn, name)

    @contextmanager
    def spy_tx(**kw: Any) -> Iterator[Any]:
        with tx(**kw) as c:
            yield Spy(c)

    monkeypatch.setattr(signoff.store, "tx", spy_tx)
    return counts


@pytest.mark.usefixtures("database")  # on SQLite and PostgreSQL
def test_approve_all_but_many_deletes_chunk_by_chunk(
    signoff: Signoff, brief: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    thread = _start_batch(signoff, brief)
    ids = signoff.batch_ids(thread, "audience")
    assert len(ids) == len(CONTACTS)
    signoff.decide(ids[0], {"type": "reject", "reason": "Wrong audience"})
    left_out = ids[1:6]  # more ids than a chunk: several statements on the new code
    monkeypatch.setattr(chunked, "IN_CHUNK", 2)
    counts = _inbox_deletes(signoff, monkeypatch)
    result = signoff.decide_batch(thread, "audience", {"type": "approve"}, exclude=left_out)
    assert sorted(result["decisions"]) == sorted(ids[6:])
    assert counts and max(counts) <= 2 + 2  # thread, batch and at most a chunk of ids
    assert [p["id"] for p in signoff.pending()] == left_out  # the left-out contacts stay open
    # the reindex after the batch was decided covers the same contacts again (idempotent)
    signoff._cover(thread, "audience", list(left_out))
    assert signoff.store.batch_member_ids(thread, "audience") == left_out


@pytest.mark.usefixtures("database")
def test_cover_with_more_left_out_ids_than_a_statement_takes(
    signoff: Signoff, brief: dict[str, str]
) -> None:
    thread = _start_batch(signoff, brief)
    ids = signoff.batch_ids(thread, "audience")
    sqlite_limit = sqlite3.connect(":memory:").getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    n = max(POSTGRES_LIMIT, sqlite_limit) + 1  # past both databases' limits
    unknown = [f"{ids[0]}x{k}" for k in range(n)]  # ids of no row: the limit bites anyway
    left_out = [ids[2], *unknown, ids[-1]]
    signoff._cover(thread, "audience", left_out)
    assert signoff.store.batch_member_ids(thread, "audience") == [ids[2], ids[-1]]
