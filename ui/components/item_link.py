"""Opening an item from a notification's link: `inbox?item=<id>&t=<signed token>`.

The token is checked by the runtime (signature, expiry, the draft's content hash); the page shows
only the item it opens, or says why not ("this draft changed since this link was sent"), with a
way back to everything that waits. Signing in is still required to reach the page at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import streamlit as st

if TYPE_CHECKING:
    from graphs.runtime import Signoff


def _show_all() -> None:
    for key in ("item", "t"):
        st.query_params.pop(key, None)


def focus(runtime: Signoff, pending: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items to show: the linked one alone, or everything (with a note why)."""
    item_id = st.query_params.get("item")
    token = st.query_params.get("t")
    if not item_id and not token:
        return pending
    target = item_id
    if token:
        opened = runtime.open_link(token)
        if opened["status"] != "ok":
            st.warning(opened["message"], icon=":material/link_off:")
        target = opened["interrupt_id"] if opened["status"] in ("ok", "stale") else None
    shown = [p for p in pending if p["id"] == target]
    if shown:
        st.info("Opened from your notification.", icon=":material/link:")
    st.button(
        "Show everything that waits",
        key="item-link-show-all",
        icon=":material/inbox:",
        on_click=_show_all,
    )
    return shown or pending
