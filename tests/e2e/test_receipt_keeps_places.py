"""Approving a card does not move the next card's Approve button, in a real browser.

A decided card used to vanish on the next redraw, and every card below moved up by a card's
height: a reviewer whose pointer rested where the next card's Approve button was approved a
different draft with the next click. Now the card leaves a receipt in its place, at the card's
height, and nothing above the list comes or goes for it (the page's message and the run's
progress are in the receipt). Here: three held emails; the first is approved; the second card's
Approve button is watched on every frame while the page records the approval, redraws, runs
the approval in a worker and redraws again; then Cancel on the receipt stops the held send.
Screenshots: test-artifacts/e2e-receipt-*.png.
"""

from __future__ import annotations

import mailbox
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from e2e_support import (
    EMAIL_BRIEF,
    STEP_TIMEOUT_MS,
    Server,
    alive,
    screenshot,
    serve,
    settled,
)
from fakes import ScriptedChatModel
from playwright.sync_api import expect
from policy_support import write_policy

from graphs.runtime import Signoff

CARDS = 3
HOLD_SECONDS = 3600  # held for the whole test: only Cancel can end it
# Layout is in CSS pixels from the same rem-based sizes before and after; a redraw that keeps
# every element's height lands the button on the same pixel. One pixel covers rounding of
# fractional heights (e.g. a caption's 0.875 rem line); a moved card moves by hundreds.
TOLERANCE_PX = 1.0


def serve_cards(root: Path, hold_seconds: int) -> Iterator[Server]:
    """CARDS email drafts, one each to its own address, served with emails held
    `hold_seconds` and no scheduler."""
    policy = write_policy(root / "policy.yaml", send_email={"hold_seconds": hold_seconds})
    home = root / "signoff-home"
    with Signoff(home, model=ScriptedChatModel(), recover=False, policy_path=policy) as s:
        for n in range(CARDS):
            s.start({**EMAIL_BRIEF, "to": f"contact{n}@example.com"})
    with serve(home, SIGNOFF_POLICY=str(policy), SIGNOFF_SCHEDULER="off") as server:
        yield server


def facade(server: Server) -> Signoff:
    """The runtime over the served data directory and its policy (another reviewer, a check)."""
    return Signoff(
        server.home,
        model=ScriptedChatModel(),
        recover=False,
        policy_path=server.home.parent / "policy.yaml",
    )


@pytest.fixture(scope="module")
def held_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from serve_cards(tmp_path_factory.mktemp("e2e-receipt"), HOLD_SECONDS)


def ids_on(page: Any) -> list[str]:
    buttons = page.locator('[class*="st-key-approve-"]')
    found = []
    for n in range(buttons.count()):
        cls = str(buttons.nth(n).get_attribute("class"))
        found += [c[len("st-key-approve-") :] for c in cls.split() if c.startswith("st-key-")]
    return found


WATCH = r"""(selector) => {
    const seen = window.__seen = {min: Infinity, max: -Infinity, frames: 0, missing: 0};
    const step = () => {
        const el = document.querySelector(selector);
        if (el) {
            const y = el.getBoundingClientRect().top;
            seen.min = Math.min(seen.min, y); seen.max = Math.max(seen.max, y); seen.frames++;
        } else { seen.missing++; }
        if (!window.__stop) requestAnimationFrame(step);
    };
    window.__stop = false;
    requestAnimationFrame(step);
}"""


def rows(home: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(f"file:{home / 'signoff.db'}?mode=ro", uri=True)) as conn:
        return list(conn.execute(sql, args).fetchall())


def sent(home: Path) -> list[str]:
    root = home / "maildir"
    if not root.exists():
        return []
    return [str(m["To"]) for m in mailbox.Maildir(str(root), create=False)]


@pytest.mark.e2e
@pytest.mark.timeout(400)
def test_approving_a_card_leaves_the_next_cards_button_where_it_was(
    held_server: Server, page: Any
) -> None:
    server = held_server
    try:
        approve_then_cancel(server, page)
    except BaseException:
        screenshot(page, "receipt-failure")
        raise


