"""Cancel a held email during its countdown, in a real browser, and prove it never went out.

The server runs its own scheduler (as in production). Two campaigns are drafted by the scripted
model in this process (drafting is not what this test is about); one email is approved in the
browser and cancelled on the Scheduled page while its countdown runs; the other, approved at the
same time and left alone, is the control: the server's scheduler releases it into the Maildir,
so the scheduler was running and would have sent the cancelled one too.
Screenshots: test-artifacts/e2e-hold-*.png.
"""

from __future__ import annotations

import mailbox
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import EMAIL_BRIEF, STEP_TIMEOUT_MS, Server, alive, screenshot, serve
from fakes import ScriptedChatModel
from playwright.sync_api import expect
from policy_support import write_policy

from graphs.runtime import Signoff

HOLD_SECONDS = 45
BRIEF = EMAIL_BRIEF
CANCELLED = "cancel-me@example.com"
CONTROL = "keep@example.com"


@pytest.fixture(scope="module")
def hold_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("e2e-hold")
    policy = write_policy(root / "policy.yaml", send_email={"hold_seconds": HOLD_SECONDS})
    with serve(root / "signoff-home", SIGNOFF_POLICY=str(policy), SIGNOFF_SCHEDULER="on") as s:
        yield s


def recipients(home: Path) -> list[str]:
    root = home / "maildir"
    if not root.exists():
        return []
    return sorted(str(m["To"]) for m in mailbox.Maildir(str(root), create=False))


def runtime(server: Server) -> Signoff:
    """This process's view of the same data directory and policy: no scheduler of its own."""
    policy = server.home.parent / "policy.yaml"  # the server's (see hold_server)
    return Signoff(server.home, model=ScriptedChatModel(), recover=False, policy_path=policy)


def held_from(server: Server, thread_id: str) -> dict[str, Any]:
    """The campaign's hold: the page says "is scheduled" when the approval is recorded; the
    worker's run that follows puts the email on hold a moment later."""
    deadline = time.monotonic() + STEP_TIMEOUT_MS / 1000
    with runtime(server) as s:
        while not (holds := [h for h in s.holds() if h["thread_id"] == thread_id]):
            assert time.monotonic() < deadline, "the approved email never reached its hold"
            time.sleep(0.2)
    [hold] = holds
    return hold


@pytest.mark.e2e
@pytest.mark.timeout(600)
def test_cancel_a_held_email_during_its_countdown(hold_server: Server, page: Any) -> None:
    try:
        cancel_during_countdown(hold_server, page)
    except BaseException:
        screenshot(page, "hold-failure")
        raise


def cancel_during_countdown(server: Server, page: Any) -> None:
    # Two campaigns, one email each, waiting in the Inbox.
    with runtime(server) as s:
        cancelled = s.start({**BRIEF, "to": CANCELLED})
        control = s.start({**BRIEF, "to": CONTROL})
        [to_cancel] = cancelled["pending"]
        [to_keep] = control["pending"]
        s.decide(to_keep["id"], {"type": "approve"}, by="control")  # held from now on

    # 1. Approve the first email in the browser: it is scheduled, not sent.
    page.goto(server.url + "/inbox", wait_until="domcontentloaded")
    page.get_by_role("heading", name="Inbox", exact=True).wait_for(timeout=STEP_TIMEOUT_MS)
    card = page.locator(f'[class*="st-key-card-{to_cancel["id"]}"]')
    expect(card).to_contain_text(CANCELLED, timeout=STEP_TIMEOUT_MS)
    card.get_by_role("button", name="Approve").click()
    # said once: the worker's report replaces the recorded message (strict: two would fail)
    page.get_by_text("is scheduled: it goes out in").wait_for(timeout=STEP_TIMEOUT_MS)
    alive(page, server)
    hold = held_from(server, cancelled["thread_id"])  # once the worker has run the approval
    assert recipients(server.home) == []
    screenshot(page, "hold-1-approved")

    # 2. The Scheduled page (same session: the reviewer's name stays): its countdown runs live.
    page.locator('[data-testid="stSidebarNavLink"]').filter(has_text="Scheduled").click()
    held = page.locator(f'[class*="st-key-hold-{hold["id"]}"]')
    expect(held).to_contain_text(CANCELLED, timeout=STEP_TIMEOUT_MS)
    expect(held).to_contain_text("Goes out in", timeout=STEP_TIMEOUT_MS)
    countdown = held.locator('[data-testid="stMetricValue"]')
    first = countdown.inner_text()
    assert re.fullmatch(r"\d+ s", first), first
    page.wait_for_timeout(2500)
    second = countdown.inner_text()
    assert int(second.split()[0]) < int(first.split()[0]), (first, second)
    assert time.time() < hold["release_at"] - 5, "too slow: the hold is about to be released"
    alive(page, server)
    screenshot(page, "hold-2-countdown")

    # 3. Cancel it while the countdown runs.
    held.get_by_role("button", name="Cancel").click()
    page.get_by_text("Cancelled — Send email will not go out.").wait_for(timeout=STEP_TIMEOUT_MS)
    expect(held).to_have_count(0, timeout=STEP_TIMEOUT_MS)
    alive(page, server)
    screenshot(page, "hold-3-cancelled")

    # 4. The control email is released by the server's scheduler, and the page drops it live.
    kept = page.locator('[class*="st-key-hold-"]').filter(has_text=CONTROL)
    deadline = time.monotonic() + HOLD_SECONDS + 60
    while CONTROL not in recipients(server.home):
        assert time.monotonic() < deadline, "the server's scheduler did not release the control"
        time.sleep(0.5)
    expect(kept).to_have_count(0, timeout=STEP_TIMEOUT_MS)
    expect(page.get_by_text("Nothing is scheduled")).to_be_visible(timeout=STEP_TIMEOUT_MS)

    # 5. Past the cancelled email's release time the Maildir holds the control only.
    time.sleep(max(0.0, hold["release_at"] + 5 - time.time()))
    assert recipients(server.home) == [CONTROL]
    with runtime(server) as s:
        [approval] = s.activity(event="decision.recorded", thread_id=cancelled["thread_id"])
        assert approval["actor"] == "e2e reviewer"
        [cancel] = s.activity(event="hold.cancel")
        assert cancel["actor"] == "e2e reviewer" and cancel["thread_id"] == cancelled["thread_id"]
        [release] = s.activity(event="hold.release")
        assert release["actor"] == "scheduler" and release["thread_id"] == control["thread_id"]
        [outcome] = s.campaign(cancelled["thread_id"])["outcomes"]
        assert outcome["status"] == "cancelled"
    screenshot(page, "hold-4-after-release")
