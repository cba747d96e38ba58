"""The feed of actions that ran without review: acknowledge or flag them."""

from __future__ import annotations

import logging
from typing import Any, cast

from graphs.errors import AlreadyDecided, InvalidInput, NotFound
from graphs.runtime.autonomy import AutonomyService
from tools.registry import get_tool

log = logging.getLogger(__name__)


class NotificationsService(AutonomyService):
    """Notifications; a flag counts against the track record."""

    def notifications(self, status: str | None = None) -> list[dict[str, Any]]:
        return self.store.notifications(status)

    def acknowledge(self, notification_id: int, *, by: str = "marketer") -> dict[str, Any]:
        return self._close_notification(notification_id, "acknowledged", by, None)

    def flag(self, notification_id: int, *, by: str = "marketer", reason: str) -> dict[str, Any]:
        """Flag an action that ran: it counts against the track record and demotes at once."""
        if not reason or not reason.strip():
            raise InvalidInput("A flag needs a reason: say what was wrong with it.")
        return self._close_notification(notification_id, "flagged", by, reason.strip())

    def _close_notification(
        self, notification_id: int, status: str, by: str, reason: str | None
    ) -> dict[str, Any]:
        note = self.store.notification(int(notification_id))
        if note is None:
            raise NotFound(
                f"No notification {notification_id}; list them with `signoff notifications`."
            )
        if not self.store.close_notification(int(notification_id), status, by, reason):
            raise AlreadyDecided(
                str(notification_id), note["by"] or "?", note["at"] or "?", note["status"]
            )
        self.store.audit(
            f"notification.{status}",
            {"notification": notification_id, "action_id": note["action_id"], "reason": reason},
            thread_id=note["thread_id"],
            actor=by,
        )
        if note["kind"] == "ran" and note["action"]:
            outcome = "flagged" if status == "flagged" else "acknowledged"
            if note["thread_id"] and note["action_id"]:
                if outcome == "flagged":
                    self.store.set_proposal_outcome(note["thread_id"], note["action_id"], outcome)
                self._track(
                    f"note:{notification_id}",
                    note["action"],
                    note["channel"] or get_tool(note["action"]).channel,
                    outcome,
                    note["thread_id"],
                    note["action_id"],
                    by,
                )
        return cast(dict[str, Any], self.store.notification(int(notification_id)))
