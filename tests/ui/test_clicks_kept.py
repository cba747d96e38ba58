"""A click queued for the next run is kept until it is applied, even when Streamlit stops that run.

A button's callback queues its click; the run that follows applies it (ui/clicks.py). Streamlit
stops a run at its next `st.*` call when a newer click arrives and starts over. The pages used to
take the whole queue out of the session first: a run stopped before it applied a click lost it
(no decision recorded, the card stayed), and a run that applied the first of two clicks and
redrew the page (`st.rerun()`) dropped the second.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fakes import ScriptedChatModel
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException
from streamlit.runtime.scriptrunner_utils.script_requests import RerunData
from ui_support import BRIEF, PageWorker, open_app

import ui.views.inbox_decide as inbox_decide
from graphs.runtime import Signoff

INBOX = "views/inbox.py"


def _seed(home: Path, campaigns: int) -> list[str]:
    seeded = Signoff(home, model=ScriptedChatModel(), recover=False)
    try:
        for _ in range(campaigns):
            seeded.start({**BRIEF, "channels": ["email"]})
        return [i["id"] for i in seeded.pending()]
    finally:
        seeded.close()


def _still_waiting(home: Path) -> set[str]:
    s = Signoff(home, model=ScriptedChatModel(), recover=False)
    try:
        pending = {i["id"] for i in s.pending()}
    finally:
        s.close()
    return pending


def test_a_run_stopped_before_it_applied_a_click_leaves_it_to_the_next_run(
    ui_home: Path,
    page_worker: PageWorker,
    app_model: ScriptedChatModel,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = _seed(ui_home, 2)
    at = open_app(INBOX)
    assert not at.exception

    real_spinner = inbox_decide.st.spinner
    entered: list[str] = []

    @contextmanager
    def stopped_once(text: str, *args: Any, **kwargs: Any) -> Iterator[None]:
        entered.append(text)
        if len(entered) == 1:  # a newer click arrived: Streamlit stops the run here
            raise RerunException(RerunData())
        with real_spinner(text, *args, **kwargs):
            yield

    monkeypatch.setattr(inbox_decide.st, "spinner", stopped_once)
    at.button(key=f"approve-{first}").click().run()
    assert not at.exception
    assert len(entered) == 2, entered  # stopped once, applied by the run that followed
    waiting = _still_waiting(ui_home)
    assert first not in waiting and second in waiting, waiting
    assert not at.session_state["queued"]


def test_two_clicks_queued_for_one_run_are_both_applied(
    ui_home: Path, page_worker: PageWorker, app_model: ScriptedChatModel
) -> None:
    first, second = _seed(ui_home, 2)
    at = open_app(INBOX)
    assert not at.exception
    # both clicks reach the server before the run that applies them (a quick double action)
    at.button(key=f"approve-{first}").click()
    at.button(key=f"approve-{second}").click()
    at.run()
    assert not at.exception
    assert _still_waiting(ui_home) == set()
