"""The checkpointer beside the app tables: SqliteSaver on `<home>/signoff.db`, or LangGraph's
PostgresSaver when `SIGNOFF_DATABASE_URL` names PostgreSQL (graphs/storage/database.py)."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from psycopg.rows import dict_row

from graphs.storage.database import database_url, pg_connect, wait_for_lock
from graphs.storage.migrate import LOCK_KEY

log = logging.getLogger(__name__)


def open_checkpointer(home: Path) -> tuple[BaseCheckpointSaver[Any], Any]:
    """The saver and its own connection (close it when done), its tables set up."""
    url = database_url()
    if url:
        return postgres_saver(url)
    from langgraph.checkpoint.sqlite import SqliteSaver

    # SQLite in its default transaction mode: SqliteSaver writes a step's rows in one implicit
    # transaction; in autocommit each row would commit alone, and a crash between them could end
    # a branch without its next step.
    conn = sqlite3.connect(str(home / "signoff.db"), check_same_thread=False, timeout=30)
    saver = SqliteSaver(conn)
    saver.setup()
    return saver, conn


def share_lock(saver: BaseCheckpointSaver[Any], store: Any) -> None:
    """On SQLite, the saver's lock becomes the app tables' writer lock (`Tables._write_lock`, an
    RLock, which every app-table write takes; reads of the app tables take only the app
    connection's own lock: in WAL mode a read never waits for the other connection's write).

    Both connections write the same file, and SQLite has one writer at a time: a checkpoint
    write that met an app-table transaction (or the reverse) used to wait in SQLite's busy
    handler, which sleeps 1, 2, 5, 10 ms... between tries. Taking one in-process lock first
    serialises them without those sleeps. The SQL, its transactions and their order of commits
    are unchanged (each side still commits on its own connection), so every guarantee is
    unchanged; other processes still meet the busy timeout as before. No deadlock: neither side
    calls the other while holding the lock (the store never calls the saver, the saver's
    `cursor()` block only runs its own SQL), the store always takes its connection's lock
    before the writer lock, and an RLock lets one thread take it again.
    """
    from langgraph.checkpoint.sqlite import SqliteSaver

    if isinstance(saver, SqliteSaver) and getattr(store, "dialect", None) == "sqlite":
        saver.lock = store._write_lock


def postgres_saver(url: str) -> tuple[BaseCheckpointSaver[Any], Any]:
    """PostgresSaver over one connection of its own, opened as the library's recipe opens it
    (autocommit, prepare_threshold=0: statements prepared on first use, see `pg_connect`;
    dict_row); `setup()` runs its own migrations, one process at a time (advisory lock).

    Measured on P1 (bench/pg_trips.py, bench/bench_p1_pg.py) and left out:
    - a standing pipeline (`PostgresSaver(conn, pipe)`): `put` and `put_writes` already send
      their statements in one pipeline and wait once, `get_tuple` is one statement, so the round
      trips are the same (55 vs 57 per campaign) and no faster; and it would leave the connection
      inside an implicit transaction after every read until the next sync (a snapshot held open,
      an error surfacing in a later, unrelated call);
    - a pool with the saver's lock removed, so the graph's two branch threads write at once:
      slower on two cores (more server processes for the same work);
    - one connection for the saver and the app tables (the lock shared, as on SQLite): the same
      time within 3 %, and a checkpoint write would wait for an app-table transaction."""
    from langgraph.checkpoint.postgres import PostgresSaver

    conn = pg_connect(url, row_factory=dict_row)
    saver = PostgresSaver(conn)

    def try_lock() -> bool:
        row = conn.execute("SELECT pg_try_advisory_lock(%s) AS ok", (LOCK_KEY,)).fetchone()
        return bool(row and row["ok"])

    wait_for_lock(try_lock)
    try:
        saver.setup()
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    return saver, conn
