"""A marketer's first campaign in a real browser, drafted by the real embedded model.

New campaign → drafts in the Inbox → approve the email → the Campaign page shows it went out →
the message is in the Maildir under SIGNOFF_HOME. Screenshots: test-artifacts/e2e-*.png.
"""

from __future__ import annotations

import mailbox
import re
from typing import Any

import pytest
from e2e_support import ARTIFACTS, Server
from playwright.sync_api import expect

DRAFT_TIMEOUT_MS = 420_000  # model start-up + research + two drafts on 2 cores (~1-3 min)
STEP_TIMEOUT_MS = 60_000


def settled(page: Any, timeout_ms: int = STEP_TIMEOUT_MS) -> None:
    """Wait until the script run is over: no running indicator, no skeleton placeholders."""
    page.wait_for_function(
        """() => {
            const w = document.querySelector('[data-testid="stStatusWidget"]');
            const running = w && /Stop|Running/i.test(w.innerText);
            return !running && !document.querySelector('[data-testid="stSkeleton"]');
        }""",
        timeout=timeout_ms,
    )


def screenshot(page: Any, name: str) -> None:
    """The whole page: Streamlit scrolls inside its main block, so grow the viewport to fit."""
    try:
        settled(page, 15_000)
    except Exception:  # a screenshot of a page still running is better than none
        pass
    page.wait_for_timeout(600)  # let charts and fonts settle
    height = page.evaluate(
        """() => Math.max(document.body.scrollHeight,
            ...[...document.querySelectorAll('[data-testid="stMain"], [data-testid="stMainBlockContainer"], [data-testid="stAppViewContainer"]')]
                .map(e => e.scrollHeight + e.getBoundingClientRect().top))"""
    )
    size = page.viewport_size
    page.set_viewport_size(
        {"width": size["width"], "height": min(max(int(height) + 40, size["height"]), 8000)}
    )
    page.wait_for_timeout(400)
    page.screenshot(path=str(ARTIFACTS / f"e2e-{name}.png"), full_page=True)
    page.set_viewport_size(size)


def alive(page: Any, server: Server) -> None:
    """No Streamlit exception box on the page."""
    assert page.locator('[data-testid="stException"]').count() == 0, (
        f"the page shows an exception; see the screenshot and {server.log}"
    )


@pytest.mark.e2e
@pytest.mark.timeout(900)
def test_first_campaign_from_brief_to_sent_email(server: Server, page: Any) -> None:
    try:
        first_campaign(server, page)
    except BaseException:
        screenshot(page, "failure")
        raise


def first_campaign(server: Server, page: Any) -> None:
    # 1. First visit: the New campaign page, with an example brief ready to start.
    page.goto(server.url + "/", wait_until="domcontentloaded")
    page.get_by_role("heading", name="New campaign").wait_for(timeout=STEP_TIMEOUT_MS)
    product = page.get_by_role("textbox", name="Product")
    expect(product).to_have_value(re.compile("Brightloop 2"), timeout=STEP_TIMEOUT_MS)
    screenshot(page, "1-new-campaign")

    # 2. Start it; the status box streams what the agent does until the drafts are ready.
    page.get_by_role("button", name="Start campaign").click()
    page.get_by_text("Researching and drafting").first.wait_for(timeout=STEP_TIMEOUT_MS)
    page.get_by_text("Drafted", exact=False).first.wait_for(timeout=DRAFT_TIMEOUT_MS)
    page.get_by_role("link", name="Review in the Inbox").wait_for(timeout=DRAFT_TIMEOUT_MS)
    alive(page, server)
    screenshot(page, "2-drafted")

    # 3. The Inbox: a card for the email, with its text, why it waits, and its evidence.
    page.get_by_role("link", name="Review in the Inbox").click()
    page.get_by_role("heading", name="Inbox").wait_for(timeout=STEP_TIMEOUT_MS)
    email_card = page.locator('[class*="st-key-card-"]').filter(has_text="Send email")
    email_card.wait_for(timeout=STEP_TIMEOUT_MS)
    expect(email_card).to_contain_text("customers@example.com", timeout=STEP_TIMEOUT_MS)
    expect(email_card).to_contain_text("Why it waits for you", timeout=STEP_TIMEOUT_MS)
    expect(email_card.get_by_role("button", name="Approve")).to_be_enabled()
    email_card.get_by_text("Claims and evidence").click()
    alive(page, server)
    screenshot(page, "3-inbox")

    # 4. Approve the email: it goes out once, and its card leaves the inbox.
    page.locator('[class*="st-key-reviewer"] input').fill("e2e reviewer")
    page.locator('[class*="st-key-reviewer"] input').press("Enter")
    page.wait_for_timeout(500)
    email_card.get_by_role("button", name="Approve").click()
    page.get_by_text("Send email went out").wait_for(timeout=DRAFT_TIMEOUT_MS)
    expect(page.locator('[class*="st-key-card-"]').filter(has_text="Send email")).to_have_count(0)
    alive(page, server)
    screenshot(page, "4-approved")

    # 5. The Campaign page shows the email went out, with its outbox receipt.
    page.get_by_role("link", name="Campaign", exact=True).click()
    page.get_by_text("What went out").wait_for(timeout=STEP_TIMEOUT_MS)
    page.get_by_text("Delivered to the Maildir").wait_for(timeout=STEP_TIMEOUT_MS)
    assert "thread=" in page.url
    main = page.locator('[data-testid="stMain"]')
    expect(main).to_contain_text("Sent", timeout=STEP_TIMEOUT_MS)
    expect(main).to_contain_text("e2e reviewer", timeout=STEP_TIMEOUT_MS)  # who decided
    page.get_by_text("How Signoff works").click()  # the agent's graph, drawn offline
    expect(page.locator('[data-testid="stGraphVizChart"] svg')).to_have_count(
        2, timeout=STEP_TIMEOUT_MS
    )
    alive(page, server)
    screenshot(page, "5-campaign")

    # 6. And the message really is in the Maildir under SIGNOFF_HOME.
    box = mailbox.Maildir(str(server.home / "maildir"), create=False)
    messages = list(box)
    assert len(messages) == 1, (
        f"expected one email in {server.home / 'maildir'}, found {len(messages)}"
    )
    assert messages[0]["To"] == "customers@example.com"
    assert messages[0]["Subject"]
