"""Leases: one resumer per thread at a time, across processes."""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from graphs.errors import Busy
from graphs.storage.base import Tables

log = logging.getLogger(__name__)


class LeaseTables(Tables):
    """A lease per thread, with an expiry; a dead process's lease is void."""

    @contextmanager
    def lease(self, thread_id: str, *, ttl: float = 600.0, wait: float = 120.0) -> Iterator[str]:
        owner = _new_owner()
        # The usual case, no lease on the thread: one INSERT takes it (the primary key makes it
        # atomic); otherwise the full step below clears an expired or dead one first.
        got = self.write_one(
            "INSERT OR IGNORE INTO leases VALUES (?, ?, ?)",
            (thread_id, owner, time.time() + ttl),
        )
        if not got:
            self._take(thread_id, owner, ttl, wait)
        try:
            yield owner
        finally:
            self._release(thread_id, owner)

    @contextmanager
    def lease_reading(
        self,
        thread_id: str,
        reads: list[tuple[str, tuple[Any, ...]]],
        *,
        ttl: float = 600.0,
        wait: float = 120.0,
    ) -> Iterator[list[list[Any]]]:
        """`lease()`, and the rows of `reads` (as `Tables.reads` gives them) read under it: on
        PostgreSQL the lease's INSERT and the reads go in one round trip, the usual case. When
        the lease was held, the reads are done again once it is ours (rows read before the
        lease are never given)."""
        if self.dialect != "postgresql":
            with self.lease(thread_id, ttl=ttl, wait=wait):
                yield self.reads(reads)
            return
        owner = _new_owner()
        with self._lock, self._write_lock:  # a write among the reads: as `write_one` locks
            taken, *rows = self.reads(
                [
                    (
                        "INSERT OR IGNORE INTO leases VALUES (?, ?, ?) RETURNING thread_id",
                        (thread_id, owner, time.time() + ttl),
                    ),
                    *reads,
                ]
            )
        if not taken:
            self._take(thread_id, owner, ttl, wait)
            rows = self.reads(reads)
        try:
            yield rows
        finally:
            self._release(thread_id, owner)

    def _take(self, thread_id: str, owner: str, ttl: float, wait: float) -> None:
        """Wait for a held lease: clear it once expired or its process is dead, then take it."""
        deadline = time.monotonic() + wait
        delay = 0.01
        while True:
            with self.tx() as c:
                now = time.time()
                c.execute(
                    "DELETE FROM leases WHERE thread_id = ? AND expires < ?", (thread_id, now)
                )
                held = c.execute(
                    "SELECT owner FROM leases WHERE thread_id = ?", (thread_id,)
                ).fetchone()
                if held is not None and not _owner_alive(held["owner"]):
                    log.warning(
                        "clearing the lease of dead process %s on %s", held["owner"], thread_id
                    )
                    c.execute("DELETE FROM leases WHERE thread_id = ?", (thread_id,))
                got = c.execute(
                    "INSERT OR IGNORE INTO leases VALUES (?, ?, ?)", (thread_id, owner, now + ttl)
                ).rowcount
            if got:
                return
            if time.monotonic() > deadline:
                raise Busy(
                    f"Campaign {thread_id} is being updated by another process for over {wait:.0f} s;"
                    " your decision is recorded and will be applied when it finishes. Try again later."
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.25)

    def _release(self, thread_id: str, owner: str) -> None:
        self.write_one("DELETE FROM leases WHERE thread_id = ? AND owner = ?", (thread_id, owner))


def _new_owner() -> str:
    return f"{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"


def _owner_alive(owner: str) -> bool:
    """Leases name `pid:thread:nonce`; a lease of a process that no longer exists is void."""
    try:
        pid = int(owner.split(":", 1)[0])
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (ValueError, PermissionError):
        return True
    return True
