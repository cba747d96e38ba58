"""A marketer's first campaign in a real browser, drafted by the real embedded model.

New campaign → drafts in the Inbox → approve the email → it waits out its hold on the Scheduled
page → Send now → the Campaign page shows it went out → the message is in the Maildir under
SIGNOFF_HOME. Screenshots: test-artifacts/e2e-*.png.
"""

from __future__ import annotations

import mailbox
import re
from typing import Any

import pytest
from e2e_support import DRAFT_TIMEOUT_MS, STEP_TIMEOUT_MS, Server, alive, screenshot
from playwright.sync_api import expect


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

    # 3. The Inbox: a card for the email, with its text, why it waits, and its claims.
    page.get_by_role("link", name="Review in the Inbox").click()
    page.get_by_role("heading", name="Inbox", exact=True).wait_for(timeout=STEP_TIMEOUT_MS)
    email_card = page.locator('[class*="st-key-card-"]').filter(has_text="Send email")
    # each action is drafted on its own branch: the post may be ready first, the email joins
    # the open Inbox as soon as it is drafted
    email_card.wait_for(timeout=DRAFT_TIMEOUT_MS)
    expect(email_card).to_contain_text("customers@example.com", timeout=STEP_TIMEOUT_MS)
    expect(email_card).to_contain_text("Why it waits for you", timeout=STEP_TIMEOUT_MS)
    # the draft as it will go out (From, subject, body), then its facts sentence by sentence
    expect(email_card.locator('[class*="st-key-preview-"]')).to_have_count(1)
    expect(email_card.locator('[class*="st-key-preview-"]')).to_contain_text("From")
    expect(email_card.locator('[class*="st-key-sentence-checks-"]')).to_have_count(1)
    alive(page, server)
    screenshot(page, "3-inbox")

    # 4. Approve the email (ticking "I checked these claims" when the small model made claims
    #    its evidence does not support): it is scheduled, and its card leaves the inbox.
    page.wait_for_timeout(500)
    check = email_card.get_by_text("I checked these claims")
    if check.count():
        expect(email_card.get_by_role("button", name="Approve")).to_be_disabled()
        check.click()
    expect(email_card.get_by_role("button", name="Approve")).to_be_enabled(timeout=STEP_TIMEOUT_MS)
    email_card.get_by_role("button", name="Approve").click()
    # said when recorded, and again once the worker has run it: either one will do
    page.get_by_text("is scheduled: it goes out in").first.wait_for(timeout=DRAFT_TIMEOUT_MS)
    expect(page.locator('[class*="st-key-card-"]').filter(has_text="Send email")).to_have_count(0)
    alive(page, server)
    screenshot(page, "4-approved")

    # 4b. The Scheduled page: the held email with its countdown; send it now.
    page.locator('[data-testid="stSidebarNavLink"]').filter(has_text="Scheduled").click()
    held = page.locator('[class*="st-key-hold-"]').filter(has_text="customers@example.com")
    expect(held).to_contain_text("Goes out in", timeout=STEP_TIMEOUT_MS)
    held.get_by_role("button", name="Send now").click()
    # recorded at once; the worker sends it (the page says so, then shows it gone)
    page.get_by_text("Sent now — Send email went out").first.wait_for(timeout=STEP_TIMEOUT_MS)
    expect(page.get_by_text("Nothing is scheduled")).to_be_visible(timeout=STEP_TIMEOUT_MS)
    alive(page, server)
    screenshot(page, "4b-sent-now")

    # 5. The Campaign page shows the email went out, with its outbox receipt.
    page.get_by_role("link", name="Campaign", exact=True).click()
    page.get_by_text("What went out").first.wait_for(timeout=STEP_TIMEOUT_MS)
    page.get_by_text("Delivered to the local outbox folder").first.wait_for(timeout=STEP_TIMEOUT_MS)
    assert "thread=" in page.url
    main = page.locator('[data-testid="stMain"]')
    expect(main).to_contain_text("Sent", timeout=STEP_TIMEOUT_MS)
    expect(main).to_contain_text("e2e reviewer", timeout=STEP_TIMEOUT_MS)  # who decided
    page.get_by_text("How Signoff works").click()
    # the journey is drawn at once; the agent's graph (offline) only on request
    expect(page.locator('[data-testid="stGraphVizChart"] svg')).to_have_count(
        1, timeout=STEP_TIMEOUT_MS
    )
    page.get_by_text("Draw the agent's graph").click()
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
