"""`lease_reading`: a thread's lease and reads under it (on PostgreSQL in one round trip). When
the lease is held, the reads are done again once it is taken: rows read before it are never
given. Runs on both databases."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from graphs.store import Store, open_database

READ = [("SELECT owner FROM leases WHERE thread_id = ?", ("t",))]


def test_a_free_lease_is_taken_with_its_reads(home: Path, database: str) -> None:
    store = Store(open_database(home))
    try:
        with store.lease_reading("t", READ) as [rows]:
            # read under the lease: the row it names is this lease's own
            assert len(rows) == 1 and rows[0]["owner"].startswith(f"{os.getpid()}:")
        assert store.query("SELECT * FROM leases") == []  # released
    finally:
        store.conn.close()


def test_a_held_lease_is_waited_for_and_the_reads_done_again(home: Path, database: str) -> None:
    store = Store(open_database(home))
    other = Store(open_database(home))
    try:
        held = threading.Event()
        letting_go = threading.Event()

        def holder() -> None:
            with other.lease("t"):
                held.set()
                time.sleep(0.4)
                letting_go.set()  # the lease is released right after

        worker = threading.Thread(target=holder)
        worker.start()
        held.wait(10)
        reads = [("SELECT owner FROM leases WHERE thread_id = ?", ("t",))]
        with store.lease_reading("t", reads, wait=30) as [rows]:
            assert letting_go.is_set()  # taken only once the other one let go
            [row] = rows  # read under our lease: our own row, not the holder's
            with store.tx() as c:
                mine = c.execute("SELECT owner FROM leases WHERE thread_id = ?", ("t",)).fetchone()
            assert row["owner"] == mine["owner"]
        worker.join()
    finally:
        store.conn.close()
        other.conn.close()
