"""The executor: the only code that calls a connector, through the outbox (DESIGN.md §4).

    claim(key) ─► connector ─► finish(key, result)

A key already `done` returns its stored result. A key stuck in `sending` (a crash between the
claim and the record) is retried only where the connector honours the key; otherwise it becomes
`in_doubt`, for a person to settle.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from typing import Any

from graphs.state import Outcome
from graphs.store import Store
from tools.base import ConnectorError, Settings
from tools.registry import get_tool

log = logging.getLogger(__name__)


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

        return cls(
            store, Settings(home=default_home(), smtp_url=os.environ.get("SIGNOFF_SMTP_URL"))
        )

    def execute(self, thread_id: str, action_id: str, name: str, args: dict[str, Any]) -> Outcome:
        tool = get_tool(name)
        try:
            args = tool.validate_args(args)
        except ValueError as exc:  # never call a connector with arguments it does not accept
            detail = {"error": f"{tool.title} was not attempted: {exc}"}
            self.store.audit("action.failed", {"action": name, **detail}, thread_id=thread_id)
            return Outcome(action_id=action_id, name=name, status="failed", detail=detail)
        key = idempotency_key(thread_id, action_id, name, args)
        existing = self.store.claim(key, thread_id, action_id, name, args)
        if existing is not None:
            status = existing["status"]
            if status in ("done", "in_doubt"):
                log.info("outbox %s already %s; not calling %s again", key[:12], status, name)
                return self._outcome(action_id, name, key, status, existing["result"] or {})
            if status == "sending" and not tool.honours_key(self.settings):
                detail = {
                    "error": "A previous attempt may have sent this already (the process stopped "
                    "mid-send) and this connector cannot tell. Mark it as sent or send it again."
                }
                self.store.finish(key, "in_doubt", detail)
                self.store.audit(
                    "action.in_doubt", {"key": key, "action": name, **detail}, thread_id=thread_id
                )
                return self._outcome(action_id, name, key, "in_doubt", detail)
            self.store.retry_claim(key)  # `failed`, or `sending` on a key-honouring connector
        try:
            result = tool.run(args, key, self.settings)
        except ConnectorError as exc:
            detail = {"error": str(exc)}
            self.store.finish(key, "failed", detail)
            self.store.audit(
                "action.failed", {"key": key, "action": name, **detail}, thread_id=thread_id
            )
            log.warning("%s failed: %s", name, exc)
            return self._outcome(action_id, name, key, "failed", detail)
        self.store.finish(key, "done", result)
        self.store.audit(
            "action.executed",
            {"key": key, "action": name, "args": args, "result": result},
            thread_id=thread_id,
        )
        return self._outcome(action_id, name, key, "done", result)

    @staticmethod
    def _outcome(
        action_id: str, name: str, key: str, status: str, result: dict[str, Any]
    ) -> Outcome:
        label = {"done": "executed"}.get(status, status)
        return Outcome(action_id=action_id, name=name, status=label, detail={"key": key, **result})
