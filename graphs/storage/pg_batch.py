"""How the app tables' PostgreSQL connection sends its statements (graphs/storage/database.py
`PgConnection`): bound on the client and sent together as one simple query, each as `EXECUTE`
of a statement prepared on the server once it is in use.

- `Prepared`: a connection's statements prepared with SQL `PREPARE`, by their text. A statement
  goes out as `EXECUTE name(values)` once prepared: parsed and planned once per connection, as
  psycopg's own prepared statements are, without the extended protocol's messages per statement.
- `Held`: one statement of a transaction, held until a result is wanted; then its rows and row
  count.
- `Batch`: what an open transaction holds, sent (`send`) as one simple query: several
  statements, several results, one round trip (psycopg's `ClientCursor` binds the values with
  libpq's quoting; `Cursor.results()` walks the results).

Why not psycopg's pipeline mode and server-side parameters, which this replaced (stop 23):
measured on a 7-statement transaction (BEGIN, the write lock, three writes, COMMIT; PostgreSQL 15
on loopback, 1,000 runs), pipelined with prepared statements took 340-400 us (client CPU
210-250 us, server 130 us); one simple query with the values in its text 205-240 us (85, 120-130:
the server parses and plans each statement); one simple query of `EXECUTE`s 145-170 us (70-75,
70-80). The connection therefore runs with psycopg's own preparing off (`prepare_threshold=None`):
psycopg clears every prepared statement of the session (`DEALLOCATE ALL`) at a ROLLBACK when it
has prepared any itself.

A pooler in front must keep a session per client connection (PgBouncer's session mode): SQL
`PREPARE` lives in the server session.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg

log = logging.getLogger(__name__)

# what graphs/storage/database.py `translate` gives for a parameter (%s) and a literal % (%%)
_PLACEHOLDER = re.compile(r"%%|%s")
# prepared statements per connection, at most (a P1 campaign uses ~40 distinct ones; psycopg
# keeps 100), and statements remembered as sent once (or refused)
LIMIT = 200
SEEN = 1000
Key = tuple[str, tuple[str, ...]]  # a statement's text and its values' types


class Prepared:
    """The statements of one connection prepared on the server, by their text (psycopg's
    `%s` placeholders). A statement is prepared once it was sent a second time (one used once
    is not worth its PREPARE), between transactions (`prepare_due`), in a round trip of its
    own; one the server will not prepare (a parameter whose type it cannot tell) is sent with
    its values in its text, as every statement is before it is prepared."""

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self._raw = raw
        # (text, the values' types) -> (name, number of parameters), least recently used first
        self._names: OrderedDict[Key, tuple[str, int]] = OrderedDict()
        self._seen: OrderedDict[Key, None] = OrderedDict()  # sent once, not prepared
        self._refused: set[Key] = set()
        self._due: list[Key] = []
        self._made = 0  # names given so far

    def bound(self, cur: psycopg.ClientCursor[Any], sql: str, params: Sequence[Any]) -> str:
        """`sql` with `params` in its text; `EXECUTE` of its prepared statement when there is
        one (for values of these types: `_types`)."""
        key = (sql, _types(params))
        found = self._names.get(key)
        if found is not None:
            self._names.move_to_end(key)
            name, count = found
            if not count:
                return f"EXECUTE {name}"
            return cur.mogrify(f"EXECUTE {name}({', '.join(['%s'] * count)})", tuple(params))
        if key in self._seen:
            del self._seen[key]
            self._due.append(key)
        elif key not in self._refused and key not in self._due:
            self._seen[key] = None
            if len(self._seen) > SEEN:
                self._seen.popitem(last=False)
        return cur.mogrify(sql, tuple(params))

    def prepare_due(self) -> None:
        """Prepare the statements sent twice since the last call (the least recently used one
        deallocated when `LIMIT` are); not inside a transaction (a PREPARE the server refuses
        would fail it): they wait for the next call outside one."""
        idle = psycopg.pq.TransactionStatus.IDLE
        while self._due and self._raw.info.transaction_status == idle:
            key = self._due.pop()
            sql, types = key
            text, count = _numbered(sql)
            if count != len(types) or len(self._refused) >= SEEN:  # never prepared
                self._refused.add(key)
                continue
            if len(self._names) >= LIMIT:
                old, _ = self._names.popitem(last=False)[1]
                self._raw.execute(f"DEALLOCATE {old}".encode(), prepare=False)
            self._made += 1
            name = f"signoff_{self._made}"
            declared = f" ({', '.join(types)})" if types else ""
            try:
                self._raw.execute(f"PREPARE {name}{declared} AS {text}".encode(), prepare=False)
            except psycopg.Error as exc:  # sent with its values in its text from now on
                log.debug("statement not prepared (%s): %.80s", exc, sql)
                self._refused.add(key)
                continue
            self._names[key] = (name, count)


# The type a prepared statement declares for a parameter, by its value's Python type: as
# psycopg types a value it sends as a parameter of its own (an int's as bigint, which every
# integer column and LIMIT take), so that a value keeps its type where the statement does not
# give one (`SELECT ? AS n` reads back an int, not text). A text, a list, None: `unknown`, the
# statement's context decides, as for psycopg's parameters.
_DECLARED = {int: "bigint", float: "double precision", bool: "boolean", bytes: "bytea"}
_INT8 = range(-(2**63), 2**63)


def _types(params: Sequence[Any]) -> tuple[str, ...]:
    return tuple(
        ("numeric" if type(p) is int and p not in _INT8 else _DECLARED.get(type(p), "unknown"))
        for p in params
    )


def _numbered(sql: str) -> tuple[str, int]:
    """`sql` with `$1, $2, ...` for its `%s` placeholders and `%` for `%%`; and their number."""
    count = 0

    def one(match: re.Match[str]) -> str:
        nonlocal count
        if match.group() == "%%":
            return "%"
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(one, sql), count


class Held:
    """One statement, bound (SQL text) and held until `Batch.send`; then its rows and row
    count. Reading either sends what its batch holds, up to it and after."""

    __slots__ = ("text", "batch", "rows", "count")

    def __init__(self, text: str, batch: Batch | None = None) -> None:
        self.text = text
        self.batch = batch
        self.rows: list[Any] | None = None  # set once sent
        self.count = -1

    def _result(self) -> list[Any]:
        if self.rows is None:
            if self.batch is None:
                raise RuntimeError("a statement's result was read before it was sent")
            self.batch.send(self.batch.take())
            if self.rows is None:
                raise RuntimeError("a statement's result was read after its transaction failed")
        return self.rows

    @property
    def rowcount(self) -> int:
        self._result()
        return self.count

    def rowcount_after(self) -> int:
        """The row count once the transaction ended (its COMMIT sent it: no wait of its own)."""
        return self.rowcount

    def fetchone(self) -> Any:
        rows = self._result()
        return rows[0] if rows else None

    def fetchall(self) -> list[Any]:
        return self._result()

    def __iter__(self) -> Iterator[Any]:
        return iter(self._result())


class Batch:
    """Statements held (`hold`) and sent together (`send`): one simple query, one round trip.
    `opening` (a transaction's BEGIN and lock) goes first, with the first send."""

    def __init__(
        self, raw: psycopg.Connection[Any], prepared: Prepared, opening: Sequence[str] = ()
    ) -> None:
        self._cur = psycopg.ClientCursor(raw)
        self._prepared = prepared
        self._held: list[Held] = []
        self._opening = [Held(text) for text in opening]
        self.sent = False  # whether anything was sent (a transaction is open on the server)

    def hold(self, sql: str, params: Sequence[Any] | None = None) -> Held:
        """Hold `sql` (psycopg's placeholders) with `params`; None: a statement as it is."""
        text = sql if params is None else self._prepared.bound(self._cur, sql, params)
        held = Held(text, self)
        self._held.append(held)
        return held

    def take(self) -> list[Held]:
        """The statements held so far, no longer held (the caller sends or holds them again)."""
        held, self._held = self._held, []
        return held

    def reopen(self, opening: Sequence[str]) -> None:
        """`opening` goes first with the next send (a transaction begun again)."""
        self._opening = [Held(text) for text in opening]

    def send(self, statements: list[Held]) -> None:
        """Run `statements` as one simple query and give each its result. The server stops at
        a failing one, whose error is raised here (a transaction is then in error)."""
        statements, self._opening = [*self._opening, *statements], []
        if not statements:
            return
        self.sent = True
        cur = self._cur
        cur.execute(";\n".join(s.text for s in statements).encode(), prepare=False)
        for statement, _ in zip(statements, cur.results(), strict=True):
            statement.count = cur.rowcount
            statement.rows = cur.fetchall() if cur.description is not None else []
