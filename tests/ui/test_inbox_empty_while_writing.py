"""An empty Inbox while a run is still writing says so: a send-back's redraft took ~54 s in a
walk-through, and the page said "Start a campaign and the drafts will appear" meanwhile."""

from __future__ import annotations

from pathlib import Path

from fakes import ScriptedChatModel
from ui_support import BRIEF, PageWorker, open_app, texts

from graphs.runtime import Signoff

INBOX = "views/inbox.py"


def test_an_empty_inbox_says_a_run_is_still_writing(
    ui_home: Path, page_worker: PageWorker, app_model: ScriptedChatModel
) -> None:
    page_worker.enabled = False  # the worker has not picked the campaign up yet
    queued = Signoff(ui_home, recover=False, queued=True)
    try:
        queued.start(dict(BRIEF))
    finally:
        queued.close()
    at = open_app(INBOX)
    assert not at.exception
    page = texts(at)
    assert "Nothing is waiting for you yet" in page and "still at work" in page
    assert "Start a campaign and the drafts" not in page

    page_worker.enabled = True  # the run ends: the drafts are there, the notice is gone
    at.run()
    assert not at.exception
    assert page_worker.ran and "still at work" not in texts(at)


def test_an_empty_inbox_with_nothing_running_invites_a_campaign(ui_home: Path) -> None:
    at = open_app(INBOX)
    assert not at.exception
    page = texts(at)
    assert "Start a campaign and the drafts will appear" in page and "still at work" not in page
