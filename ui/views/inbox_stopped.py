"""Campaigns whose run stopped (the model timed out, the server went away), at the top of the
Inbox: what happened, that nothing is lost, and Retry right there."""

from __future__ import annotations

from typing import Any

import streamlit as st

from graphs.errors import Busy, SignoffError
from ui.state import PAGE_CAMPAIGN, flash, plain, short_id, signoff, when
from ui.stopped import NOTHING_LOST, what_happened, what_to_do


def _retry(thread_id: str, product: str) -> None:
    """Queue the run that carries the campaign on (a worker runs it; its progress shows above)."""
    try:
        signoff().retry(thread_id)
    except Busy as err:
        flash("info", str(err))
    except SignoffError as err:
        flash("error", str(err))
    else:
        flash("info", f"Carrying on with {product}: its progress is shown above.")


def render_stopped() -> list[dict[str, Any]]:
    """A box per stopped campaign (the latest 20); returns them."""
    stopped = signoff().stopped()
    if not stopped:
        return stopped
    st.subheader(
        "A campaign stopped" if len(stopped) == 1 else f"{len(stopped)} campaigns stopped",
        anchor=False,
    )
    for c in stopped:
        thread_id = c["thread_id"]
        product = str(c["brief"].get("product") or "Your campaign")
        with st.container(border=True, key=f"stopped-{thread_id[:16]}"):
            st.markdown(
                f":material/error: **{plain(product)} stopped part-way** · campaign "
                f"{short_id(thread_id)} · {when(c.get('updated_at'))}"
            )
            said = " ".join(s for s in (what_happened(c["error"]), NOTHING_LOST) if s)
            st.markdown(f"{said} {what_to_do(c['error'])}")
            with st.container(horizontal=True, vertical_alignment="center"):
                st.button(
                    "Retry",
                    key=f"retry-stopped-{thread_id}",
                    icon=":material/refresh:",
                    type="primary",
                    on_click=_retry,
                    args=(thread_id, product),
                )
                st.page_link(
                    PAGE_CAMPAIGN,
                    label="Open the campaign",
                    icon=":material/monitoring:",
                    query_params={"thread": thread_id},
                )
                if c["error"]:
                    st.caption(
                        ":material/dns: What went wrong, in detail",
                        help=f"For whoever runs Signoff: {plain(c['error'])}",
                    )
    return stopped
