"""The audit log as the facade shows it: activity, chain verification, CSV export."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import IO, Any

from graphs.runtime.runs import Runs
from tools.csvsafe import write_rows

log = logging.getLogger(__name__)


class AuditService(Runs):
    """Read, verify and export the audit; audit a change of policy."""

    def _audit_policy(self) -> None:
        """A change of policy (another version or other bytes) is audited with its version."""
        last = self.store.audit_log(event="policy.loaded", limit=1)
        current = {"version": self.policy.version, "digest": self.policy.digest}
        if not last or {k: last[0]["detail"].get(k) for k in current} != current:
            self.store.audit(
                "policy.loaded",
                {
                    **current,
                    "path": self.policy.path,
                    "previous": last[0]["detail"].get("version") if last else None,
                },
                actor="signoff",
            )

    def activity(
        self,
        *,
        thread_id: str | None = None,
        event: str | None = None,
        actor: str | None = None,
        limit: int = 500,
    ) -> list[dict[str, Any]]:
        return self.store.audit_log(thread_id, limit, event=event, actor=actor)

    def audit_verify(self) -> dict[str, Any]:
        return self.store.verify_audit()

    def audit_csv(self, dest: Path | str | IO[str]) -> int:
        rows = self.store.audit_log(limit=10**9, oldest_first=True)
        fields = ["seq", "at", "thread_id", "actor", "event", "policy_version", "detail", "hash"]

        def write(out: IO[str]) -> None:  # cells that a spreadsheet would run are escaped
            write_rows(
                out,
                fields,
                ({**r, "detail": json.dumps(r["detail"], sort_keys=True)} for r in rows),
            )

        if isinstance(dest, str | Path):
            with open(dest, "w", newline="", encoding="utf-8") as out:
                write(out)
        else:
            write(dest)
        return len(rows)
