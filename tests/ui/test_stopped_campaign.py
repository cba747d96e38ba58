"""A campaign whose run stopped (the model timed out) is said in the Inbox, in a marketer's
words (what happened, that nothing is lost, what to do), with Retry right there; the sidebar's
Inbox count includes it. Before, the Inbox said "Nothing is waiting for you"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fakes import ScriptedChatModel
from ui_support import BRIEF, keys, open_app, texts

from graphs.errors import RunStopped
from graphs.runtime import Signoff

INBOX = "views/inbox.py"


def _stop(seeded: Signoff) -> str:
    """A campaign whose every draft timed out: nothing is waiting, the campaign stopped."""

    def timed_out(schema: Any, prompt: str) -> dict[str, Any]:
        raise TimeoutError("Request timed out.")

    seeded.context.model = ScriptedChatModel(script=[timed_out] * 2)  # the email's and the post's
    with pytest.raises(RunStopped):
        seeded.start(dict(BRIEF))
    [campaign] = seeded.campaigns()
    assert campaign["status"] == "error"
    assert seeded.counts()["pending"] == 0
    return str(campaign["thread_id"])


def _page_titles(at: Any) -> set[str]:
    return {str(info.get("page_name")) for info in at._registered_pages.values()}


def test_a_stopped_campaign_is_said_in_the_inbox_with_retry(
    ui_home: Path, seeded: Signoff, app_model: ScriptedChatModel
) -> None:
    thread = _stop(seeded)
    at = open_app(INBOX)
    assert not at.exception
    said = texts(at)
    assert "Nothing is waiting for you" not in said
    assert "Brightloop 2 smart thermostat stopped part-way" in said
    assert "The writing model took too long to answer" in said  # what happened
    assert "Nothing is lost" in said  # that nothing is lost
    assert "Retry in a moment" in said  # what to do
    assert "TimeoutError" not in said  # the exception stays in the tooltip
    assert any("TimeoutError" in str(c.proto.help) for c in at.caption)
    assert "Inbox (1)" in _page_titles(at)  # the sidebar counts it
    assert f"retry-stopped-{thread}" in keys(at)

    at.button(key=f"retry-stopped-{thread}").click().run()  # a worker carries it on
    assert not at.exception
    assert {p["action"] for p in seeded.pending(thread)} == {"send_email", "publish_post"}
    assert f"retry-stopped-{thread}" not in keys(at)
    assert "stopped part-way" not in texts(at)
    assert "Inbox (2)" in _page_titles(at)  # its two drafts, and nothing stopped


def test_a_campaign_being_retried_is_not_said_twice(ui_home: Path, seeded: Signoff) -> None:
    thread = _stop(seeded)
    assert [c["thread_id"] for c in seeded.stopped()] == [thread]
    seeded.enqueue_run("retry", thread)  # queued, no worker yet: its progress shows instead
    assert seeded.stopped() == []
    assert seeded.counts()["stopped"] == 1  # still stopped until a worker carries it on


def test_the_campaign_page_says_a_cancelled_send_in_words(
    ui_home: Path, hold_policy: Path, seeded: Signoff
) -> None:
    """The decisions of a hold (cancel, release, send now) were shown as their raw types
    ("cancel", "release", by "scheduler"), and the journey's review box said "cancel by ann"."""
    result = seeded.start(dict(BRIEF))
    email = next(p for p in result["pending"] if p["action"] == "send_email")
    seeded.decide(email["id"], {"type": "approve"}, by="ann")
    [hold] = seeded.holds()
    seeded.cancel(hold["id"], by="ann", reason="Wrong week")
    at = open_app("views/campaign.py", thread=result["thread_id"])
    assert not at.exception
    decisions = at.table[0].value
    assert list(decisions["Decision"]) == ["Approved", "Cancelled before it went out"]
    assert list(decisions["Details"])[-1] == "Wrong week"
    journey = at.get("graphviz_chart")[0].proto.spec
    assert "Approved\\nby ann" in journey and "cancel" not in journey
