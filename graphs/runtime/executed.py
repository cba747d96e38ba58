"""Executed actions: undo, sends left in doubt by a crash, failed sends to retry."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from graphs.errors import InvalidInput, NotFound
from graphs.runtime.runs import Runs
from tools.base import ConnectorError
from tools.registry import get_tool

log = logging.getLogger(__name__)


class Executed(Runs):
    """Work on outbox rows: undo, settle in-doubt sends, retry failed ones."""

    def _reversible(self, name: str) -> bool:
        """What the policy says (`reversible`, the Inbox's "cannot be undone"): a connector that
        could take an action back (a published post) does not make it undoable."""
        try:
            return bool(self.policy.action(name).reversible)
        except InvalidInput:  # an action the policy and the tools no longer know
            return False

    def undoable(self) -> list[dict[str, Any]]:
        """Executed actions the policy marks reversible and whose connector can undo them
        (likes, follows, reposts, pages…)."""
        result = []
        for row in reversed(self.store.outbox()):
            tool = get_tool(row["name"])
            if tool.undo is None or row["status"] not in ("done", "undoing", "undone"):
                continue
            if not self._reversible(row["name"]):
                continue
            result.append(
                {
                    "key": row["key"],
                    "thread_id": row["thread_id"],
                    "action_id": row["action_id"],
                    "action": row["name"],
                    "title": tool.title,
                    "args": row["args"],
                    "at": row["updated_at"],
                    "ran_at": row["created_at"],  # claimed to run (`at` moves when undone)
                    "undone": row["status"] == "undone",
                }
            )
        return result

    def undo(self, key: str, *, by: str = "marketer") -> dict[str, Any]:
        """Undo an executed reversible action (unlike, unfollow, unpublish…), once."""
        self.approvals.require(by, "undo", "undo an action", key=key)
        by = self.approvals.who(by)
        found = self.store.query("SELECT name FROM outbox WHERE key = ?", (key,))
        if found and not self._reversible(found[0]["name"]):
            title = get_tool(found[0]["name"]).title
            raise InvalidInput(
                f"{title} cannot be undone: the policy marks it as not reversible (once out, "
                "people may have seen it). Take it back by hand where it went out; to let "
                f"Signoff undo it, set `reversible: true` for {found[0]['name']} in the policy."
            )
        with _outbox_errors("The undo did not go through"):
            return cast(dict[str, Any], self.executor.undo(key, by))

    def _outbox_items(self, status: str) -> list[dict[str, Any]]:
        items = []
        for row in self.store.outbox():
            if row["status"] != status:
                continue
            result = row["result"] or {}
            items.append(
                {
                    "key": row["key"],
                    "thread_id": row["thread_id"],
                    "action_id": row["action_id"],
                    "action": row["name"],
                    "title": get_tool(row["name"]).title,
                    "args": row["args"],
                    "error": result.get("error", ""),
                    "retryable": result.get("retryable", True),
                    "at": row["updated_at"],
                }
            )
        return items

    def in_doubt(self) -> list[dict[str, Any]]:
        """Sends a crash left undecided on a connector that cannot tell: mark sent or send again."""
        return self._outbox_items("in_doubt")

    def failed(self) -> list[dict[str, Any]]:
        return self._outbox_items("failed")

    def settle(self, key: str, choice: str, *, by: str = "marketer") -> dict[str, Any]:
        self.approvals.require(by, "settle", "settle an in-doubt send", key=key, choice=choice)
        by = self.approvals.who(by)
        with _outbox_errors("Sending it again did not go through"):
            return cast(dict[str, Any], self.executor.settle(key, choice, by))

    def retry_action(self, key: str, *, by: str = "marketer") -> dict[str, Any]:
        self.approvals.require(by, "settle", "retry a failed send", key=key)
        by = self.approvals.who(by)
        with _outbox_errors("The retry did not go through"):
            return cast(dict[str, Any], self.executor.retry_failed(key, by))


@contextmanager
def _outbox_errors(what: str) -> Iterator[None]:
    """The executor's errors on an outbox key, as the facade's: unknown key, refused request,
    a connector that failed (the row is unchanged and can be tried again)."""
    try:
        yield
    except KeyError as exc:
        # the message itself: str() of a KeyError is its repr, in quotes
        raise NotFound(str(exc.args[0]) if exc.args else str(exc)) from exc
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    except ConnectorError as exc:
        raise InvalidInput(f"{what}: {exc} The action is unchanged; try again later.") from exc
