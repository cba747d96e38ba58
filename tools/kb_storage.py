"""Where the knowledge base lives: its connection to the app's SQLite file or to PostgreSQL, its
tables created idempotently, one writer at a time (a transaction under a lock), and the rows it
reads (tools/kb.py `KnowledgeBase`; moved here from tools/kb.py unchanged)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Self

from tools.kb_schema import _PG_LOCK, PG_SCHEMA, SCHEMA


class KbStorage:
    """Sources, passages and their full-text index in one SQLite file (tables `kb_*`), or in
    PostgreSQL."""

    def __init__(self, db_path: Path | str, *, url: str | None = None) -> None:
        """The knowledge base in the SQLite file `db_path`, or, with `url`, in that PostgreSQL
        database (`KnowledgeBase.open` picks by SIGNOFF_DATABASE_URL)."""
        self.db_path = Path(db_path)
        self._lock = threading.RLock()
        self.dialect = "postgresql" if url else "sqlite"
        if url:
            from graphs.storage.database import PgConnection

            self._conn: Any = PgConnection(url, self.db_path)
            with self._write() as db:  # one creator at a time: CREATE IF NOT EXISTS can race
                for statement in PG_SCHEMA:
                    db.execute(statement)
            return
        if str(db_path) != ":memory:":
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(
            str(db_path), check_same_thread=False, timeout=30, isolation_level=None
        )
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        with self._lock:
            self._conn.executescript(SCHEMA)  # idempotent: CREATE ... IF NOT EXISTS
            columns = {r[1] for r in self._conn.execute("PRAGMA table_info(kb_sources)")}
            for name, ddl in (
                ("product", "TEXT NOT NULL DEFAULT ''"),
                ("role", "TEXT NOT NULL DEFAULT 'facts'"),
            ):
                if name not in columns:  # a knowledge base from before products
                    self._conn.execute(f"ALTER TABLE kb_sources ADD COLUMN {name} {ddl}")

    @classmethod
    def open(cls, db_path: Path | str) -> Self:
        """The data directory's knowledge base: in PostgreSQL when SIGNOFF_DATABASE_URL names
        one (shared by every page server and worker), else in the SQLite file `db_path`."""
        from graphs.storage.database import database_url

        return cls(db_path, url=database_url())

    # -- plumbing
    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    class _Tx:
        def __init__(self, kb: KbStorage) -> None:
            self.kb = kb

        def __enter__(self) -> Any:
            self.kb._lock.acquire()
            try:
                if self.kb.dialect == "postgresql":
                    self.kb._conn.execute("BEGIN")
                    self.kb._conn.execute("SELECT pg_advisory_xact_lock(?)", (_PG_LOCK,))
                else:
                    self.kb._conn.execute("BEGIN IMMEDIATE")  # waits up to 30 s for writers
            except BaseException:
                self.kb._lock.release()
                raise
            return self.kb._conn

        def __exit__(self, exc_type: object, *rest: object) -> None:
            try:
                self.kb._conn.execute("ROLLBACK" if exc_type else "COMMIT")
            finally:
                self.kb._lock.release()

    def _write(self) -> KbStorage._Tx:
        return KbStorage._Tx(self)

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        with self._lock:
            return list(self._conn.execute(sql, tuple(params)))

    def _delete_passages(self, db: Any, source_id: int) -> None:
        if self.dialect == "sqlite":
            db.execute(
                "DELETE FROM kb_fts WHERE rowid IN (SELECT id FROM kb_passages WHERE source_id = ?)",
                (source_id,),
            )
        db.execute("DELETE FROM kb_passages WHERE source_id = ?", (source_id,))
