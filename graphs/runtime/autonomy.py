"""Earned autonomy: the track record, levels, promotions, and the policy simulation."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from graphs.autonomy import describe_level, record_counts, suggest
from graphs.errors import InvalidInput
from graphs.policy import LEVELS, parse_policy, route
from graphs.record import track_outcome
from graphs.runtime.runs import Runs
from tools.registry import get_tool

log = logging.getLogger(__name__)


class AutonomyService(Runs):
    """Levels per action type × channel; a rejection or a flag demotes at once."""

    def _level(self, action: str, channel: str) -> str:
        row = self.store.autonomy_row(action, channel)
        return self.policy.level_for(action, row["level"] if row else None)

    def _track(
        self,
        ref: str,
        action: str,
        channel: str,
        outcome: str,
        thread_id: str,
        action_id: str,
        by: str,
    ) -> None:
        """Add to the track record; a rejection or a flag demotes the action type at once."""
        track_outcome(
            self.store, self.policy, ref, action, channel, outcome, thread_id, action_id, by
        )

    def autonomy(self) -> list[dict[str, Any]]:
        """Per action type × channel: level, cap, track record and a promotion suggestion."""
        rows = []
        for name, spec in self.policy.actions.items():
            tool = get_tool(name)
            row = self.store.autonomy_row(name, tool.channel)
            level = self._level(name, tool.channel)
            since_id = row["track_from"] if row else 0
            record = self.store.track_record(name, tool.channel)
            everything = [r["outcome"] for r in record]
            since = [r for r in record if r["id"] > since_id]  # since the last change
            recent = [r["outcome"] for r in since]
            who = [r.get("decided_by") for r in since]
            suggestion, why = suggest(self.policy, name, level, recent, who)
            rows.append(
                {
                    "action": name,
                    "channel": tool.channel,
                    "title": tool.title,
                    "tier": spec.risk,
                    "level": level,
                    "meaning": describe_level(level),
                    "max_autonomy": spec.max_autonomy,
                    "since": row["since"] if row else None,
                    "by": row["decided_by"] if row else "policy",
                    "record": record_counts(everything),
                    "suggestion": suggestion,
                    "why": why,
                }
            )
        return rows

    def track_record(
        self, action: str | None = None, channel: str | None = None
    ) -> list[dict[str, Any]]:
        return [
            {k: r[k] for k in ("at", "action", "channel", "outcome", "thread_id", "action_id")}
            for r in self.store.track_record(action, channel)
        ]

    def promote(self, action: str, channel: str, *, by: str = "marketer") -> dict[str, Any]:
        """A person confirms the suggested promotion (never above the policy's max_autonomy)."""
        self.approvals.require(
            by, "promote", "promote an action type's autonomy", action=action, channel=channel
        )
        by = self.approvals.who(by)
        row = next(
            (r for r in self.autonomy() if r["action"] == action and r["channel"] == channel), None
        )
        if row is None:
            known = [f"{r['action']} {r['channel']}" for r in self.autonomy()]
            raise InvalidInput(
                f"Unknown action type {action!r} on channel {channel!r}; expected one of {known}."
            )
        if row["suggestion"] is None:
            raise InvalidInput(
                f"No promotion is suggested for {action} on {channel} (level '{row['level']}'): "
                f"{row['why']}"
            )
        to = row["suggestion"]["to"]
        if LEVELS.index(to) > LEVELS.index(row["max_autonomy"]):  # pragma: no cover - guarded
            raise InvalidInput(
                f"'{to}' is above the policy's max_autonomy '{row['max_autonomy']}'."
            )
        self.store.set_autonomy(action, channel, to, by)
        self.store.audit(
            "autonomy.promoted",
            {
                "action": action,
                "channel": channel,
                "from": row["level"],
                "to": to,
                "evidence": row["suggestion"],
            },
            actor=by,
        )
        return {**row, "level": to, "suggestion": None}

    def change_policy(self, candidate: str | Path, *, by: str) -> dict[str, Any]:
        """Replace the policy file with a candidate (YAML text or a path): needs the
        `change_policy` permission (admin in the shipped policy), validated first, audited with
        who signed it off. It applies when Signoff next starts (page server, worker, CLI)."""
        self.approvals.require(by, "change_policy", "change the policy")
        by = self.approvals.who(by)
        text = str(candidate)
        if "\n" not in text and Path(text).expanduser().is_file():
            text = Path(text).expanduser().read_text(encoding="utf-8")
        new = parse_policy(text, "<candidate policy>")
        target = Path(self.policy.path)
        staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        staging.write_text(text, encoding="utf-8")
        os.replace(staging, target)
        self.store.audit(
            "policy.changed",
            {
                "from": self.policy.version,
                "to": new.version,
                "digest": new.digest,
                "path": str(target),
            },
            actor=by,
        )
        return {"version": new.version, "digest": new.digest, "path": str(target)}

    def simulate(self, candidate: str | Path, *, last: int = 200) -> dict[str, Any]:
        """Replay the last recorded routings through a candidate policy (YAML text or a path)."""
        text = str(candidate)
        if "\n" not in text and Path(text).expanduser().is_file():
            where = str(Path(text).expanduser())
            text = Path(where).read_text(encoding="utf-8")
        else:
            where = "<candidate policy>"
        policy = parse_policy(text, where)
        replayed = reviews_now = reviews_candidate = 0
        let_through = []
        for p in self.store.proposals(last):
            facts = dict(p["facts"])
            if facts["action"] not in policy.actions:
                continue
            replayed += 1
            now_route = p["route"]  # facts["level"]: the level recorded then (None: the start)
            new_route = route(policy, facts)["route"]  # type: ignore[arg-type]
            reviews_now += now_route == "review"
            reviews_candidate += new_route == "review"
            if new_route != "review" and p["outcome"] in ("rejected", "flagged", "revised"):
                let_through.append(
                    {
                        "thread_id": p["thread_id"],
                        "action_id": p["action_id"],
                        "action": p["action"],
                        "outcome": p["outcome"],
                        "route_now": now_route,
                        "route_candidate": new_route,
                    }
                )
        return {
            "policy_version": policy.version,
            "replayed": replayed,
            "reviews_now": reviews_now,
            "reviews_candidate": reviews_candidate,
            "saved": reviews_now - reviews_candidate,
            "let_through": let_through,
        }
