"""On each inbox card: can the signed-in person decide it, who approved so far, who else can."""

from __future__ import annotations

from typing import Any

import streamlit as st


def authority_line(item: dict[str, Any]) -> tuple[str, str] | None:
    """(kind, text) for the card, or None in local mode (one person, every role)."""
    view = item.get("authority") or {}
    if not view or view.get("local"):
        return None
    approved = view.get("approvals") or []
    so_far = f"Approved so far by {', '.join(approved)}. " if approved else ""
    if not view.get("can_decide"):
        who = ", ".join(view.get("who") or []) or "nobody in the team"
        return "warning", f"{so_far}You cannot decide this: it {view.get('needs')} ({who})."
    if not view.get("can_approve"):
        return "info", so_far + str(view.get("why_not") or "")
    if view.get("completes"):
        return "success", so_far + "Your approval is enough for it to go out."
    still = "; ".join(view.get("still_needs") or [])
    return "info", f"{so_far}You can approve; it then still {still}."


def render_authority(item: dict[str, Any]) -> None:
    line = authority_line(item)
    if line is None:
        return
    kind, text = line
    icon = {"warning": ":material/lock:", "success": ":material/verified_user:"}.get(
        kind, ":material/group:"
    )
    st.caption(f"{icon} {text}")
