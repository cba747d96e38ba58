"""An audience batch in a real browser: one group with its count and its template, its contacts a
page at a time, a random sample reviewed as cards (one rejected), then "Approve the rest" — one
submission — and a worker sends every other contact's email exactly once.

The batch is drafted by the scripted model in this process (drafting is not what this test is
about). Screenshots: test-artifacts/e2e-batch-*.png.
"""

from __future__ import annotations

import mailbox
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from e2e_support import EMAIL_BRIEF, STEP_TIMEOUT_MS, Server, alive, screenshot, serve, settled
from fakes import ScriptedChatModel
from playwright.sync_api import expect
from policy_support import write_policy

from graphs.runtime import Signoff

CONTACTS = [{"email": f"c{n}@example.com", "name": f"Contact{n} Lee"} for n in range(1, 61)]
BRIEF = EMAIL_BRIEF


@pytest.fixture(scope="module")
def batch_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("e2e-batch")
    policy = write_policy(root / "policy.yaml", send_email={"hold_seconds": 0})
    with serve(root / "signoff-home", SIGNOFF_POLICY=str(policy)) as s:
        yield s


def quiet(page: Any, home: Path, timeout_s: float = 120) -> None:
    """No run queued or running (the worker applied every decision so far), then the page's
    own redraw after the last one ended (it polls every second), then no script run."""
    deadline = time.monotonic() + timeout_s
    db = f"file:{home / 'signoff.db'}?mode=ro"
    while True:
        with closing(sqlite3.connect(db, uri=True)) as conn:
            (n,) = conn.execute(
                "SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')"
            ).fetchone()
        if not n:
            break
        assert time.monotonic() < deadline, f"{n} runs still open after {timeout_s:.0f} s"
        time.sleep(0.2)
    page.wait_for_timeout(2_500)
    settled(page)


def recipients(home: Path) -> list[str]:
    root = home / "maildir"
    if not root.exists():
        return []
    return sorted(str(m["To"]) for m in mailbox.Maildir(str(root), create=False))


@pytest.mark.e2e
@pytest.mark.timeout(600)
def test_a_batch_sampled_then_the_rest_approved(batch_server: Server, page: Any) -> None:
    try:
        sample_then_the_rest(batch_server, page)
    except BaseException:
        screenshot(page, "batch-failure")
        raise


def sample_then_the_rest(server: Server, page: Any) -> None:
    policy = server.home.parent / "policy.yaml"
    with Signoff(server.home, model=ScriptedChatModel(), recover=False, policy_path=policy) as s:
        thread = s.start(BRIEF, audience=CONTACTS)["thread_id"]
        assert len(s.graph.get_state(s._config(thread)).interrupts) == 1
    group = page.locator(f'[class*="st-key-batch-{thread[:8]}-audience"]')

    # 1. One group: its count, its template, the first page of its contacts.
    page.goto(server.url + "/inbox", wait_until="domcontentloaded")
    page.get_by_role("heading", name="Inbox", exact=True).wait_for(timeout=STEP_TIMEOUT_MS)
    expect(group).to_contain_text("Send email × 60", timeout=STEP_TIMEOUT_MS)
    expect(group).to_contain_text("Batch of 60")
    expect(group).to_contain_text("Drafts 1–25 of 60")
    rows = group.locator('[class*="st-key-row-"]')
    expect(rows).to_have_count(25, timeout=STEP_TIMEOUT_MS)
    # one compact line per contact (they were ~140 px cards with a preview each), and the
    # open contact's draft beside the list, not below it
    heights = [rows.nth(n).bounding_box()["height"] for n in range(3)]  # type: ignore[index]
    assert max(heights) <= 56, heights
    opened = group.locator('[class*="st-key-batch-open-item-"]')
    expect(opened).to_have_count(1)
    assert opened.bounding_box()["x"] > rows.first.bounding_box()["x"] + 200  # type: ignore[index]
    assert opened.bounding_box()["y"] < rows.nth(5).bounding_box()["y"]  # type: ignore[index]
    expect(group).to_contain_text("The template")
    group.get_by_role("button", name="Next").click()
    expect(group).to_contain_text("Drafts 26–50 of 60", timeout=STEP_TIMEOUT_MS)
    expect(group).to_contain_text("c26@example.com")
    alive(page, server)
    screenshot(page, "batch-1-group")

    # 2. A random sample of three, each as a full card; reject one of them.
    group.get_by_role("button", name="Review a sample of 3").click()
    cards = group.locator('[class*="st-key-card-"]')
    expect(cards).to_have_count(3, timeout=STEP_TIMEOUT_MS)
    first = cards.first
    rejected = next(c["email"] for c in CONTACTS if c["email"] in first.inner_text())
    first.get_by_role("button", name="Reject").click()
    first.locator('[class*="st-key-reject-reason-"]').click()  # no reason is preselected
    page.get_by_role("option", name="Off-brand").click()
    first.locator('[class*="st-key-reject-confirm-"] button').click()
    expect(cards).to_have_count(2, timeout=STEP_TIMEOUT_MS)
    screenshot(page, "batch-2-sample")

    # 3. "Approve the rest": one submission for the 57 not in the sample.
    group.get_by_role("button", name="Approve the rest (57)").click()
    expect(cards).to_have_count(2, timeout=STEP_TIMEOUT_MS)
    assert recipients(server.home) == []  # two sample drafts are still undecided
    ids = [
        re.search(r"st-key-card-(\S+)", str(cards.nth(n).get_attribute("class"))).group(1)  # type: ignore[union-attr]
        for n in range(2)
    ]
    for item_id in ids:  # each card by its own id: a re-render may reorder or keep stale ones
        card = page.locator(f".st-key-card-{item_id}")  # the whole class: -3 is in -33 too
        # Click only once the page is quiet: the worker has applied what was decided before
        # and the page (which looks for ended runs every second and then redraws itself) has
        # redrawn. A click that lands in that self-refresh was lost once in CI (no decision,
        # the card stayed); one that lands mid-redraw can hit the previous card's buttons,
        # which a card that moved up keeps until its own arrive ("Already decided", once).
        quiet(page, server.home)
        # the button by its own key (a button and its key come in one piece)
        page.locator(f".st-key-approve-{item_id} button").first.click()
        expect(card).to_have_count(0, timeout=STEP_TIMEOUT_MS)
    deadline = time.monotonic() + 180
    while len(recipients(server.home)) < len(CONTACTS) - 1:
        assert time.monotonic() < deadline, f"only {len(recipients(server.home))} sent"
        time.sleep(0.5)
    time.sleep(2)
    sent = recipients(server.home)
    assert sent == sorted(c["email"] for c in CONTACTS if c["email"] != rejected)  # once each
    alive(page, server)
    screenshot(page, "batch-3-sent")
    with Signoff(server.home, model=ScriptedChatModel(), recover=False, policy_path=policy) as s:
        decisions = s.store.decisions(thread)
        assert len(decisions) == 4  # one rejection, the batch's one decision, two approvals
        assert s.pending() == []
