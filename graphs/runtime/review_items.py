"""The shape of a review: an inbox row as a pending item (`pending()`, the summary, the Inbox
page). (An edit's diff as the audit records it is `graphs.record.edit_diff`.)"""

from __future__ import annotations

from typing import Any


def inbox_item(
    row: dict[str, Any], now: float, remind_before: int, reminded: bool
) -> dict[str, Any]:
    p = row["payload"]
    expires_at = row["due"]
    return {
        "id": row["interrupt_id"],
        "thread_id": row["thread_id"],
        "action": p["action"]["name"],
        "risk": p["risk"],
        "reasons": p["reasons"],
        "args": p["action"]["args"],
        "confidence": p["confidence"],
        "created_at": row["created_at"],
        "action_id": row["action_id"],
        "channel": p.get("channel"),
        "title": p.get("title"),
        "text": p.get("text"),
        "route": p.get("route"),
        "level": p.get("level"),
        "claims": p.get("claims", []),
        "claim_checks": p.get("claim_checks", []),
        "evidence": p.get("evidence", []),
        "unsupported_claims": p.get("unsupported_claims", []),
        "needs_check": p.get("needs_check", False),
        "flagged_sources": p.get("flagged_sources", []),
        "foreign_contacts": p.get("foreign_contacts", []),
        "allowed_decisions": p["allowed_decisions"],
        "revision": p.get("revision", 0),
        "feedback": p.get("feedback", []),
        "review_notes": p.get("review_notes", []),
        "review_rounds": p.get("review_rounds", 0),
        "changes": p.get("changes", ""),
        "hold_seconds": p.get("hold_seconds", 0),
        "batch": row["batch"],
        "batch_size": p.get("batch_size", 1),
        "expires_at": expires_at,
        "reminder": reminded or (expires_at is not None and expires_at - remind_before <= now),
    }
