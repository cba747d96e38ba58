"""Sends in doubt (a crash mid-send) and failed actions, with their choices."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui.state import (
    clock,
    plain,
    short_id,
    signoff,
)
from ui.views.inbox_decide import _queue_outbox


# -- in doubt and failed ----------------------------------------------------------------------
def _args_line(args: dict[str, Any]) -> str:
    if "subject" in args:
        return f"To {args.get('to', '')} · {args['subject']}"
    return str(args.get("text") or args.get("title") or args.get("url") or "")[:160]


def render_trouble() -> None:
    doubtful = signoff().in_doubt()
    failed = signoff().failed()
    if not doubtful and not failed:
        return
    st.subheader("Needs your attention", anchor=False)
    for r in doubtful:
        key = r["key"]
        with st.container(border=True, key=f"in-doubt-{key[:16]}"):
            st.markdown(
                f":material/help: **{plain(r.get('title') or r['action'])} may or may not have "
                f"gone out** · campaign {short_id(r['thread_id'])} · {clock(r.get('at'))}"
            )
            st.caption(
                f"{plain(_args_line(r.get('args') or {}))}  \nThe send was under way when the "
                "process stopped, and this channel cannot tell whether it arrived. Check (e.g. "
                "the sent folder), then choose."
                + (f"  \nError: {plain(r['error'])}" if r.get("error") else "")
            )
            with st.container(horizontal=True):
                st.button(
                    "Mark as sent",
                    key=f"mark-sent-{key}",
                    icon=":material/done:",
                    on_click=_queue_outbox,
                    args=("mark_sent", key, r.get("title") or r["action"]),
                    help="It did go out: it will never be sent again.",
                )
                st.button(
                    "Send again",
                    key=f"send-again-{key}",
                    icon=":material/send:",
                    on_click=_queue_outbox,
                    args=("send_again", key, r.get("title") or r["action"]),
                    help="It did not go out: send it once more.",
                )
    for r in failed:
        key = r["key"]
        with st.container(border=True, key=f"failed-{key[:16]}"):
            st.markdown(
                f":material/error: **{plain(r.get('title') or r['action'])} failed** · campaign "
                f"{short_id(r['thread_id'])} · {clock(r.get('at'))}"
            )
            st.caption(
                f"{plain(_args_line(r.get('args') or {}))}  \nError: {plain(r.get('error') or '?')}"
            )
            st.button(
                "Retry",
                key=f"retry-action-{key}",
                icon=":material/refresh:",
                on_click=_queue_outbox,
                args=("retry", key, r.get("title") or r["action"]),
                disabled=not r.get("retryable", True),
                help=None
                if r.get("retryable", True)
                else "This failure will not go away by retrying (e.g. a refused address).",
            )
