"""Clicks a button's callback queued in the session, applied by the page's next script run.

A callback only queues its click (`st.session_state[key]`, a list); the run that follows applies
it, with a spinner and messages. Streamlit stops a script run at its next `st.*` call when a
newer click arrives (a `ScriptControlException`) and starts over. A queue taken out of the
session whole before its clicks were applied lost what it held then: the person's click did
nothing at all. So a click leaves its queue only once the runtime has it (`done`) or its
`apply` ended (`apply_each`); a run stopped before that leaves it for the next run. A click
applied twice that way is refused by the runtime the second time (the first decision wins), so
the worst a stopped run can cause is a repeated "already decided" message, never a lost click.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException


def queue(key: str, click: Any) -> None:
    """A button's callback: `click` waits under `key` for the next run to apply it."""
    st.session_state.setdefault(key, []).append(click)


def apply_each(key: str, apply: Callable[[Any], None]) -> bool:
    """Apply each click queued under `key`, oldest first, with `apply`; True if there were any.
    A click leaves the queue when its `apply` ended, however it ended (or earlier, at `done`),
    except when Streamlit stopped the run for a newer click: then the next run applies it."""
    queued = list(st.session_state.get(key) or [])
    for click in queued:
        try:
            apply(click)
        except ScriptControlException:
            raise
        except BaseException:
            done(key, click)
            raise
        done(key, click)
    return bool(queued)


def done(key: str, click: Any) -> None:
    """`click` was applied (or refused): it leaves the queue. Safe to call twice; `apply` calls
    it right after the runtime took the click, before the next `st.*` call could stop the run."""
    clicks = st.session_state.get(key)
    if not clicks:
        return
    for n, queued in enumerate(clicks):
        if queued is click:
            del clicks[n]
            return
