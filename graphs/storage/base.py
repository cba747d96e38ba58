"""Connections and the base every table group builds on: one lock, one write transaction."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graphs.storage.schema import MIGRATIONS, _statements

log = logging.getLogger(__name__)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


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


class Tables:
    """Thin, explicit SQL over one connection. Thread-safe through one lock per store."""

    conn: sqlite3.Connection
    _lock: threading.RLock
    policy_version: str | None  # stamped on every audit entry

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE takes the write lock up front)."""
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self.conn.execute(sql, params).fetchall()

    def migrate(self) -> None:
        with self.tx() as c:
            version = c.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(MIGRATIONS, start=1):
                if number <= version:
                    continue
                log.info("applying migration %d", number)
                for statement in _statements(script):
                    c.execute(statement)
                c.execute(f"PRAGMA user_version = {number}")
