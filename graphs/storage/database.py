"""Which database: SQLite (the embedded default, `<home>/signoff.db`) or PostgreSQL
(`SIGNOFF_DATABASE_URL=postgresql://user@host:port/db`), and the app tables' connection to it.

The table modules write their SQL once, in the SQLite dialect they were written in, with `?`
placeholders. On PostgreSQL `PgConnection` runs it through psycopg after a small, fixed
translation (`translate`), so every module, and other code using `Store.tx()` / `Store.query()`,
works unchanged on both:

- `?` placeholders (outside quoted literals) become `%s`, and a literal `%` becomes `%%`;
- `INSERT OR IGNORE INTO t ...` becomes `INSERT INTO t ... ON CONFLICT DO NOTHING`
  (before a `RETURNING` clause when there is one);
- `INSERT OR REPLACE` is refused with a message (it has no portable meaning: write an
  `ON CONFLICT (...) DO UPDATE`, which both dialects accept);
- what the dialects do not share is in the schema instead: PostgreSQL tables whose order ties
  break on SQLite's implicit `rowid` get an identity column of that name, and the migrations define
  `json_extract(text, text)` for string members ('$.a.b'), as SQLite's JSON1 does.

Anything else (json_each, typed JSON values, `PRAGMA`, `sqlite_sequence`) is branched on
`Tables.dialect` in the table module that needs it.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

log = logging.getLogger(__name__)

ENV = "SIGNOFF_DATABASE_URL"
SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")


def database_url() -> str | None:
    """`SIGNOFF_DATABASE_URL` when it names PostgreSQL; None for the embedded SQLite file."""
    url = os.environ.get(ENV, "").strip()
    if not url:
        return None
    if not url.startswith(SCHEMES):
        raise ValueError(
            f"{ENV} is {url.split('://', 1)[0]!r}://…; expected a PostgreSQL URL such as "
            "postgresql://signoff@127.0.0.1:5432/signoff. Unset it to use the SQLite file in "
            "SIGNOFF_HOME."
        )
    return libpq_url(url)


def libpq_url(url: str) -> str:
    """The URL as libpq reads it (SQLAlchemy's `+psycopg` driver suffix removed)."""
    for scheme in SCHEMES:
        if url.startswith(scheme):
            return "postgresql://" + url[len(scheme) :]
    return url


def sqlalchemy_url(url: str) -> str:
    return "postgresql+psycopg://" + libpq_url(url)[len("postgresql://") :]


def pg_connect(url: str, **kwargs: Any) -> psycopg.Connection[Any]:
    """A psycopg connection as LangGraph's PostgresSaver is opened in its own recipe
    (`from_conn_string`): autocommit, `prepare_threshold=0`; `row_factory` as given (dict_row
    for the saver).

    `prepare_threshold=0` does not turn prepared statements off (that is `None`): psycopg
    prepares every statement the first time it runs and reuses it (at most 100 per connection,
    least recently used dropped). Measured on P1 (bench/pg_trips.py): the server's execution +
    planning time per campaign is 28-32 ms with it and 59 ms without (the checkpoint SELECT is
    planned on every call otherwise); a P1 campaign uses ~40 distinct statements, so nothing is
    dropped. A pooler in front in transaction mode therefore needs prepared-statement support
    (PgBouncer >= 1.21 with `max_prepared_statements`); otherwise connect directly.

    The session compresses what it writes with lz4 where the server has it (`prefer_lz4`)."""
    conn = psycopg.connect(libpq_url(url), autocommit=True, prepare_threshold=0, **kwargs)
    prefer_lz4(conn)
    return conn


# Sets the session's `default_toast_compression` to lz4 when the server was built with it (it is
# then one of the setting's `enumvals`); otherwise (built without lz4, or before PostgreSQL 14,
# which has no such setting) selects no row and changes nothing. One statement, never an error.
LZ4 = (
    "SELECT set_config(name, 'lz4', false) FROM pg_settings"
    " WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
)


def prefer_lz4(conn: psycopg.Connection[Any]) -> None:
    """Values this session writes that PostgreSQL compresses (a row past ~2 KB: a gate's
    interrupt, 3.6-6.9 KB as the saver serialises it, written twice per pause; a checkpoint's
    JSON past 2 KB; an inbox payload) are compressed with lz4 instead of the default pglz.

    Measured (PostgreSQL 15, the interrupts of one P1 campaign inserted 400 times, server
    side): pglz 52-66 us per row, lz4 17-21 us; read back 5-7 us against 3-5 us; stored 2.1 KB
    against 1.9 KB of 5.5 KB. On P1 (bench/pg_trips.py) the saver's interrupt upsert went from
    1.21-1.40 ms to 0.80-0.90 ms per campaign, its checkpoint insert from 0.58-0.63 to
    0.47-0.49 ms. A session setting, not the table's: values already stored stay as they were
    and read the same (each value records its own method), and an older server is unaffected.
    A setting any LangGraph user could make on the saver's connection, so P1's bare side gets it
    too (bench/bench_p1_pg.py `bare_saver`)."""
    conn.execute(LZ4)


class Row(Sequence[Any]):
    """A result row read by position or by column name, like `sqlite3.Row`."""

    __slots__ = ("_index", "_values")

    def __init__(self, values: Sequence[Any], index: dict[str, int]) -> None:
        self._values = values
        self._index = index

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return self._values[self._index[key]]
        return self._values[key]

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def keys(self) -> list[str]:
        return list(self._index)

    def __repr__(self) -> str:
        return f"Row({dict(zip(self._index, self._values, strict=False))!r})"


# a result's column names (as the server sent them) -> their `Row` index; a handful of distinct
# column lists in all, so a statement's rows share one index instead of one per result
_indexes: dict[tuple[bytes | None, ...], dict[str, int]] = {}


def _row_factory(cursor: Any) -> Callable[[Sequence[Any]], Row]:
    """psycopg's row factory (called for every result, a write's too): rows as `Row`s whose
    names are the result's columns. Their index is built once per distinct list of column
    names, not for every result (psycopg's `description` makes a `Column` per column)."""
    res = cursor.pgresult
    nfields = res.nfields if res is not None else 0
    if not nfields:
        return _no_columns
    names = tuple(map(res.fname, range(nfields)))
    index = _indexes.get(names)
    if index is None:
        if len(_indexes) >= 512:  # a bound, should some caller make column lists on the fly
            _indexes.clear()
        index = _indexes[names] = {c.name: i for i, c in enumerate(cursor.description)}
    return functools.partial(Row, index=index)


def _no_columns(values: Sequence[Any]) -> Row:
    return Row(values, {})


_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO\b", re.IGNORECASE)
_REPLACE = re.compile(r"^\s*INSERT\s+OR\s+REPLACE\b", re.IGNORECASE)
_RETURNING = re.compile(r"\sRETURNING\s", re.IGNORECASE)


@functools.lru_cache(maxsize=1024)
def translate(sql: str) -> str:
    """SQLite-dialect SQL with `?` placeholders → psycopg's (see the module docstring)."""
    if _REPLACE.match(sql):
        raise ValueError(
            "INSERT OR REPLACE has no PostgreSQL equivalent; expected INSERT … ON CONFLICT (key) "
            f"DO UPDATE SET …, which both databases run. Statement: {sql.strip()[:80]}"
        )
    out: list[str] = []
    quote: str | None = None
    for ch in sql:
        if quote:
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
        elif ch == "?":
            out.append("%s")
            continue
        out.append("%%" if ch == "%" else ch)
    text = "".join(out)
    if _IGNORE.match(text):
        text = _IGNORE.sub("INSERT INTO", text, count=1)
        found = _RETURNING.search(text)
        if found:
            text = text[: found.start()] + " ON CONFLICT DO NOTHING" + text[found.start() :]
        else:
            text = text.rstrip().rstrip(";") + " ON CONFLICT DO NOTHING"
    return text


class PgConnection:
    """The app tables' connection to PostgreSQL, with sqlite3's `execute` / `executemany` /
    `close` and rows readable by name or position. `chain_path` is the file the audit chain's
    key and anchor are placed beside (graphs/audit_chain.py), as for a SQLite file."""

    dialect = "postgresql"

    def __init__(self, url: str, chain_path: Path) -> None:
        self.url = libpq_url(url)
        self.chain_path = chain_path
        self.raw: psycopg.Connection[Any] = pg_connect(url, row_factory=_row_factory)
        self._pipe: psycopg.Pipeline | None = None
        # libpq >= 14: transactions are pipelined, and may have a `tail` (`transaction`)
        self.pipelined = psycopg.Pipeline.is_supported()

    @contextmanager
    def transaction(self, lock: int | None, tail: Any = None) -> Iterator[PgConnection]:
        """One transaction (BEGIN, the transaction-scoped advisory lock `lock` when given, the
        block's statements, COMMIT) in pipeline mode: statements are sent without waiting for
        their results, and the connection waits only where the block reads one (a fetch, a
        row count) and at the COMMIT. Where there were 2 + n round trips (BEGIN and the lock,
        each statement, COMMIT) there are 1 + the reads. The statements, their order and the
        transaction are the same; an error surfaces at the next wait instead of at its own
        statement, still inside the block, and rolls the transaction back.

        `tail` (the audit tables, graphs/storage/audit.py): statements sent last, behind a
        savepoint (`tail.guessed_writes()`: audit entries chained on a guessed head, guarded).
        When their guard fails (`tail.guess_missed(exc)`), they are rolled back to the
        savepoint and `tail.guessed_again(self)` is sent instead (the entries chained on the
        real head), the lock still held and the block's statements kept; then the transaction
        commits."""
        if not self.pipelined:  # libpq < 14: one round trip per statement (and no `tail`)
            self.script(f"BEGIN; SELECT pg_advisory_xact_lock({lock})" if lock else "BEGIN")
            try:
                yield self
            except BaseException:
                self.raw.execute("ROLLBACK")
                raise
            self.raw.execute("COMMIT")
            return
        writes: list[tuple[str, Sequence[Any]]] = []
        try:
            with self.raw.pipeline() as pipe:
                self._pipe = pipe
                try:
                    self.raw.execute("BEGIN")
                    if lock:
                        self.raw.execute("SELECT pg_advisory_xact_lock(%s)", (lock,))
                    yield self
                    writes = tail.guessed_writes() if tail is not None else []
                    if writes:
                        self.raw.execute("SAVEPOINT guessed_audit_head")
                        for sql, params in writes:
                            self.raw.execute(translate(sql), tuple(params))
                    self.raw.execute("COMMIT")
                finally:
                    self._pipe = None
        except psycopg.Error as exc:
            if not (writes and self._in_error() and tail.guess_missed(exc)):
                self._rollback()
                raise
            try:  # the guess missed: the entries again, on the head as it is
                self.raw.execute("ROLLBACK TO SAVEPOINT guessed_audit_head")
                for sql, params in tail.guessed_again(self):
                    self.raw.execute(translate(sql), tuple(params))
                self.raw.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
        except BaseException:
            self._rollback()
            raise

    def _in_error(self) -> bool:
        return bool(self.raw.info.transaction_status == psycopg.pq.TransactionStatus.INERROR)

    def _rollback(self) -> None:
        if self.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            self.raw.execute("ROLLBACK")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        cur = self.raw.execute(translate(sql), tuple(params))
        return cur if self._pipe is None else _PipedCursor(cur, self._pipe)

    def reads(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[Any]]:
        """The rows of several reads, sent together and answered in one round trip (pipeline
        mode; each its own statement, as one after the other would be)."""
        if self._pipe is not None or not psycopg.Pipeline.is_supported():
            return [list(self.execute(sql, params).fetchall()) for sql, params in statements]
        with self.raw.pipeline():
            cursors = [self.raw.execute(translate(sql), tuple(p)) for sql, p in statements]
        # read once the pipeline is closed: its closing Sync brought every result in one wait
        # (a `sync()` inside would wait once for the results and once more for that Sync)
        return [list(cur.fetchall()) for cur in cursors]

    def executemany(self, sql: str, seq: Sequence[Sequence[Any]]) -> psycopg.Cursor[Any]:
        cur = self.raw.cursor()
        cur.executemany(translate(sql), [tuple(p) for p in seq])
        return cur

    def script(self, sql: str) -> None:
        """Statements without parameters in one round trip (simple query protocol)."""
        self.raw.execute(sql.encode(), prepare=False)

    def close(self) -> None:
        self.raw.close()


class _PipedCursor:
    """A cursor of a pipelined transaction: its rows and its row count wait for its result
    (psycopg syncs the pipeline for a fetch, but not for `rowcount`)."""

    __slots__ = ("_cur", "_pipe")

    def __init__(self, cur: psycopg.Cursor[Any], pipe: psycopg.Pipeline) -> None:
        self._cur = cur
        self._pipe = pipe

    @property
    def rowcount(self) -> int:
        self._pipe.sync()
        return self._cur.rowcount

    def rowcount_after(self) -> int:
        """The row count once the transaction ended (its COMMIT brought every result in): no
        wait of its own, where `rowcount` inside the transaction costs one."""
        return self._cur.rowcount

    def fetchone(self) -> Any:
        return self._cur.fetchone()

    def fetchall(self) -> list[Any]:
        return self._cur.fetchall()

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cur.fetchall())


def wait_for_lock(
    try_lock: Callable[[], Any], *, poll: float = 0.2, timeout: float = 600.0
) -> None:
    """Take a session advisory lock by polling `pg_try_advisory_lock` (`try_lock()` runs it and
    returns its boolean), never by blocking in `pg_advisory_lock`: a blocked statement keeps a
    snapshot open, and the lock holder's `CREATE INDEX CONCURRENTLY` (LangGraph's checkpoint
    setup) waits for every open snapshot, a deadlock when two processes start on a new database."""
    import time

    deadline = time.monotonic() + timeout
    while not try_lock():
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"Another process has held the database's set-up lock for {timeout:.0f} s; "
                "check for a stuck Signoff process (pg_locks, locktype 'advisory')."
            )
        time.sleep(poll)
