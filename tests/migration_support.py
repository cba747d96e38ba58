"""For the migration tests: a database made at an older revision, on SQLite or PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphs.storage.migrate import _alembic_sqlite, upgrade_postgres
from graphs.store import open_database


def at_revision(home: Path, database: str, revision: str) -> Any:
    """The database of `home` (SQLite) or at `database` (a PostgreSQL URL) migrated up to
    `revision` and no further, opened (a connection; no Store, which would upgrade it)."""
    home.mkdir(parents=True, exist_ok=True)
    if database == "sqlite":
        _alembic_sqlite(home / "signoff.db", to=revision)
    else:
        upgrade_postgres(database, to=revision)
    old = open_database(home)
    assert [r[0] for r in old.execute("SELECT version_num FROM alembic_version")] == [revision]
    return old
