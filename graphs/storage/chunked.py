"""Reads keyed by a list of ids of any length: `IN (...)` lists of at most `IN_CHUNK` ids each.

A statement carries at most 65,535 parameters on PostgreSQL and 32,766 on a standard SQLite
build (250,000 in Debian's), so a read for every pending item (`Signoff.pending()` over
100,000 items) must not put every id into one `IN (...)` list. `read_in` splits the ids into
statements of `IN_CHUNK` ids, sent in one round trip on PostgreSQL (`Store.reads`); one page's
ids (50-500) stay one statement, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

IN_CHUNK = 5_000  # ids per `IN (...)` list: far below both databases' parameter limits


class _Reader(Protocol):
    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]: ...

    def reads(self, statements: list[tuple[str, tuple[Any, ...]]]) -> list[list[Any]]: ...


def read_in(store: _Reader, sql: str, ids: Sequence[Any], *, chunk: int | None = None) -> list[Any]:
    """The rows of `sql` for every id of `ids`: `sql` holds `{marks}` where the placeholders of
    one `IN ({marks})` list go (its only parameters). Rows come chunk after chunk, each chunk's
    in the statement's ORDER BY: an order *within* one id's rows holds, an order across ids
    does not."""
    size = chunk or IN_CHUNK
    if size < 1:
        raise ValueError(f"read_in: chunk must be at least 1, got {size}")
    if not ids:
        return []
    if len(ids) <= size:  # one page's ids: one statement, as a plain query
        return store.query(sql.format(marks=",".join("?" * len(ids))), tuple(ids))
    statements = [
        (sql.format(marks=",".join("?" * len(part))), tuple(part))
        for part in (ids[i : i + size] for i in range(0, len(ids), size))
    ]
    return [row for rows in store.reads(statements) for row in rows]
