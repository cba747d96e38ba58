"""Clicks a button's callback queued in the session, applied by the page's next script run.

A callback only queues its click (`st.session_state[key]`, a list); the run that follows applies
it, with a spinner and messages. Streamlit stops a script run at its next `st.*` call when a
newer click arrives (a `ScriptControlException`) and starts over. A queue taken out of the
session whole before its clicks were applied lost what it held then: the person's click did
nothing at all. So a click leaves its queue only once the runtime has it (`done`) or the block
applying it ended (`applying`); a run stopped before that leaves it for the next run. A click
applied twice that way is refused by the runtime the second time (the first decision wins), so
the worst a stopped run can cause is a repeated "already decided" message, never a lost click.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException


def waiting(key: str) -> list[Any]:
    """The clicks queued under `key`, oldest first (a copy: `done` removes from the queue)."""
    return list(st.session_state.get(key) or [])


def done(key: str, click: Any) -> None:
    """`click` was applied (or refused): it leaves the queue. Safe to call twice."""
    queue = st.session_state.get(key)
    if not queue:
        return
    for n, queued in enumerate(queue):
        if queued is click:
            del queue[n]
            return


@contextmanager
def applying(key: str, click: Any) -> Iterator[None]:
    """Apply `click` in the block: it leaves the queue when the block ends, however it ends,
    except when Streamlit stopped the run for a newer click: then the next run applies it."""
    try:
        yield
    except ScriptControlException:
        raise
    except BaseException:
        done(key, click)
        raise
    done(key, click)
