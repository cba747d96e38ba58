"""Earned autonomy: the track record, the levels set by people, and the routings seen
(proposals, for the policy simulation and the daily limits)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from typing import Any, cast

from graphs.storage.audit import AuditTables
from graphs.storage.base import Tables, now_iso

log = logging.getLogger(__name__)


class AutonomyTables(Tables):
    """Track record, autonomy levels and proposals."""

    def track(
        self,
        ref: str,
        action: str,
        channel: str,
        outcome: str,
        thread_id: str,
        action_id: str,
        *,
        by: str | None = None,
        counted: bool = True,
    ) -> bool:
        """Add one entry to the track record (once per `ref`): whether it was added. With
        `counted=False` the answer is not waited for (True): inside a pipelined PostgreSQL
        transaction the INSERT then goes with its other statements, no round trip of its own."""
        with self.tx() as c:
            cur = c.execute(
                "INSERT OR IGNORE INTO track (ref, at, action, channel, outcome, thread_id,"
                " action_id, decided_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (ref, now_iso(), action, channel, outcome, thread_id, action_id, by),
            )
            return bool(cur.rowcount) if counted else True

    def track_record(
        self, action: str | None = None, channel: str | None = None, since_id: int = 0
    ) -> list[dict[str, Any]]:
        clauses: list[str] = ["id > ?"]
        params: list[Any] = [since_id]
        for column, value in (("action", action), ("channel", channel)):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        rows = self.query(
            "SELECT * FROM track WHERE " + " AND ".join(clauses) + " ORDER BY id", tuple(params)
        )
        return [dict(r) for r in rows]

    def autonomy_row(self, action: str, channel: str) -> dict[str, Any] | None:
        rows = self.query(
            "SELECT * FROM autonomy WHERE action = ? AND channel = ?", (action, channel)
        )
        return dict(rows[0]) if rows else None

    def routing_reads(
        self,
        action: str,
        channel: str,
        address: str | None = None,
        day: str | None = None,
        *,
        proposal: tuple[str, str, int] | None = None,
    ) -> dict[str, Any]:
        """What the policy's route reads from the tables, in one statement (one lock, one round
        trip on PostgreSQL), read fresh at every assessment: `level` (the autonomy row's, or
        None), `contacted` (an email to `address` went out before; None without an address) and
        `daily` (the automatic runs of `action` on `day`; None without a day). With `proposal`
        (thread_id, action_id, revision) also `earlier`: the route recorded for it before, or
        None (read inside the routing's transaction, `propose(seen=...)` takes it from here
        instead of reading it again: one round trip fewer per draft on PostgreSQL)."""
        parts = ["(SELECT level FROM autonomy WHERE action = ? AND channel = ?) AS level"]
        params: list[Any] = [action, channel]
        if proposal is not None:  # as `propose`
            parts.append(
                "(SELECT route FROM proposals WHERE thread_id = ? AND action_id = ? AND "
                "revision = ?) AS earlier"
            )
            params += list(proposal)
        if address is not None:  # as `OutboxTables.contacted`
            parts.append(
                "(SELECT 1 FROM outbox WHERE name = 'send_email' AND status = 'done' AND "
                "lower(json_extract(args, '$.to')) = lower(?) LIMIT 1) AS contacted"
            )
            params.append(address)
        if day is not None:  # as `daily_count`
            parts.append(
                "(SELECT COUNT(*) FROM proposals WHERE action = ? AND day = ? AND "
                "route = 'auto') AS daily"
            )
            params += [action, day]
        row = self.query("SELECT " + ", ".join(parts), tuple(params))[0]
        seen = {
            "level": row["level"],
            "contacted": bool(row["contacted"]) if address is not None else None,
            "daily": int(row["daily"]) if day is not None else None,
        }
        if proposal is not None:
            seen["earlier"] = row["earlier"]
        return seen

    def set_autonomy(self, action: str, channel: str, level: str, by: str) -> None:
        """Set a level; the track record that counts towards the next step starts afresh."""
        with self.tx() as c:
            last = c.execute("SELECT COALESCE(MAX(id), 0) AS id FROM track").fetchone()["id"]
            c.execute(
                "INSERT INTO autonomy VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (action, channel) DO "
                "UPDATE SET level = excluded.level, since = excluded.since,"
                " decided_by = excluded.decided_by, track_from = excluded.track_from",
                (action, channel, level, now_iso(), by, last),
            )

    def propose(
        self,
        thread_id: str,
        action_id: str,
        revision: int,
        facts: dict[str, Any],
        route: str,
        level: str,
        day: str,
        *,
        daily_limit: int | None = None,
        audit: Callable[[str], tuple[str, dict[str, Any]]] | None = None,
        also: Sequence[tuple[str, dict[str, Any]]] = (),
        seen: dict[str, Any] | None = None,
    ) -> tuple[bool, str]:
        """Record one routing (once per action revision). Returns (new, route).

        With a `daily_limit` the route is re-checked inside the same write transaction: the day's
        count of automatic runs of this action never exceeds the limit, even with parallel
        branches; one over the limit is recorded as "skip".

        With `audit`, a new routing's audit entry `audit(route) -> (event, detail)` (given the
        route recorded) commits with it: one transaction, and never a routing without its entry.
        `also`: entries (event, detail) of the same step that commit first, in this transaction,
        whether the routing is new or not (graphs/step_audit.py).

        `seen`: `routing_reads(..., proposal=(thread_id, action_id, revision))` of the caller's
        transaction that this one is part of (no write between): its `earlier` (and its `daily`,
        when read for `day`) are used instead of reading them again.
        """
        stored = json.dumps(facts)  # before the write lock: it is held for the writes only
        if not (self._in_tx and getattr(self._lock, "_is_owned", lambda: False)()):
            seen = None  # no enclosing transaction of this thread: `seen` may be stale
        with self.tx() as c:
            if seen is not None and "earlier" in seen:
                earlier = None
            else:  # read before the entries are written, fetched after: one PG round trip
                earlier = c.execute(
                    "SELECT route FROM proposals WHERE thread_id = ? AND action_id = ? AND "
                    "revision = ?",
                    (thread_id, action_id, revision),
                )
            for event, detail in also:
                cast(AuditTables, self)._append_audit(c, event, detail, thread_id=thread_id)
            if earlier is not None:
                row = earlier.fetchone()
                recorded = row["route"] if row is not None else None
            else:
                recorded = cast(dict[str, Any], seen)["earlier"]
            if recorded is not None:
                return False, recorded
            if daily_limit is not None and route == "auto":
                if seen is not None and seen.get("daily") is not None:
                    used = int(seen["daily"])
                else:
                    used = c.execute(
                        "SELECT COUNT(*) AS n FROM proposals WHERE action = ? AND day = ? AND "
                        "route = 'auto'",
                        (facts["action"], day),
                    ).fetchone()["n"]
                if used >= daily_limit:
                    route = "skip"
            c.execute(
                "INSERT INTO proposals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                (
                    thread_id,
                    action_id,
                    revision,
                    facts["action"],
                    facts["channel"],
                    stored,
                    route,
                    level,
                    self.policy_version or "",
                    now_iso(),
                    day,
                ),
            )
            if audit is not None:
                event, detail = audit(route)  # `Store` has the audit tables too
                cast(AuditTables, self)._append_audit(c, event, detail, thread_id=thread_id)
            return True, route

    def daily_count(self, action: str, day: str) -> int:
        rows = self.query(
            "SELECT COUNT(*) AS n FROM proposals WHERE action = ? AND day = ? AND route = 'auto'",
            (action, day),
        )
        return int(rows[0]["n"])

    def set_proposal_outcome(self, thread_id: str, action_id: str, outcome: str) -> None:
        """The latest revision's outcome (approved, edited, rejected, flagged, executed, …)."""
        with self.tx() as c:
            c.execute(
                "UPDATE proposals SET outcome = ? WHERE thread_id = ? AND action_id = ? AND "
                "revision = (SELECT MAX(revision) FROM proposals WHERE thread_id = ? AND "
                "action_id = ?)",
                (outcome, thread_id, action_id, thread_id, action_id),
            )

    def proposals(self, last: int = 200) -> list[dict[str, Any]]:
        rows = self.query(
            "SELECT * FROM (SELECT rowid AS n, * FROM proposals ORDER BY rowid DESC LIMIT ?) AS p "
            "ORDER BY n",
            (last,),
        )
        return [{**dict(r), "facts": json.loads(r["facts"])} for r in rows]