def approve_then_cancel(server: Server, page: Any) -> None:
    # Tall enough for the three cards (each ~870 px): the browser never scrolls, so a button's
    # place in the window is its place on the page.
    page.set_viewport_size({"width": 1400, "height": 3000})
    page.goto(server.url + "/inbox", wait_until="domcontentloaded")
    expect(page.locator('[class*="st-key-approve-"]')).to_have_count(CARDS, timeout=STEP_TIMEOUT_MS)
    settled(page)
    first, second, *_ = ids_on(page)
    target = f".st-key-approve-{second} button"
    before = page.locator(target).first.bounding_box()
    assert before is not None
    screenshot(page, "receipt-1-before")

    # Watch the second card's Approve button on every frame from the click until the
    # approval has been run by the worker and the receipt says what became of it.
    page.evaluate(WATCH, target)
    page.locator(f".st-key-approve-{first} button").first.click()
    receipt = page.locator(f".st-key-receipt-card-{first}")
    expect(receipt).to_contain_text("Approved", timeout=STEP_TIMEOUT_MS)
    expect(receipt).to_contain_text("by e2e reviewer", timeout=STEP_TIMEOUT_MS)
    expect(receipt).to_contain_text("sends at", timeout=STEP_TIMEOUT_MS)  # the worker held it
    settled(page)
    page.wait_for_timeout(500)  # a few more frames after the last redraw
    seen = page.evaluate("() => { window.__stop = true; return window.__seen; }")
    after = page.locator(target).first.bounding_box()
    assert after is not None
    moved = max(abs(seen["max"] - before["y"]), abs(seen["min"] - before["y"]))
    print(
        f"second card's Approve button: y {before['y']:.1f} -> {after['y']:.1f}; "
        f"largest move over {seen['frames']} frames: {moved:.1f} px"
    )
    assert abs(after["y"] - before["y"]) <= TOLERANCE_PX, (before, after)
    assert moved <= TOLERANCE_PX, (before["y"], seen)
    assert seen["missing"] == 0, seen  # the button was there on every frame
    expect(page.locator(f".st-key-approve-{first}")).to_have_count(0)
    text = receipt.inner_text()
    assert "A warmer home for less" in text, text  # the email, by its subject
    assert first not in page.content().split("<body", 1)[1].replace(f"-{first}", "")
    alive(page, server)
    screenshot(page, "receipt-2-approved")

    # Cancel the held send from its receipt: recorded, and it never goes out.
    assert rows(server.home, "SELECT count(*) FROM outbox") == [(0,)]
    receipt.get_by_role("button", name="Cancel the send").click()
    expect(receipt).to_contain_text("cancelled by e2e reviewer", timeout=STEP_TIMEOUT_MS)
    expect(receipt.get_by_role("button", name="Cancel the send")).to_have_count(0)
    settled(page)
    assert abs(page.locator(target).first.bounding_box()["y"] - before["y"]) <= TOLERANCE_PX
    alive(page, server)
    screenshot(page, "receipt-3-cancelled")
    with facade(server) as s:
        thread = next(h for h in s.campaigns() if h["thread_id"])  # any: find it by decision
        decided = [
            (d["decision"]["type"], d["by"])
            for c in s.campaigns()
            for d in s.campaign(c["thread_id"])["decisions"]
        ]
        assert sorted(decided) == [("approve", "e2e reviewer"), ("cancel", "e2e reviewer")]
        [cancel] = s.activity(event="hold.cancel")
        assert cancel["actor"] == "e2e reviewer"
        assert s.holds() == []
        s.tick()  # the scheduler's turn: nothing is left to release
        del thread
    assert sent(server.home) == []
    assert rows(server.home, "SELECT count(*) FROM outbox") == [(0,)]


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Three drafts, no holds: what another reviewer approves goes out at once."""
    yield from serve_cards(tmp_path_factory.mktemp("e2e-elsewhere"), 0)


@pytest.mark.e2e
@pytest.mark.timeout(300)
def test_a_card_decided_elsewhere_turns_into_its_receipt_in_place(
    shared_server: Server, page: Any
) -> None:
    """Bob approves the first draft from the CLI while the page shows it: without a click, the
    card becomes a receipt that says Bob approved it, and the next card does not move."""
    server = shared_server
    try:
        page.set_viewport_size({"width": 1400, "height": 3000})
        page.goto(server.url + "/inbox", wait_until="domcontentloaded")
        expect(page.locator('[class*="st-key-approve-"]')).to_have_count(
            CARDS, timeout=STEP_TIMEOUT_MS
        )
        settled(page)
        first, second, *_ = ids_on(page)
        target = f".st-key-approve-{second} button"
        before = page.locator(target).first.bounding_box()
        assert before is not None
        page.evaluate(WATCH, target)
        with facade(server) as s:
            s.decide(first, {"type": "approve"}, by="bob")  # sent at once, in this process
        receipt = page.locator(f".st-key-receipt-card-{first}")
        expect(receipt).to_contain_text("by bob at", timeout=STEP_TIMEOUT_MS)
        expect(receipt).to_contain_text("not on this page")
        expect(receipt).to_contain_text("· sent")  # what became of it, read back
        expect(page.locator(f".st-key-approve-{first}")).to_have_count(0)
        settled(page)
        page.wait_for_timeout(500)
        seen = page.evaluate("() => { window.__stop = true; return window.__seen; }")
        moved = max(abs(seen["max"] - before["y"]), abs(seen["min"] - before["y"]))
        print(f"decided elsewhere: the next Approve button moved at most {moved:.1f} px")
        assert moved <= TOLERANCE_PX, (before["y"], seen)
        assert sent(server.home) == ["contact0@example.com"]
        alive(page, server)
        screenshot(page, "receipt-4-elsewhere")
    except BaseException:
        screenshot(page, "receipt-elsewhere-failure")
        raise
