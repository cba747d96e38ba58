"""The Scheduled page under AppTest: held actions with their countdown, Cancel and Send now, a
clear message when the scheduler got there first, and the server's own scheduler."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from policy_support import write_policy
from ui_support import BRIEF, keys, maildir, open_app, present, texts

from graphs.runtime import Signoff

SCHEDULED = "views/scheduled.py"


def approve_email(seeded: Signoff) -> tuple[str, dict[str, Any]]:
    """A campaign whose email is approved by ann: it waits out its hold window."""
    result = seeded.start(dict(BRIEF))
    email = next(p for p in result["pending"] if p["action"] == "send_email")
    seeded.decide(email["id"], {"type": "approve"}, by="ann")
    [hold] = [h for h in seeded.holds() if h["thread_id"] == result["thread_id"]]
    return result["thread_id"], hold


def test_nothing_scheduled(ui_home: Path) -> None:
    at = open_app(SCHEDULED)
    assert not at.exception
    assert "Nothing is scheduled" in texts(at)
    assert "Go to the Inbox" in [link.value for link in at.page_link]


def test_a_hold_shows_its_countdown_and_both_buttons(
    ui_home: Path, hold_policy: Path, seeded: Signoff
) -> None:
    thread, hold = approve_email(seeded)
    at = open_app(SCHEDULED)
    assert not at.exception
    assert present(at, f"hold-{hold['id']}")
    assert {f"cancel-{hold['id']}", f"send-now-{hold['id']}"} <= keys(at)
    [metric] = at.metric
    assert metric.label == "Goes out in"
    assert metric.value.startswith(("9 min", "10 min"))  # 600 s hold, a moment ago
    page = texts(at)
    assert hold["args"]["subject"] in page and "customers@example.com" in page
    assert "approved by ann" in " ".join(link.value for link in at.page_link)
    assert "1 approved action waiting to go out" in page
    assert "not sent on their own right now" in page  # this test's server releases nothing
    assert maildir(ui_home) == []


def test_cancel_means_it_never_goes_out(
    ui_home: Path, hold_policy: Path, seeded: Signoff, monkeypatch: pytest.MonkeyPatch
) -> None:
    thread, hold = approve_email(seeded)
    at = open_app(SCHEDULED)
    monkeypatch.setenv("SIGNOFF_USER", "bob")  # who runs the page (local mode)
    at.button(key=f"cancel-{hold['id']}").click().run()
    assert not at.exception
    assert "Cancelled — Send email will not go out." in at.success[0].value
    assert f"cancel-{hold['id']}" not in keys(at)
    assert "Nothing is scheduled" in texts(at)
    assert seeded.holds() == []
    [outcome] = [o for o in seeded.campaign(thread)["outcomes"] if o["name"] == "send_email"]
    assert outcome["status"] == "cancelled"
    [cancel] = seeded.activity(event="hold.cancel")
    assert cancel["actor"] == "bob"
    # Even when its release time comes, nothing goes out.
    assert seeded.tick(now=hold["release_at"] + 1)["released"] == []
    assert maildir(ui_home) == []


def test_send_now_sends_it_at_once(ui_home: Path, hold_policy: Path, seeded: Signoff) -> None:
    thread, hold = approve_email(seeded)
    at = open_app(SCHEDULED)
    at.button(key=f"send-now-{hold['id']}").click().run()
    assert not at.exception
    assert "Sent now — Send email went out. Delivered to the Maildir outbox." in (
        at.success[0].value
    )
    [message] = maildir(ui_home)
    assert message["Subject"] == hold["args"]["subject"]
    assert seeded.holds() == []
    assert seeded.tick(now=hold["release_at"] + 1)["released"] == []  # not sent twice
    assert len(maildir(ui_home)) == 1


def test_too_late_when_the_scheduler_released_it_first(
    ui_home: Path, hold_policy: Path, seeded: Signoff
) -> None:
    thread, hold = approve_email(seeded)
    at = open_app(SCHEDULED)  # the page shows the hold ...
    assert f"cancel-{hold['id']}" in keys(at)
    assert seeded.tick(now=hold["release_at"] + 1)["released"] == [hold["id"]]  # ... it goes
    assert len(maildir(ui_home)) == 1
    at.button(key=f"cancel-{hold['id']}").click().run()  # a click on the stale card
    assert not at.exception
    [warning] = at.warning
    assert warning.value.startswith("Too late to cancel Send email: the scheduler released it")
    assert "It has gone out. Nothing was changed." in warning.value
    assert len(maildir(ui_home)) == 1
    assert f"cancel-{hold['id']}" not in keys(at)


def test_two_holds_soonest_first(ui_home: Path, tmp_path: Path, monkeypatch: Any) -> None:
    path = write_policy(
        tmp_path / "p.yaml",
        send_email={"hold_seconds": 900},
        publish_post={"hold_seconds": 120},
    )
    monkeypatch.setenv("SIGNOFF_POLICY", str(path))
    from fakes import ScriptedChatModel

    with Signoff(ui_home, model=ScriptedChatModel()) as seeded:
        result = seeded.start(dict(BRIEF))
        seeded.decide_many({p["id"]: {"type": "approve"} for p in result["pending"]}, by="ann")
        holds = seeded.holds()
    assert len(holds) == 2
    at = open_app(SCHEDULED)
    assert not at.exception
    post, email = (m.value for m in at.metric)  # the soonest first
    assert post.startswith(("1 min", "2 min")) and email.startswith(("14 min", "15 min"))
    assert "2 approved actions waiting to go out" in texts(at)


@pytest.mark.timeout(120)
def test_the_server_releases_holds_itself(
    ui_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unless SIGNOFF_SCHEDULER=off, the app's server runs the scheduler, once per data dir."""
    from fakes import ScriptedChatModel

    import ui.state

    path = write_policy(tmp_path / "p.yaml", send_email={"hold_seconds": 1})
    monkeypatch.setenv("SIGNOFF_POLICY", str(path))
    with Signoff(ui_home, model=ScriptedChatModel()) as seeded:
        thread, hold = approve_email(seeded)
        time.sleep(1.5)  # due now, but nothing runs the scheduler in this test ...
        assert maildir(ui_home) == [] and seeded.holds() != []
        monkeypatch.setenv("SIGNOFF_SCHEDULER", "on")  # ... until the app's server starts
        at, again = open_app(SCHEDULED), open_app(SCHEDULED)
        assert not at.exception and not again.exception
        [details] = [c for c in at.sidebar.caption if "Server details" in c.value]
        assert "Scheduler: on" in details.help  # one hover away, not on the marketer's page
        runtime = ui.state.get_signoff(str(ui_home))
        assert runtime is ui.state.get_signoff(str(ui_home))  # one runtime per data dir
        deadline = time.monotonic() + 30
        while not maildir(ui_home):
            assert time.monotonic() < deadline, "the server's scheduler released nothing"
            time.sleep(0.2)
        time.sleep(1.0)
        assert len(maildir(ui_home)) == 1 and seeded.holds() == []
        [release] = seeded.activity(event="hold.release")
        assert release["actor"] == "scheduler"
    assert "signoff-scheduler" in {t.name for t in threading.enumerate()}
    ui.state.get_signoff.clear()  # stops that scheduler (on_release)
    assert "signoff-scheduler" not in {t.name for t in threading.enumerate()}


def test_the_campaign_page_shows_what_is_scheduled(
    ui_home: Path, hold_policy: Path, seeded: Signoff
) -> None:
    thread, hold = approve_email(seeded)
    at = open_app("views/campaign.py", thread=thread)
    assert not at.exception
    page = texts(at)
    assert "Scheduled to go out" in page and "approved by ann" in page
    assert "Cancel or send now" in [link.value for link in at.page_link]
    journey = at.get("graphviz_chart")[0].proto.spec
    assert "Scheduled\\nyou can still cancel" in journey  # the email's step in the picture
