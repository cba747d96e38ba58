"""The run queue: graph runs as durable jobs that workers claim under a lease.

A job is `queued` until a worker claims it (`running`, with `owner` and `lease_until`); the worker
extends its lease while it runs (`heartbeat`) and ends it `done` or `failed`. A running job whose
lease ran out (its worker died or hangs) is claimed again by the next worker that asks: the
graph's checkpoints and the decisions/outbox tables make running it again safe.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, cast

from graphs.storage.base import Tables, now_iso

log = logging.getLogger(__name__)


class JobTables(Tables):
    """Enqueue, claim (or take over), heartbeat and finish run jobs."""

    def enqueue(self, kind: str, thread_id: str, payload: dict[str, Any] | None = None) -> int:
        with self.tx(serial=False) as c:
            row = c.execute(
                "INSERT INTO jobs (kind, thread_id, payload, status, attempts, created_at,"
                " updated_at) VALUES (?, ?, ?, 'queued', 0, ?, ?) RETURNING id",
                (kind, thread_id, json.dumps(payload or {}), now_iso(), now_iso()),
            ).fetchone()
            return int(row["id"])

    def claim_job(
        self, owner: str, *, ttl: float = 60.0, now: float | None = None
    ) -> dict[str, Any] | None:
        """The oldest queued job, or a running one whose lease expired (taken over); None when
        there is nothing to do. On PostgreSQL one statement (one round trip: the pick, the
        claim and the claimed row), and workers skip each other's locked rows (FOR UPDATE SKIP
        LOCKED) instead of queueing on the write lock."""
        now = time.time() if now is None else now
        if self.dialect == "postgresql":
            rows = self._write_returning(
                "WITH picked AS (SELECT id, status AS was, owner AS was_owner FROM jobs"
                " WHERE status = 'queued' OR (status = 'running' AND lease_until < ?)"
                " ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)"
                " UPDATE jobs SET status = 'running', owner = ?, lease_until = ?,"
                " attempts = attempts + 1, updated_at = ? FROM picked WHERE jobs.id = picked.id"
                " RETURNING jobs.*, picked.was, picked.was_owner",
                (now, owner, now + ttl, now_iso()),
            )
            if not rows:
                return None
            claimed = dict(rows[0])
            was, was_owner = claimed.pop("was"), claimed.pop("was_owner")
            if was == "running":
                _taking_over(claimed["id"], claimed["thread_id"], was_owner)
            return _job_row(claimed)
        with self.tx(serial=False) as c:
            row = c.execute(
                "SELECT * FROM jobs WHERE status = 'queued' OR (status = 'running' AND "
                "lease_until < ?) ORDER BY id LIMIT 1",
                (now,),
            ).fetchone()
            if row is None:
                return None
            if row["status"] == "running":
                _taking_over(row["id"], row["thread_id"], row["owner"])
            c.execute(
                "UPDATE jobs SET status = 'running', owner = ?, lease_until = ?, "
                "attempts = attempts + 1, updated_at = ? WHERE id = ?",
                (owner, now + ttl, now_iso(), row["id"]),
            )
        return self.job(int(row["id"]))

    def heartbeat(self, job_id: int, owner: str, *, ttl: float = 60.0) -> bool:
        """Extend the lease; False when the job is no longer ours (taken over, or finished).
        One statement on its own: its WHERE clause is the whole rule."""
        return bool(
            self.write_one(
                "UPDATE jobs SET lease_until = ?, updated_at = ? WHERE id = ? AND owner = ? "
                "AND status = 'running'",
                (time.time() + ttl, now_iso(), job_id, owner),
            )
        )

    def finish_job(self, job_id: int, owner: str, status: str, error: str | None = None) -> bool:
        """End a job we hold as `done` or `failed`; False when another worker took it over.
        One statement on its own: its WHERE clause is the whole rule."""
        return bool(
            self.write_one(
                "UPDATE jobs SET status = ?, error = ?, lease_until = NULL, updated_at = ? "
                "WHERE id = ? AND owner = ? AND status = 'running'",
                (status, error, now_iso(), job_id, owner),
            )
        )

    def _write_returning(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        """One write statement on its own (as `write_one`, under the same locks) and the rows
        its RETURNING clause gives."""
        with self._lock, self._write_lock:
            return list(self.conn.execute(sql, params).fetchall())

    def job(self, job_id: int) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM jobs WHERE id = ?", (job_id,))
        return _job_row(rows[0]) if rows else None

    def jobs(self, status: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        sql, params = "SELECT * FROM jobs", cast(tuple[Any, ...], ())
        if status:
            sql, params = sql + " WHERE status = ?", (status,)
        rows = self.query(sql + " ORDER BY id DESC LIMIT ?", (*params, limit))
        return [_job_row(r) for r in rows]

    # -- for workers and the pages that read their progress (issue 13 item 2) -----------------
    def claim_this(self, job_id: int, owner: str, *, ttl: float = 60.0) -> dict[str, Any] | None:
        """Claim one given queued job (the CLI running its own job when no worker is alive).
        One statement, the claimed row returned by it."""
        rows = self._write_returning(
            "UPDATE jobs SET status = 'running', owner = ?, lease_until = ?, "
            "attempts = attempts + 1, updated_at = ? WHERE id = ? AND status = 'queued'"
            " RETURNING *",
            (owner, time.time() + ttl, now_iso(), job_id),
        )
        return _job_row(rows[0]) if rows else None

    def note_job(self, job_id: int, owner: str, payload: dict[str, Any]) -> bool:
        """Store a running job's payload (its progress lines); False when it is no longer ours.
        One statement on its own (no write lock): its WHERE clause is the whole rule."""
        return bool(
            self.write_one(
                "UPDATE jobs SET payload = ?, updated_at = ? WHERE id = ? AND owner = ? "
                "AND status = 'running'",
                (json.dumps(payload), now_iso(), job_id, owner),
            )
        )

    def thread_jobs(self, thread_id: str, *, open_only: bool = False) -> list[dict[str, Any]]:
        """The jobs of one campaign, newest first (only queued/running ones with `open_only`)."""
        sql = "SELECT * FROM jobs WHERE thread_id = ?"
        if open_only:
            sql += " AND status IN ('queued', 'running')"
        return [_job_row(r) for r in self.query(sql + " ORDER BY id DESC LIMIT 20", (thread_id,))]

    def open_jobs(self, limit: int = 50) -> list[dict[str, Any]]:
        """Queued and running jobs, oldest first."""
        rows = self.query(
            "SELECT * FROM jobs WHERE status IN ('queued', 'running') ORDER BY id LIMIT ?",
            (limit,),
        )
        return [_job_row(r) for r in rows]

    def job_counts(self) -> dict[str, Any]:
        """Jobs per status, the oldest queued job's creation time, and the queue ahead of each."""
        counts = {
            r["status"]: int(r["n"])
            for r in self.query("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status")
        }
        oldest = self.query(
            "SELECT MIN(created_at) AS at, MIN(id) AS id FROM jobs WHERE status = 'queued'"
        )
        return {
            "counts": counts,
            "oldest_queued_at": oldest[0]["at"] if oldest else None,
            "oldest_queued_id": oldest[0]["id"] if oldest else None,
        }

    def queued_before(self, job_id: int) -> int:
        """How many queued jobs are ahead of `job_id`."""
        rows = self.query(
            "SELECT COUNT(*) AS n FROM jobs WHERE status = 'queued' AND id < ?", (job_id,)
        )
        return int(rows[0]["n"])

    def worker_beat(self, name: str, detail: str, *, ttl: float) -> None:
        """A worker says it is alive (a row of the leases table named `worker:NAME`)."""
        self.write_one(
            "INSERT INTO leases (thread_id, owner, expires) VALUES (?, ?, ?) ON CONFLICT"
            " (thread_id) DO UPDATE SET owner = excluded.owner, expires = excluded.expires",
            (f"worker:{name}", detail, time.time() + ttl),
        )

    def worker_gone(self, name: str) -> None:
        self.write_one("DELETE FROM leases WHERE thread_id = ?", (f"worker:{name}",))

    def workers_alive(self, now: float | None = None) -> list[dict[str, Any]]:
        """Workers whose last heartbeat has not run out: name, detail, expires."""
        now = time.time() if now is None else now
        rows = self.query(
            "SELECT thread_id, owner, expires FROM leases WHERE thread_id LIKE 'worker:%' "
            "AND expires > ? ORDER BY thread_id",
            (now,),
        )
        return [
            {
                "name": r["thread_id"][len("worker:") :],
                "detail": r["owner"],
                "expires": r["expires"],
            }
            for r in rows
        ]


def _taking_over(job_id: int, thread_id: str, owner: str) -> None:
    log.warning("job %s of %s: the lease of %s ran out; taking it over", job_id, thread_id, owner)


def _job_row(r: Any) -> dict[str, Any]:
    return {**dict(r), "payload": json.loads(r["payload"])}
