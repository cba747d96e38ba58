"""The audit log: append-only, each entry chained to the previous one by a hash."""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from typing import Any

from graphs.storage.base import Tables, now_iso

log = logging.getLogger(__name__)


class AuditTables(Tables):
    """Append-only audit entries; `_append_audit` joins the caller's transaction."""

    def audit(
        self,
        event: str,
        detail: dict[str, Any],
        *,
        thread_id: str | None = None,
        actor: str = "signoff",
    ) -> int:
        """Append one entry; returns its sequence number."""
        with self.tx() as c:
            return self._append_audit(c, event, detail, thread_id=thread_id, actor=actor)

    def _append_audit(
        self,
        c: sqlite3.Connection,
        event: str,
        detail: dict[str, Any],
        *,
        thread_id: str | None = None,
        actor: str = "signoff",
    ) -> int:
        """Append inside the caller's transaction, so a state change and its entry commit
        together (a crash between them would leave an unaudited change)."""
        last = c.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        seq = (last["seq"] if last else 0) + 1
        prev = (last["hash"] or "") if last else ""
        at = now_iso()
        body = json.dumps(detail, default=str, sort_keys=True)
        digest = audit_hash(seq, at, thread_id, actor, event, body, self.policy_version, prev)
        c.execute(
            "INSERT INTO audit (seq, at, thread_id, actor, event, detail, policy_version,"
            " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (seq, at, thread_id, actor, event, body, self.policy_version, prev, digest),
        )
        return seq

    def audit_log(
        self,
        thread_id: str | None = None,
        limit: int = 500,
        *,
        event: str | None = None,
        actor: str | None = None,
        oldest_first: bool = False,
    ) -> list[dict[str, Any]]:
        clauses, params = [], []
        for column, value in (("thread_id", thread_id), ("actor", actor)):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if event:
            clauses.append("(event = ? OR event LIKE ?)")
            params += [event, event.rstrip(".*") + ".%"]
        sql = "SELECT * FROM audit" + (" WHERE " + " AND ".join(clauses) if clauses else "")
        order = "ASC" if oldest_first else "DESC"
        rows = self.query(sql + f" ORDER BY seq {order} LIMIT ?", (*params, limit))
        return [
            {
                "seq": r["seq"],
                "at": r["at"],
                "thread_id": r["thread_id"],
                "actor": r["actor"],
                "event": r["event"],
                "detail": json.loads(r["detail"]),
                "policy_version": r["policy_version"],
                "hash": r["hash"],
            }
            for r in rows
        ]

    def verify_audit(self) -> dict[str, Any]:
        """Walk the chain; name the first entry that was altered, and entries that were removed."""
        rows = self.query("SELECT * FROM audit ORDER BY seq")
        prev_hash, prev_seq = "", 0
        for r in rows:
            if r["seq"] != prev_seq + 1:
                missing = f"#{prev_seq + 1}" + (
                    f"–#{r['seq'] - 1}" if r["seq"] - 1 > prev_seq + 1 else ""
                )
                return _broken(
                    len(rows), r["seq"], f"entry {missing} was removed before #{r['seq']}"
                )
            if r["hash"] is None:  # written before the chain existed (migration 2)
                prev_hash, prev_seq = "", r["seq"]
                continue
            expected = audit_hash(
                r["seq"],
                r["at"],
                r["thread_id"],
                r["actor"],
                r["event"],
                r["detail"],
                r["policy_version"],
                r["prev_hash"] or "",
            )
            if expected != r["hash"]:
                return _broken(len(rows), r["seq"], f"entry #{r['seq']} was altered")
            if (r["prev_hash"] or "") != prev_hash:
                return _broken(
                    len(rows), r["seq"], f"entry #{r['seq']} does not follow #{prev_seq}"
                )
            prev_hash, prev_seq = r["hash"], r["seq"]
        top = self.query("SELECT seq FROM sqlite_sequence WHERE name = 'audit'")
        highest = int(top[0]["seq"]) if top else prev_seq
        if highest > prev_seq:
            return _broken(
                len(rows),
                prev_seq + 1,
                f"the last entries (#{prev_seq + 1}–#{highest}) were removed",
            )
        return {"ok": True, "checked": len(rows), "first_bad": None, "problem": None}


def audit_hash(
    seq: int,
    at: str,
    thread_id: str | None,
    actor: str,
    event: str,
    detail: str,
    policy_version: str | None,
    prev_hash: str,
) -> str:
    canonical = json.dumps(
        [seq, at, thread_id, actor, event, detail, policy_version, prev_hash],
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _broken(checked: int, seq: int, problem: str) -> dict[str, Any]:
    return {"ok": False, "checked": checked, "first_bad": seq, "problem": problem}
