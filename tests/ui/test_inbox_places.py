"""The Inbox's drafts keep their places in the page while what is above them comes and goes.

Streamlit places each element by its position among its siblings. When a run ends the page
redraws itself (ui/progress.py); had a message or the runs' progress panel above the drafts come
or gone then, every draft would have moved a place, and the browser replaces the buttons of an
element that moves: a press on Approve during that redraw made no click at all (lost, CI twice;
the browser test is tests/e2e/test_click_during_redraw.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fakes import ScriptedChatModel
from ui_support import BRIEF, PageWorker, open_app, texts

from graphs.runtime import Signoff

INBOX = "views/inbox.py"


def place(node: Any, key: str, path: tuple[int, ...] = ()) -> tuple[int, ...] | None:
    """Where the element with this key sits: its position among its siblings, from the top."""
    for n, child in getattr(node, "children", {}).items():
        here = (*path, n)
        if getattr(child, "key", None) == key:
            return here
        found = place(child, key, here)
        if found is not None:
            return found
    return None


def test_a_draft_keeps_its_place_when_a_run_and_its_messages_come_and_go(
    ui_home: Path, page_worker: PageWorker, app_model: ScriptedChatModel
) -> None:
    seeded = Signoff(ui_home, model=ScriptedChatModel(), recover=False)
    try:
        for _ in range(2):
            seeded.start({**BRIEF, "channels": ["email"]})
        first, second = (i["id"] for i in seeded.pending())
    finally:
        seeded.close()
    page_worker.enabled = False  # a decision's run waits: its panel shows above the drafts
    at = open_app(INBOX)
    assert not at.exception
    quiet = place(at.main, f"approve-{first}")
    assert quiet is not None

    at.button(key=f"approve-{second}").click().run()  # a message, and a run that waits
    assert not at.exception
    assert "goes out in a moment" in texts(at)
    assert place(at.main, f"approve-{first}") == quiet

    page_worker.enabled = True  # the run ends: the page redraws itself with its report
    at.run()
    assert not at.exception
    assert page_worker.ran
    assert place(at.main, f"approve-{first}") == quiet
