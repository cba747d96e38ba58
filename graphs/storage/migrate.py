"""Bring a database's app tables to the newest revision (graphs/storage/migrations/), in process.

Alembic runs the revisions over a SQLAlchemy connection of its own, one process at a time: on
SQLite under a lock file beside the database, on PostgreSQL under a session advisory lock. A
SQLite file from before Alembic (its migrations counted in `PRAGMA user_version`) is stamped at
that number first, then upgraded in place.
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.pool import NullPool

from graphs.storage.database import sqlalchemy_url

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
LOCK_KEY = 0x5160FF  # pg_advisory_lock key of migrations (and the checkpointer's setup)


def script_directory() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config)


def head() -> str:
    return str(script_directory().get_current_head())


def upgrade_sqlite(path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{path}", poolclass=NullPool)
    # Transactional DDL on SQLite (SQLAlchemy's recipe): the driver's own transaction handling
    # off, BEGIN IMMEDIATE when SQLAlchemy begins; each revision and its stamp commit together.
    sa.event.listen(engine, "connect", _autocommit_driver)
    sa.event.listen(engine, "begin", _begin_immediate)
    try:
        with _file_lock(path.with_name(path.name + ".migrate-lock")), engine.connect() as conn:
            _upgrade(conn, legacy=_user_version(conn))
    finally:
        engine.dispose()


def upgrade_postgres(url: str) -> None:
    engine = sa.create_engine(sqlalchemy_url(url), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({LOCK_KEY})")
            conn.commit()
            try:
                _upgrade(conn, legacy=0)
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({LOCK_KEY})")
                conn.commit()
    finally:
        engine.dispose()


def current(conn: sa.Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def _upgrade(conn: sa.Connection, *, legacy: int) -> None:
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
    target = str(script.get_current_head())

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
