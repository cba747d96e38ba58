"""The progress panel speaks a marketer's language and says what is going on now.

From a new user's walk: "like_post: executed" (an action's key), a check mark in the header of
a run still working ("✓ Researching and drafting… 5 min 37 s"), "Drafting the social post…"
still there after the post was drafted, and "Drafting the email, each on its own" for one email.
"""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest

from ui.progress import RUNNING_ICON, _lines


def line(step: str, message: str, elapsed: float = 0.0) -> dict[str, Any]:
    return {"step": step, "message": message, "elapsed": elapsed}


def running(*lines: dict[str, Any], elapsed: float = 337.0) -> dict[str, Any]:
    return {"kind": "start", "status": "running", "elapsed": elapsed, "lines": list(lines)}


def words(progress: dict[str, Any]) -> list[str]:
    """The lines without their icons."""
    return [text.split(" ", 1)[1].replace("\\", "") for text in _lines(progress)]


def test_actions_that_ran_are_named_as_on_their_cards() -> None:
    shown = words(
        running(
            line("publisher", "like_post: executed"),
            line("publisher", "follow_account: executed"),
            line("publisher", "repost_post: failed"),
        )
    )
    assert shown == [
        "Like a post: done",
        "Follow an account: done",
        "Repost a post: it failed; see the Inbox",
    ]
    assert not any("_" in s for s in shown)


def test_a_drafted_draft_loses_its_drafting_line() -> None:
    shown = words(
        running(
            line("researcher", "Found 6 passages of evidence in the knowledge base"),
            line("writer", "Drafting the social post and the email, each on its own", 1),
            line("writer", "Drafting the social post… (0 s)", 1),
            line("writer", "Drafting the email… (0 s)", 1),
            line("writer", "Drafted the social post in 88 s (checked once by the AI reviewer)", 89),
        )
    )
    assert shown == [
        "Found 6 passages of evidence in the knowledge base",
        "Drafting the social post and the email, each on its own",
        "Drafting the email… 5 min 36 s so far",
        "Drafted the social post in 88 s (checked once by the AI reviewer)",
    ]


def test_one_draft_is_not_drafted_each_on_its_own() -> None:
    shown = words(
        running(
            line("writer", "Drafting the email, each on its own", 1),
            line("writer", "Drafting the email… (0 s)", 1),
        )
    )
    assert shown == ["Drafting the email… 5 min 36 s so far"]
    assert not any("each on its own" in s for s in shown)


def _panel(status: str) -> None:
    from ui.progress import draw

    draw(
        {"kind": "start", "status": status, "elapsed": 337.0, "ahead": 0, "lines": []},
        workers=1,
    )


def test_a_run_still_working_shows_no_check_mark() -> None:
    # st.status(state="running") shows a check mark once the script run is over (the panel
    # is drawn, then polled): a box with a "working" icon of its own instead.
    at = AppTest.from_function(_panel, args=("running",), default_timeout=30).run()
    assert not at.exception
    [box] = at.expander
    assert box.label == "Researching and drafting… 5 min 37 s"
    assert box.icon == RUNNING_ICON
    assert not at.status
    done = AppTest.from_function(_panel, args=("done",), default_timeout=30).run()
    [status] = done.status
    assert status.state == "complete" and status.label.endswith("done in 5 min 37 s")
