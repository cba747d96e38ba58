"""Connections and the base every table group builds on: one lock, one write transaction.

Two databases (graphs/storage/database.py): the SQLite file `<home>/signoff.db` (default) or
PostgreSQL (`SIGNOFF_DATABASE_URL`). `Tables.dialect` says which; the SQL is the same.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graphs.audit_chain import AuditChain
from graphs.storage.database import PgConnection, database_url

log = logging.getLogger(__name__)


_clock: tuple[int, str] = (-1, "")  # the last second `now_iso` formatted, and its text


def now_iso() -> str:
    """The current UTC time to the second, ISO 8601 (`datetime.now(UTC)`'s clock); formatted
    once per second, not on every call (the audit stamps every entry with it)."""
    global _clock
    second = int(time.time())
    if _clock[0] != second:
        _clock = (second, datetime.fromtimestamp(second, UTC).isoformat())
    return _clock[1]


def default_home() -> Path:
    return Path(os.environ.get("SIGNOFF_HOME", ".signoff")).expanduser().resolve()


def connect(path: Path) -> sqlite3.Connection:
    """A connection usable from LangGraph's worker threads, WAL, default busy timeout (5 s)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def open_database(home: Path) -> sqlite3.Connection | PgConnection:
    """The app tables' connection: PostgreSQL when `SIGNOFF_DATABASE_URL` is set, else the
    SQLite file `<home>/signoff.db`. (The audit key and anchor sit beside the home either way.)"""
    url = database_url()
    if url:
        return PgConnection(url, home / "signoff.db")
    return connect(home / "signoff.db")


# pg_advisory_xact_lock key of `Tables.tx()`: SQLite's one writer at a time, on PostgreSQL
WRITE_LOCK = 0x5160FE


class Tables:
    """Thin, explicit SQL over one connection. Thread-safe through one lock per store."""

    conn: Any  # sqlite3.Connection, or PgConnection (same execute/executemany/close)
    _lock: threading.RLock  # the connection's: one use of it at a time (reads and writes)
    # the writer's: taken (after `_lock`) by every write; on SQLite the checkpointer's lock
    # too (graphs/storage/checkpoints.py `share_lock`), so reads never wait for a checkpoint
    _write_lock: threading.RLock
    policy_version: str | None  # stamped on every audit entry
    chain: AuditChain  # the audit key and anchor (graphs/audit_chain.py)
    _heads: list[tuple[int, str, str]]  # audit heads to anchor once their transaction commits
    _in_tx: bool = False  # a `tx()` is open (on the thread that holds `_lock`)
    # PostgreSQL: the audit chain's head (seq, hash) as this connection last read or committed
    # it, the guess a locked transaction's entries chain on (graphs/storage/audit.py)
    _audit_head: tuple[int, str] | None = None
    # ... and whether to guess it: not after a guess missed (other processes are writing; a
    # miss costs more than the read it saves) until a read finds the head where this
    # connection left it again (graphs/storage/audit.py)
    _guess_head: bool = True
    # the open transaction's entries chained on it (a list while the transaction guesses)
    _guessed: list[list[Any]] | None = None
    _tx_serial: bool = False  # ... and holds the write lock (no other writer until it ends)

    @property
    def dialect(self) -> str:
        """ "sqlite" or "postgresql"."""
        return str(getattr(self.conn, "dialect", "sqlite"))

    @contextmanager
    def tx(self, *, serial: bool = True) -> Iterator[Any]:
        """One write transaction that holds the write lock from its start: SQLite's BEGIN
        IMMEDIATE; on PostgreSQL a transaction-scoped advisory lock every `tx()` shares, so the
        read-then-write steps in the table modules (first decision wins, claims, leases, the
        audit chain's next number) keep the meaning they have on SQLite. `serial=False` (the
        job queue's claim, which locks its row instead) skips that lock on PostgreSQL.

        A `tx()` inside another (on the thread that holds the lock) is part of it: its writes
        commit, or roll back, with the outer one (several table groups' writes in one commit).

        The audit heads it wrote are anchored once it committed, after the lock is released:
        the anchor's file append (and its webhook) never holds up another writer, a checkpoint
        write of the graph's other branch above all. (The anchor's check does not depend on
        the order of its lines: graphs/audit_chain.py `verify`.)"""
        heads: list[tuple[int, str, str]] = []
        with self._lock:
            if self._in_tx:
                yield self.conn
                return
            if self.dialect == "postgresql":  # pipelined: graphs/storage/database.py
                # with the write lock and a known head, the audit entries chain on that head
                # and are sent last, guarded (graphs/storage/audit.py `guessed_writes`)
                guess = (
                    serial
                    and self._guess_head
                    and self._audit_head is not None
                    and self.conn.pipelined
                )
                self._guessed = [] if guess else None
                transaction = self.conn.transaction(
                    WRITE_LOCK if serial else None, tail=self if guess else None
                )
            else:
                transaction = self._sqlite_transaction()
            try:
                self._in_tx = True
                self._tx_serial = serial or self.dialect == "sqlite"
                with self._write_lock, transaction as c:
                    yield c
            except BaseException:
                self._heads.clear()
                raise
            finally:
                self._in_tx = self._tx_serial = False
                self._guessed = None
            heads, self._heads = self._heads, []  # committed: the audit heads it wrote
            if heads:
                self._audit_head = (heads[-1][0], heads[-1][1])
        if heads:
            self.chain.record_heads(heads)

    def in_transaction(self) -> bool:
        """Whether this (Python) thread has a `tx()` open (a `tx()` now would be part of it)."""
        with self._lock:  # held by the thread whose transaction is open, if any
            return self._in_tx

    @contextmanager
    def _sqlite_transaction(self) -> Iterator[Any]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """Rows (by column name or position) of one read, in the SQLite dialect with `?`
        placeholders on both databases (graphs/storage/database.py translates).

        Reads (`query`, `reads`) take the connection's lock only, not the writer's: on SQLite
        (WAL) a read never waits for a write of another connection, so a read of the app tables
        during a run (a route's lookups, a page's inbox) does not wait for a checkpoint write
        of the checkpointer's connection. Only ever a read: a write goes through `tx()` or
        `write_one()`."""
        with self._lock:
            return list(self.conn.execute(sql, params).fetchall())

    def reads(self, statements: list[tuple[str, tuple[Any, ...]]]) -> list[list[Any]]:
        """The rows of several reads (as `query` gives them), on PostgreSQL in one round trip."""
        with self._lock:
            if self.dialect == "postgresql":
                return self.conn.reads(statements)
            return [list(self.conn.execute(sql, p).fetchall()) for sql, p in statements]

    def write_one(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """One statement on its own, atomic by itself (autocommit on both databases; no
        `BEGIN`/`COMMIT` round trips, no write lock beyond the statement's): for a write whose
        correctness rests on a key or its WHERE clause alone. Returns the rows it changed."""
        with self._lock, self._write_lock:
            return int(self.conn.execute(sql, params).rowcount)

    def migrate(self) -> None:
        """The app tables at the newest revision (graphs/storage/migrations/, via Alembic)."""
        from graphs.storage.migrate import up_to_date, upgrade_postgres, upgrade_sqlite

        if up_to_date(self.conn):
            return
        if self.dialect == "postgresql":
            upgrade_postgres(self.conn.url)
        else:
            from graphs.storage.audit import database_file

            upgrade_sqlite(Path(database_file(self.conn)))
