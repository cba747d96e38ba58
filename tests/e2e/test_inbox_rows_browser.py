"""The Inbox's rows in a real browser: one line per draft, the open one beside them.

Three held emails served with `?view=rows`: each row is one line (at most 56 px), the open
draft's card sits to the right of the rows, approving it leaves every row where it was (the
decided one now says "Approved"), and a click on the next row opens that draft beside them.
Screenshots: test-artifacts/e2e-rows-*.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from e2e_support import STEP_TIMEOUT_MS, Server, screenshot, settled
from playwright.sync_api import expect
from test_receipt_keeps_places import TOLERANCE_PX, serve_cards

ROW_MAX_PX = 56


@pytest.fixture(scope="module")
def rows_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from serve_cards(tmp_path_factory.mktemp("e2e-rows"), 3600)


def boxes(page: Any) -> list[dict[str, float]]:
    rows = page.locator('[class*="st-key-inbox-row-"]')
    return [rows.nth(n).bounding_box() for n in range(rows.count())]


@pytest.mark.e2e
@pytest.mark.timeout(300)
def test_rows_keep_their_places_and_open_the_next_draft_beside_them(
    rows_server: Server, page: Any
) -> None:
    try:
        walk_rows(rows_server, page)
    except BaseException:
        screenshot(page, "rows-failure")
        raise


def walk_rows(server: Server, page: Any) -> None:
    page.set_viewport_size({"width": 1400, "height": 1400})
    page.goto(server.url + "/inbox?view=rows", wait_until="domcontentloaded")
    rows = page.locator('[class*="st-key-inbox-row-"]')
    expect(rows).to_have_count(3, timeout=STEP_TIMEOUT_MS)
    expect(page.locator('[class*="st-key-approve-"]')).to_have_count(1)  # one card open
    settled(page)
    screenshot(page, "rows-1-open")
    before = boxes(page)
    assert all(b["height"] <= ROW_MAX_PX for b in before), before
    card = page.locator('[class*="st-key-card-"]').first.bounding_box()
    assert card is not None and card["x"] >= before[0]["x"] + before[0]["width"]  # beside

    page.locator('[class*="st-key-approve-"] button').first.click()
    expect(rows.first).to_contain_text("Approved", timeout=STEP_TIMEOUT_MS)
    settled(page)
    screenshot(page, "rows-2-approved")
    after = boxes(page)
    for was, now in zip(before, after, strict=True):
        assert abs(was["y"] - now["y"]) <= TOLERANCE_PX, (before, after)

    rows.nth(1).locator("button").click()
    expect(page.locator('[class*="st-key-approve-"]')).to_have_count(1, timeout=STEP_TIMEOUT_MS)
    settled(page)
    expect(page.locator('[class*="st-key-card-"]').first).to_be_visible()
    opened = page.locator('[class*="st-key-approve-"]').first.get_attribute("class") or ""
    second = rows.nth(1).get_attribute("class") or ""
    item = next(c for c in second.split() if c.startswith("st-key-inbox-row-card-"))
    assert f"st-key-approve-{item.removeprefix('st-key-inbox-row-card-')}" in opened
    screenshot(page, "rows-3-next")
