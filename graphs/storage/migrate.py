"""Bring a database's app tables to the newest revision (graphs/storage/migrations/), in process.

Alembic runs the revisions over a SQLAlchemy connection of its own, one process at a time: on
SQLite under a lock file beside the database, on PostgreSQL under a session advisory lock. A
SQLite file from before Alembic (its migrations counted in `PRAGMA user_version`) is stamped at
that number first, then upgraded in place. A new, empty SQLite file is given a copy of a database
the same revisions built once per process (SQLite's backup API): the same schema and rows, in
milliseconds instead of the ~0.4 s Alembic's DDL takes (every test opens fresh databases).
"""

from __future__ import annotations

import fcntl
import functools
import logging
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphs.storage.database import sqlalchemy_url, wait_for_lock

if TYPE_CHECKING:
    import sqlalchemy as sa
    from alembic.script import ScriptDirectory

# Alembic and SQLAlchemy (~2–4 s to import on a busy machine) are imported only to migrate: a
# database already at the newest revision is recognised with one SELECT, the newest revision
# being the highest numbered file in migrations/versions/ (a test checks it is Alembic's head).

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
LOCK_KEY = 0x5160FF  # pg_advisory_lock key of migrations (and the checkpointer's setup)


@functools.lru_cache(maxsize=1)
def script_directory() -> ScriptDirectory:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config)


@functools.lru_cache(maxsize=1)
def head() -> str:
    """The newest revision: revisions are numbered files, each down from the one before."""
    return max(p.name[:4] for p in (MIGRATIONS_DIR / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


def up_to_date(conn: Any) -> bool:
    """Is the database at the newest revision already? (One read on the app tables' own
    connection, so reopening a database builds no SQLAlchemy engine.)"""
    try:
        rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    except Exception:  # no version table yet (sqlite3 or psycopg error): not migrated
        return False
    return [r[0] for r in rows] == [head()]


def upgrade_sqlite(path: Path) -> None:
    with _file_lock(path.with_name(path.name + ".migrate-lock")):
        if _copy_template_if_empty(path):
            return
        _alembic_sqlite(path)


_template_lock = threading.Lock()
_template: sqlite3.Connection | None = None


def _copy_template_if_empty(path: Path) -> bool:
    """Fill an empty SQLite file with a copy of a database at head; False when it is not empty
    (then Alembic upgrades it)."""
    global _template
    with closing(sqlite3.connect(str(path), timeout=30, isolation_level=None)) as dest:
        if dest.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            return False
        with _template_lock:
            if _template is None:
                with tempfile.TemporaryDirectory() as tmp:
                    built = Path(tmp) / "template.db"
                    _alembic_sqlite(built)
                    memory = sqlite3.connect(":memory:", check_same_thread=False)
                    with closing(sqlite3.connect(str(built))) as source:
                        source.backup(memory)
                _template = memory
            _template.backup(dest)
        dest.execute("PRAGMA journal_mode=WAL")
    log.info("new database %s: created at revision %s", path.name, head())
    return True


def _alembic_sqlite(path: Path, *, to: str | None = None) -> None:
    """Alembic's upgrade of the file: to the newest revision, or to revision `to`."""
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    engine = sa.create_engine(f"sqlite:///{path}", poolclass=NullPool)
    # Transactional DDL on SQLite (SQLAlchemy's recipe): the driver's own transaction handling
    # off, BEGIN IMMEDIATE when SQLAlchemy begins; each revision and its stamp commit together.
    sa.event.listen(engine, "connect", _autocommit_driver)
    sa.event.listen(engine, "begin", _begin_immediate)
    try:
        with engine.connect() as conn:
            _upgrade(conn, legacy=_user_version(conn), to=to)
    finally:
        engine.dispose()


def upgrade_postgres(url: str, *, to: str | None = None) -> None:
    """To the newest revision, or to revision `to` (a test making an older database)."""
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    engine = sa.create_engine(sqlalchemy_url(url), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            wait_for_lock(
                lambda: _try_lock(conn)  # polled: see graphs/storage/database.py
            )
            try:
                _upgrade(conn, legacy=0, to=to)
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({LOCK_KEY})")
                conn.commit()
    finally:
        engine.dispose()


def _try_lock(conn: sa.Connection) -> bool:
    taken = bool(conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({LOCK_KEY})").scalar())
    conn.commit()  # no transaction (no snapshot) held between polls
    return taken


def current(conn: sa.Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def _upgrade(conn: sa.Connection, *, legacy: int, to: str | None = None) -> None:
    from alembic.config import Config
    from alembic.runtime.environment import EnvironmentContext
    from alembic.runtime.migration import MigrationContext

    script = script_directory()
    if legacy and current(conn) is None:
        known = [r.revision for r in script.walk_revisions()]
        start = f"{legacy:04d}"
        if start not in known:
            raise RuntimeError(
                f"This database counts {legacy} migrations (PRAGMA user_version) but Signoff "
                f"knows revisions {sorted(known)}; it was written by a newer Signoff. Upgrade "
                "Signoff, or open a copy made before that version."
            )
        log.info("a database from before Alembic at migration %d: stamping %s", legacy, start)
        MigrationContext.configure(conn).stamp(script, start)
        conn.commit()
    target = to or str(script.get_current_head())

    def upgrade(rev: Any, context: Any) -> Any:
        return script._upgrade_revs(target, rev)

    with EnvironmentContext(
        Config(), script, fn=upgrade, destination_rev=target, as_sql=False
    ) as env:
        env.configure(
            connection=conn,
            target_metadata=None,
            transaction_per_migration=True,
            transactional_ddl=True,
        )
        with env.begin_transaction():
            env.run_migrations()
    conn.commit()


def _autocommit_driver(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None


def _begin_immediate(conn: sa.Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _user_version(conn: sa.Connection) -> int:
    return int(conn.exec_driver_sql("PRAGMA user_version").scalar() or 0)


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
