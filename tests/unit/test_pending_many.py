"""`pending()` and the approvals it reads, past what one statement takes: PostgreSQL refuses more
than 65,535 parameters in a statement, SQLite more than its build's limit (250,000 in Debian's),
so every `IN (...)` list is read `IN_CHUNK` ids at a time (graphs/storage/chunked.py)."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

import graphs.storage.chunked as chunked
from graphs.runtime import Signoff

POSTGRES_LIMIT = 65_535  # parameters in one statement (the protocol's 16-bit count)


def _endorse(signoff: Signoff, rows: list[tuple[str, str, str]]) -> None:
    with signoff.store.tx() as c:
        for interrupt_id, person, at in rows:
            c.execute(
                "INSERT INTO endorsements VALUES (?, ?, ?, ?)", (interrupt_id, person, "h", at)
            )


def _largest_statement(signoff: Signoff, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Records the parameter count of every read the store sends from now on."""
    counts: list[int] = []
    query, reads = signoff.store.query, signoff.store.reads

    def spy_query(sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        counts.append(len(params))
        return query(sql, params)

    def spy_reads(statements: list[tuple[str, tuple[Any, ...]]]) -> list[list[Any]]:
        counts.extend(len(p) for _, p in statements)
        return reads(statements)

    monkeypatch.setattr(signoff.store, "query", spy_query)
    monkeypatch.setattr(signoff.store, "reads", spy_reads)
    return counts


def test_endorsers_of_more_ids_than_a_statement_takes(signoff: Signoff, database: str) -> None:
    sqlite_limit = sqlite3.connect(":memory:").getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    n = max(POSTGRES_LIMIT, sqlite_limit) + 1  # past both databases' limits
    ids = [f"i{k:07d}" for k in range(n)]  # synthetic: the limit bites with no rows at all
    _endorse(
        signoff,
        [
            (ids[0], "ann", "2026-01-01T00:00:01"),
            (ids[-1], "bob", "2026-01-01T00:00:02"),  # in the last chunk
            (ids[-1], "ann", "2026-01-01T00:00:03"),
            ("not-asked", "cat", "2026-01-01T00:00:04"),
        ],
    )
    found = signoff.approvals.endorsers_of(ids)
    assert len(found) == n and list(found) == ids
    assert found[ids[0]] == ["ann"]
    assert found[ids[-1]] == ["bob", "ann"]  # in the order they approved
    assert sum(1 for people in found.values() if people) == 2


def test_pending_reads_approvals_chunk_by_chunk(
    signoff: Signoff, brief: dict[str, str], database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(3):
        signoff.start(brief)
    before = signoff.pending()
    assert len(before) >= 6 and all(i["authority"]["approvals"] == [] for i in before)
    ids = [i["id"] for i in before]
    _endorse(
        signoff,
        [
            (ids[0], "ann", "2026-01-01T00:00:01"),
            (ids[-1], "bob", "2026-01-01T00:00:02"),
            (ids[-1], "ann", "2026-01-01T00:00:03"),
        ],
    )
    monkeypatch.setattr(chunked, "IN_CHUNK", 2)  # the items span several `IN` lists
    counts = _largest_statement(signoff, monkeypatch)
    after = signoff.pending()
    assert [i["id"] for i in after] == ids
    approvals = {i["id"]: i["authority"]["approvals"] for i in after}
    assert approvals[ids[0]] == ["ann"] and approvals[ids[-1]] == ["bob", "ann"]
    assert all(approvals[i] == [] for i in ids[1:-1])
    assert counts and max(counts) <= 2  # no read carried more ids than a chunk
    # one page's ids (within a chunk) stay one plain statement
    page = signoff.pending_page(1, 2)
    assert [i["authority"]["approvals"] for i in page["items"]] == [approvals[i] for i in ids[:2]]
