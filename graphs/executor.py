"""The executor: the only code that calls a connector, through the outbox (DESIGN.md §4).

    claim(key) ─► connector ─► finish(key, result)

A key already `done` returns its stored result. A key stuck in `sending` (a crash between the
claim and the record) is retried only where the connector honours the key; otherwise it becomes
`in_doubt`, for a person to settle: `settle(key, "mark_sent" | "send_again", by)`. A `failed` key
runs again with `retry_failed`; a `done` one is reversed, once, with `undo` where the tool can.

Outbox statuses: sending → done | failed | in_doubt;  done → undoing → undone.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from graphs import faults
from graphs.state import Outcome
from graphs.store import Store, now_iso
from tools.base import Call, ConnectorError, OutboundTool, Settings
from tools.registry import get_tool

log = logging.getLogger(__name__)

SETTLE_CHOICES = ("mark_sent", "send_again")
FINAL = ("done", "in_doubt", "undoing", "undone")  # never run again by `execute`


def idempotency_key(thread_id: str, action_id: str, name: str, args: dict[str, Any]) -> str:
    content = json.dumps([thread_id, action_id, name, args], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(content.encode()).hexdigest()


class Executor:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    @classmethod
    def from_env(cls, store: Store) -> Executor:
        from graphs.store import default_home

        return cls(store, Settings.load(default_home()))

    def execute(self, thread_id: str, action_id: str, name: str, args: dict[str, Any]) -> Outcome:
        tool = get_tool(name)
        try:
            args = tool.validate_args(args, self.settings)
        except ValueError as exc:  # never call a connector with arguments it does not accept
            detail = {"error": f"{tool.title} was not attempted: {exc}", "retryable": False}
            self.store.audit("action.failed", {"action": name, **detail}, thread_id=thread_id)
            return Outcome(action_id=action_id, name=name, status="failed", detail=detail)
        key = idempotency_key(thread_id, action_id, name, args)
        faults.point("before_claim")
        existing = self.store.claim(key, thread_id, action_id, name, args)
        if existing is not None:
            status = existing["status"]
            if status in FINAL:
                log.info("outbox %s already %s; not calling %s again", key[:12], status, name)
                return self._outcome(action_id, name, key, status, existing["result"] or {})
            if status == "sending" and not tool.honours_key(self.settings):
                detail = {
                    "error": "A previous attempt may have sent this already (the process stopped "
                    "mid-send) and this connector cannot tell. Mark it as sent or send it again.",
                    "retryable": False,
                }
                self.store.finish(
                    key,
                    "in_doubt",
                    detail,
                    audit=("action.in_doubt", {"key": key, "action": name, **detail}, thread_id),
                )
                return self._outcome(action_id, name, key, "in_doubt", detail)
            self.store.retry_claim(key)  # `failed`, or `sending` on a key-honouring connector
        faults.point("after_claim")
        return self._run(tool, Call(args, key, thread_id, action_id, self.settings))

    # -- a person's follow-ups -------------------------------------------------------------------
    def undo(self, key: str, by: str) -> dict[str, Any]:
        """Reverse a done action once; returns {"key", "action", "status": "undone", "undone",
        "message"}. Not undoable, or not done: ValueError saying so."""
        row = self._row(key)
        tool = get_tool(row["name"])
        if row["status"] == "undone":
            undone = (row["result"] or {}).get("undone", {})
            return {
                "key": key,
                "action": row["name"],
                "status": "undone",
                "undone": undone,
                "message": f"Already undone by {undone.get('by', '?')} at {undone.get('at', '?')}; "
                "nothing was done now.",
            }
        if tool.undo is None:
            raise ValueError(f"{tool.title} cannot be undone: {tool.risk.why}")
        # `undoing` is left by a crash mid-undo; every connector's undo may safely run again
        if row["status"] not in ("done", "undoing"):
            raise ValueError(
                f"Only an executed action can be undone; this {tool.title.lower()} is "
                f"{row['status']}."
            )
        result = row["result"] or {}
        if "settled" in result:
            raise ValueError(
                f"This {tool.title.lower()} was marked as sent by a person, so Signoff does not "
                "know where it went and cannot undo it. Take it back by hand."
            )
        if not self._move(key, ("done", "undoing"), "undoing"):
            return self.undo(key, by)  # someone else got there first: report what they did
        call = self._call(row)
        try:
            undone = tool.undo(call, result)
        except BaseException as exc:
            self._move(key, ("undoing",), "done")  # still live: it may be undone again
            if isinstance(exc, ConnectorError):
                detail = {"error": str(exc), "retryable": exc.retryable}
                self.store.audit(
                    "action.undo_failed",
                    {"key": key, "action": row["name"], **detail},
                    thread_id=row["thread_id"],
                    actor=by,
                )
            raise
        if undone is None:
            self._move(key, ("undoing",), "done")
            raise ValueError(
                f"This {tool.title.lower()} went out through {result.get('transport', '?')}, "
                "which Signoff cannot take back. Remove it there by hand."
            )
        undone = {**undone, "by": by, "at": now_iso()}
        self._move(key, ("undoing",), "undone", {**result, "undone": undone})
        self.store.audit(
            "action.undone",
            {"key": key, "action": row["name"], "undone": undone},
            thread_id=row["thread_id"],
            actor=by,
        )
        return {
            "key": key,
            "action": row["name"],
            "status": "undone",
            "undone": undone,
            "message": f"{tool.title} undone.",
        }

    def settle(self, key: str, choice: str, by: str) -> Outcome:
        """An in-doubt action: `mark_sent` (it did go out) or `send_again` (run it once more)."""
        if choice not in SETTLE_CHOICES:
            raise ValueError(
                f"Unknown choice '{choice}' for an in-doubt action; expected one of "
                f"{list(SETTLE_CHOICES)}."
            )
        row = self._row(key)
        if row["status"] != "in_doubt":
            raise ValueError(
                f"Only an in-doubt action can be settled; this one is {row['status']}."
            )
        audit = {"key": key, "action": row["name"], "choice": choice}
        if choice == "mark_sent":
            result = {"settled": "marked as sent", "by": by}
            if not self._move(key, ("in_doubt",), "done", result):
                raise ValueError(f"Someone settled it first; it is now {self._row(key)['status']}.")
            self.store.audit("action.settled", audit, thread_id=row["thread_id"], actor=by)
            return self._outcome(row["action_id"], row["name"], key, "done", result)
        if not self._move(key, ("in_doubt",), "sending", attempt=True):
            raise ValueError(f"Someone settled it first; it is now {self._row(key)['status']}.")
        self.store.audit("action.settled", audit, thread_id=row["thread_id"], actor=by)
        return self._run(get_tool(row["name"]), self._call(row))

    def retry_failed(self, key: str, by: str) -> Outcome:
        """Run a failed action again (e.g. after the server came back)."""
        row = self._row(key)
        if row["status"] != "failed":
            raise ValueError(f"Only a failed action can be retried; this one is {row['status']}.")
        if not self._move(key, ("failed",), "sending", attempt=True):
            raise ValueError(f"Someone retried it first; it is now {self._row(key)['status']}.")
        self.store.audit(
            "action.retried",
            {"key": key, "action": row["name"], "attempt": row["attempts"] + 1},
            thread_id=row["thread_id"],
            actor=by,
        )
        return self._run(get_tool(row["name"]), self._call(row))

    # -- plumbing --------------------------------------------------------------------------------
    def _run(self, tool: OutboundTool, call: Call) -> Outcome:
        """Call the connector for a claimed (`sending`) key and record what happened."""
        name, key, thread_id = tool.name, call.key, call.thread_id
        try:
            result = tool.run(call)
        except ConnectorError as exc:
            detail: dict[str, Any] = {"error": str(exc), "retryable": exc.retryable}
            if exc.status is not None:
                detail["status"] = exc.status
            self.store.finish(
                key,
                "failed",
                detail,
                audit=("action.failed", {"key": key, "action": name, **detail}, thread_id),
            )
            log.warning("%s failed: %s", name, exc)
            return self._outcome(call.action_id, name, key, "failed", detail)
        except Exception as exc:  # a connector bug or a library's error: never left `sending`
            return self._unexpected(tool, call, exc)
        faults.point("after_connector")
        self.store.finish(
            key,
            "done",
            result,
            audit=(
                "action.executed",
                {"key": key, "action": name, "args": call.args, "result": result},
                thread_id,
            ),
        )
        faults.point("after_record")
        return self._outcome(call.action_id, name, key, "done", result)

    def _unexpected(self, tool: OutboundTool, call: Call, exc: Exception) -> Outcome:
        """Any other exception from a connector. Where the connector honours the key a retry is
        safe: `failed` (retryable, with the message). Otherwise it may have gone out part-way:
        `in_doubt`, for a person to mark as sent or send again."""
        from tools.redact import redact

        said = redact(" ".join(str(exc).split()))[:300] or "no message"
        what = f"{tool.title} stopped with an unexpected error ({type(exc).__name__}: {said})."
        log.warning("%s raised %s", tool.name, type(exc).__name__, exc_info=True)
        if tool.honours_key(self.settings):
            status = "failed"
            detail: dict[str, Any] = {
                "error": f"{what} Nothing was confirmed; retry it once the cause is fixed.",
                "retryable": True,
            }
            event = "action.failed"
        else:
            status = "in_doubt"
            detail = {
                "error": f"{what} It may or may not have gone out, and this connector cannot "
                "tell. Mark it as sent or send it again.",
                "retryable": False,
            }
            event = "action.in_doubt"
        self.store.finish(
            call.key,
            status,
            detail,
            audit=(event, {"key": call.key, "action": tool.name, **detail}, call.thread_id),
        )
        return self._outcome(call.action_id, tool.name, call.key, status, detail)

    def _row(self, key: str) -> dict[str, Any]:
        rows = self.store.query("SELECT thread_id FROM outbox WHERE key = ?", (key,))
        found = (
            [r for r in self.store.outbox(rows[0]["thread_id"]) if r["key"] == key] if rows else []
        )
        if not found:
            raise KeyError(f"No action with key '{key}' in the outbox. Check the key.")
        return found[0]

    def _call(self, row: dict[str, Any]) -> Call:
        return Call(row["args"], row["key"], row["thread_id"], row["action_id"], self.settings)

    def _move(
        self,
        key: str,
        from_status: tuple[str, ...],
        to_status: str,
        result: dict[str, Any] | None = None,
        *,
        attempt: bool = False,
    ) -> bool:
        """Compare-and-set the outbox status (one winner among concurrent callers)."""
        marks = ", ".join("?" * len(from_status))
        sets = "status = ?, updated_at = ?" + (", attempts = attempts + 1" if attempt else "")
        params: list[Any] = [to_status, now_iso()]
        if result is not None:
            sets += ", result = ?"
            params.append(json.dumps(result))
        with self.store.tx() as c:
            moved = c.execute(
                f"UPDATE outbox SET {sets} WHERE key = ? AND status IN ({marks})",
                (*params, key, *from_status),
            ).rowcount
        return bool(moved)

    @staticmethod
    def _outcome(
        action_id: str, name: str, key: str, status: str, result: dict[str, Any]
    ) -> Outcome:
        label = {"done": "executed"}.get(status, status)
        return Outcome(action_id=action_id, name=name, status=label, detail={"key": key, **result})
