"""Leases: one resumer per thread at a time, across processes.

A lease is taken on its own (one autocommit INSERT) or with the first write of what it guards
(`lease(first=...)`: one commit), and released on its own or with the last write under it: a
run's end releases the lease its caller holds in the same transaction as the run's inbox sync
(`release_within`), so the index change and the release commit together."""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from graphs.errors import Busy
from graphs.storage.base import Tables

log = logging.getLogger(__name__)


class LeaseTables(Tables):
    """A lease per thread, with an expiry; a dead process's lease is void."""

    @contextmanager
    def lease(
        self,
        thread_id: str,
        *,
        ttl: float = 600.0,
        wait: float = 120.0,
        first: Callable[[], Any] | None = None,
    ) -> Iterator[str]:
        """Hold the thread's lease for the block. `first`: a write (its own `tx()`, joined)
        that commits with the lease's INSERT when the lease is free (one commit), else once the
        lease is ours; it raising means no lease and nothing of it written."""
        owner = _new_owner()
        # The usual case, no lease on the thread: one INSERT takes it (the primary key makes it
        # atomic); otherwise the full step below clears an expired or dead one first.
        insert = (
            "INSERT OR IGNORE INTO leases VALUES (?, ?, ?)",
            (thread_id, owner, time.time() + ttl),
        )
        if first is None:
            got = self.write_one(*insert)
        elif self.dialect == "postgresql" and not self.in_transaction():
            # no wait for the INSERT's row count: a held lease makes it fail (the primary key),
            # at the COMMIT of the pipelined transaction or at a read of `first`, and the whole
            # transaction, `first`'s writes too, rolls back; then the full step below
            try:
                with self.tx() as c:
                    c.execute("INSERT INTO leases VALUES (?, ?, ?)", insert[1])
                    first()
                got = 1
            except Exception as exc:
                if not lease_taken(exc):
                    raise
                got = 0
        else:
            with self.tx() as c:
                got = c.execute(*insert).rowcount
                if got:
                    first()
        if not got:
            self._take(thread_id, owner, ttl, wait)
            if first is not None:
                try:
                    first()
                except BaseException:
                    self._release(thread_id, owner)
                    raise
        with self._holding(thread_id, owner):
            yield owner

    @contextmanager
    def lease_reading(
        self,
        thread_id: str,
        reads: list[tuple[str, tuple[Any, ...]]],
        *,
        ttl: float = 600.0,
        wait: float = 120.0,
        owner: str | None = None,
    ) -> Iterator[list[list[Any]]]:
        """`lease()`, and the rows of `reads` (as `Tables.reads` gives them) read under it: on
        PostgreSQL the lease's INSERT and the reads go in one round trip, the usual case. When
        the lease was held, the reads are done again once it is ours (rows read before the
        lease are never given). `owner`: a lease the caller took ahead (`take_within`), handed
        over: only the reads are done (none when `take_within` did them, the same reads, with
        the lease's commit), and the block's end releases it."""
        if owner is not None:
            try:
                ahead = self._read_ahead().pop(owner, None)  # read with the lease's commit
                rows = ahead if ahead is not None else self.reads(reads)
            except BaseException:
                self._release(thread_id, owner)
                raise
            with self._holding(thread_id, owner):
                yield rows
            return
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
            try:
                rows = self.reads(reads)
            except BaseException:
                self._release(thread_id, owner)
                raise
        with self._holding(thread_id, owner):
            yield rows

    @contextmanager
    def _holding(self, thread_id: str, owner: str) -> Iterator[None]:
        """The block under a lease just taken: known to this thread (`release_within`), and
        released at its end unless a transaction released it already (a run's end)."""
        held = self._held()
        held[thread_id] = owner
        try:
            yield
        finally:
            if held.get(thread_id) == owner:
                del held[thread_id]
                self._release(thread_id, owner)

    def release_within(self, c: Any, thread_id: str) -> Callable[[], None] | None:
        """Release, inside the caller's transaction `c`, the thread's lease this (Python) thread
        holds: a run's end, where the sync's writes are the last under the lease. Returns what
        to call once that transaction committed (then the lease's block releases nothing; if
        it rolls back, uncalled, the block's end releases the lease as usual), or None when
        this thread holds no lease on it."""
        held = self._held()
        owner = held.get(thread_id)
        if owner is None:
            return None
        c.execute("DELETE FROM leases WHERE thread_id = ? AND owner = ?", (thread_id, owner))

        def committed() -> None:
            if held.get(thread_id) == owner:
                del held[thread_id]

        return committed

    def _held(self) -> dict[str, str]:
        """The leases this Python thread holds: thread id -> owner."""
        local = self.__dict__.get("_lease_local")
        if local is None:
            local = self.__dict__.setdefault("_lease_local", threading.local())
        held: dict[str, str] | None = getattr(local, "held", None)
        if held is None:
            held = local.held = {}
        return held

    def take_within(
        self,
        thread_id: str,
        *,
        ttl: float = 600.0,
        reads: list[tuple[str, tuple[Any, ...]]] | None = None,
    ) -> Callable[[], str | None]:
        """Take the thread's lease inside the caller's open transaction (`tx()`), so it commits
        with what the caller writes there (decisions recorded just before their resume).
        Returns what to call once that transaction committed: the lease's owner, or None when
        another held it (then `lease()` waits for it as usual). On PostgreSQL the INSERT is
        sent with the transaction's other statements and its answer read after its COMMIT (no
        round trip of its own). The caller hands the owner to `lease_reading(owner=...)`, or
        `release`s it, whatever happens once the transaction committed.

        `reads`: what the resume reads under the lease (`lease_reading`'s), done at the end of
        this transaction (as the lease's holder: the rows its commit leaves), so that
        `lease_reading(owner=...)` reads nothing again; on PostgreSQL they come with the
        COMMIT, no round trip of their own."""
        owner = _new_owner()
        with self.tx() as c:  # joins the caller's
            cur = c.execute(
                "INSERT OR IGNORE INTO leases VALUES (?, ?, ?)",
                (thread_id, owner, time.time() + ttl),
            )
            if reads and self.dialect == "postgresql":  # fetched once the COMMIT brought them
                cursors = [c.execute(sql, params) for sql, params in reads]
            elif reads:
                rows = [list(c.execute(sql, params).fetchall()) for sql, params in reads]
        count = getattr(cur, "rowcount_after", None)  # a pipelined PostgreSQL transaction's

        def taken() -> str | None:
            if not (count() if count is not None else cur.rowcount):
                return None
            if reads:
                self._read_ahead()[owner] = (
                    [list(read.fetchall()) for read in cursors]
                    if self.dialect == "postgresql"
                    else rows
                )
            return owner

        return taken

    def _read_ahead(self) -> dict[str, list[list[Any]]]:
        """Rows `take_within` read for the resume under a lease it took, by the lease's owner,
        until `lease_reading(owner=...)` (or `release`) takes them."""
        found: dict[str, list[list[Any]]] | None = self.__dict__.get("_lease_reads")
        if found is None:
            found = self.__dict__.setdefault("_lease_reads", {})
        return found

    def release(self, thread_id: str, owner: str) -> None:
        """Release a lease taken with `take_within` and never handed over."""
        self._read_ahead().pop(owner, None)
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


def lease_taken(exc: BaseException) -> bool:
    """Whether `exc` is a lease's INSERT meeting the thread's lease held by another (the
    primary key of `leases`, PostgreSQL)."""
    diag = getattr(exc, "diag", None)
    return (
        type(exc).__name__ == "UniqueViolation"
        and getattr(diag, "constraint_name", None) == "leases_pkey"
    )


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
