"""The sidebar's line about the model: ready, starting, down (with what to do), read from the
machine's shared model server (graphs/model_status.py); the page itself never starts it.

While the model starts, the line polls every few seconds until it is ready (or down)."""

from __future__ import annotations

import streamlit as st

from graphs.model_status import ModelStatus, model_status
from ui.state import signoff

POLL_S = 3.0
ICONS = {
    "ready": ":material/check_circle:",
    "remote": ":material/cloud:",
    "starting": ":material/hourglass_top:",
    "down": ":material/error:",
    "idle": ":material/pause_circle:",
    "misconfigured": ":material/error:",
}


@st.cache_data(ttl=2.0, show_spinner=False)
def _status() -> ModelStatus:
    """Asked at most every two seconds per server (each page run draws the sidebar)."""
    return model_status()


def _draw(status: ModelStatus) -> None:
    if status.state in ("down", "misconfigured"):
        st.warning(f"{status.label}. {status.advice}", icon=ICONS[status.state])
        return
    st.caption(
        f"{ICONS[status.state]} {status.label}" + (f". {status.advice}" if status.advice else ""),
        help=status.detail or None,
    )


@st.fragment(run_every=POLL_S)
def _starting() -> None:
    status = _status()
    if status.state != "starting":
        st.rerun()  # ready (or down): the whole page draws it, without polling
    _draw(status)


def model_line() -> None:
    """The model's state in the sidebar; an injected model (tests, notebooks) is named as is."""
    runtime = signoff()
    if runtime.context.model is not None:
        st.caption(f"Model: {runtime.model_description()}")
        return
    status = _status()
    if status.state == "starting":
        _starting()
    else:
        _draw(status)
