"""What the page says about a queued run is said once: the message of the click ("Approved —
… is scheduled", recorded) is replaced by the message of the worker's run, never shown beside it.

The race that showed both: a worker (another process) runs the job between the click and the
page's redraw, so the recorded message and the run's report both wait to be shown on one page
run. Here the test's worker runs each job as soon as the page has queued it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from test_scheduled import approve_email
from ui_support import BRIEF, PageWorker, open_app

from graphs.runtime import Signoff

INBOX = "views/inbox.py"
SCHEDULED = "views/scheduled.py"


def alerts(at: Any) -> list[str]:
    return [str(a.value) for kind in ("success", "info", "warning", "error") for a in at.get(kind)]


@pytest.fixture
def fast_worker(monkeypatch: pytest.MonkeyPatch, page_worker: PageWorker) -> Iterator[None]:
    """Every run the page queues is run by the worker before the page redraws."""
    busy = False

    def right_away(name: str) -> None:
        real: Callable[..., Any] = getattr(Signoff, name)

        def call(self: Signoff, *args: Any, **kwargs: Any) -> Any:
            nonlocal busy
            result = real(self, *args, **kwargs)
            if not busy:
                busy = True
                try:
                    page_worker.drain()
                finally:
                    busy = False
            return result

        monkeypatch.setattr(Signoff, name, call)

    for name in ("decide_many", "cancel", "send_now"):
        right_away(name)
    yield


def test_approving_a_held_send_says_scheduled_once(
    ui_home: Path, hold_policy: Path, seeded: Signoff, fast_worker: None
) -> None:
    result = seeded.start(dict(BRIEF))
    email = next(p for p in result["pending"] if p["action"] == "send_email")
    at = open_app(INBOX)
    at.button(key=f"approve-{email['id']}").click().run()
    assert not at.exception
    said = [m for m in alerts(at) if "is scheduled: it goes out in" in m]
    assert len(said) == 1, said
    assert said[0].startswith("Approved — Email «")  # in its receipt: the email, by its subject
    assert len(seeded.holds()) == 1
    at.run()  # a later redraw does not say it again: its receipt, in the card's place, keeps
    assert len([m for m in alerts(at) if "is scheduled" in m]) == 1  # the one message


def test_cancelling_says_cancelled_once(
    ui_home: Path, hold_policy: Path, seeded: Signoff, fast_worker: None
) -> None:
    thread, hold = approve_email(seeded)
    at = open_app(SCHEDULED)
    at.button(key=f"cancel-{hold['id']}").click().run()
    assert not at.exception
    said = [m for m in alerts(at) if "Cancelled — Send email will not go out." in m]
    assert len(said) == 1, alerts(at)
    assert seeded.holds() == []


def test_a_slow_run_replaces_the_recorded_message(
    ui_home: Path, hold_policy: Path, seeded: Signoff, page_worker: PageWorker
) -> None:
    """The usual case: the click's message shows first, the run's replaces it when it ends."""
    thread, hold = approve_email(seeded)
    at = open_app(SCHEDULED)
    page_worker.enabled = False  # the worker is busy elsewhere
    at.button(key=f"send-now-{hold['id']}").click().run()
    assert not at.exception
    assert [m for m in alerts(at) if "Sending now — Send email goes out in a moment." in m]
    page_worker.enabled = True
    at.run()
    assert not at.exception
    now = alerts(at)
    assert [m for m in now if m.startswith("Sent now — Send email went out.")], now
    assert not [m for m in now if "Sending now" in m], now


def _draw_run(status: str) -> Any:
    from streamlit.testing.v1 import AppTest

    def page(status: str) -> None:
        from graphs.humanize import ai_review
        from ui.progress import draw

        draw(
            {
                "kind": "start",
                "status": status,
                "elapsed": 200.0,
                "ahead": 0,
                "lines": [
                    {"step": "researcher", "message": "Found 6 passages", "elapsed": 0.4},
                    {"step": "writer", "message": "Drafting the email… (0 s)", "elapsed": 0.6},
                    {
                        "step": "writer",
                        "message": "Drafting the social post… (0 s)",
                        "elapsed": 0.7,
                    },
                    {
                        "step": "writer",
                        "message": "Drafted the social post in 196 s (" + ai_review(3, 1) + ")",
                        "elapsed": 196.0,
                    },
                ],
            },
            workers=1,
        )

    at = AppTest.from_function(page, args=(status,), default_timeout=30)
    return at.run()


def test_a_draft_being_written_says_how_long_so_far(ui_home: Path) -> None:
    """The writer's "Drafting the email… (0 s)" line never moves; for minutes on a busy machine
    the page said "0 s" beside it. It now counts on the run's clock until the draft is done."""
    at = _draw_run("running")
    assert not at.exception
    lines = [m.value.replace("\\", "") for m in at.markdown]
    email = next(line for line in lines if "Drafting the email" in line)
    assert email.endswith("Drafting the email… 3 min 19 s so far"), email
    assert "(0 s)" not in email
    # its "Drafted" line came: the "Drafting" line has gone (it read as still drafting)
    assert not any("Drafting the social post" in line for line in lines), lines
    assert any("Drafted the social post in 196 s" in line for line in lines)
    # the writer's count, in words (the writer says it so): no "rounds", no "issue(s)"
    assert any(
        "(checked 3 times by the AI reviewer; 1 point left for you to check)" in line
        for line in lines
    ), lines


def test_a_finished_run_says_no_so_far(ui_home: Path) -> None:
    at = _draw_run("done")
    assert not at.exception
    lines = [m.value.replace("\\", "") for m in at.markdown]
    assert not [line for line in lines if "so far" in line or "(0 s)" in line], lines


def test_an_audience_review_line_is_said_once_with_its_count(ui_home: Path) -> None:
    """An audience of 20 wrote "Waiting for your decision: Send email" 20 times, and the last 12
    lines the panel shows were all that line (what was drafted scrolled away)."""
    from streamlit.testing.v1 import AppTest

    def page() -> None:
        from ui.progress import draw

        waiting = {"step": "gate", "message": "Waiting for your decision: Send email (high risk)"}
        draw(
            {
                "kind": "start",
                "status": "running",
                "elapsed": 200.0,
                "ahead": 0,
                "lines": [
                    {"step": "researcher", "message": "Found 6 passages", "elapsed": 0.4},
                    {"step": "writer", "message": "Drafting the email… (0 s)", "elapsed": 0.6},
                    {"step": "writer", "message": "Drafted the email in 190 s", "elapsed": 190.0},
                    *[{**waiting, "elapsed": 194.0} for _ in range(20)],
                ],
            },
            workers=1,
        )

    at = AppTest.from_function(page, default_timeout=30).run()
    assert not at.exception
    lines = [m.value.replace("\\", "") for m in at.markdown]
    assert len(lines) == 3, lines  # "Drafting the email…" went when "Drafted the email" came
    assert lines[-1].endswith("Waiting for your decision: Send email (high risk) (20 times)")
    assert any("Drafted the email in 190 s" in line for line in lines)
