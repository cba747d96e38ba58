"""A click on Approve that lands while the Inbox redraws itself is never lost.

The Inbox redraws itself when a worker's run ends (it polls every second). If that redraw moved
the cards to other places in the page (the run's progress panel above them went away, a message
came or went), the browser replaced the card's buttons with new ones: a press on the old button
and its release on the new one made no click at all. Nothing reached the server, nothing was
recorded, the card stayed (CI, twice). Here a person presses Approve on a card while a run
waits for a worker, a worker carries the run out, the page redraws itself, and only then does
the button come up: the approval must be recorded (four times, one card after another).
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from e2e_support import (
    ARTIFACTS,
    EMAIL_BRIEF,
    ROOT,
    STEP_TIMEOUT_MS,
    Server,
    alive,
    screenshot,
    serve,
    settled,
)
from fakes import ScriptedChatModel
from playwright.sync_api import expect
from policy_support import no_holds

from graphs.runtime import Signoff

BRIEF = EMAIL_BRIEF
RUN_PANEL = "Carrying out your decisions"
CARDS = 5


@pytest.fixture(scope="module")
def idle_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The page with no worker: a decision's run waits until the test starts one."""
    root = tmp_path_factory.mktemp("e2e-redraw")
    policy = no_holds(root / "policy.yaml")
    home = root / "signoff-home"
    with Signoff(home, model=ScriptedChatModel(), recover=False, policy_path=policy) as s:
        for _ in range(CARDS):  # one email draft each
            s.start(dict(BRIEF))
    with serve(home, workers=0, SIGNOFF_POLICY=str(policy)) as server:
        yield server


def decided(home: Path, item_id: str) -> bool:
    with closing(sqlite3.connect(f"file:{home / 'signoff.db'}?mode=ro", uri=True)) as conn:
        (n,) = conn.execute(
            "SELECT count(*) FROM decisions WHERE interrupt_id = ?", (item_id,)
        ).fetchone()
    return bool(n)


def card_ids(page: Any) -> list[str]:
    buttons = page.locator('[class*="st-key-approve-"]')
    return [
        re.search(r"st-key-approve-(\S+)", str(buttons.nth(n).get_attribute("class"))).group(1)  # type: ignore[union-attr]
        for n in range(buttons.count())
    ]


def run_queued(home: Path) -> None:
    """A worker's one step (`signoff worker --once`): the queued run is carried out, then it
    exits."""
    env = dict(
        os.environ,
        SIGNOFF_HOME=str(home),
        SIGNOFF_MODEL="embedded",
        SIGNOFF_POLICY=str(home.parent / "policy.yaml"),
        SIGNOFF_USER="e2e reviewer",
    )
    env.pop("SIGNOFF_SMTP_URL", None)
    env.pop("LANGSMITH_TRACING", None)
    with (ARTIFACTS / "e2e-worker-redraw.log").open("ab") as out:
        subprocess.run(
            [sys.executable, "-m", "ui", "worker", "--once", "-v"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=120,
            check=True,
        )


@pytest.mark.e2e
@pytest.mark.timeout(400)
def test_a_press_held_through_the_pages_own_redraw_still_approves(
    idle_server: Server, page: Any
) -> None:
    server = idle_server
    try:
        page.goto(server.url + "/inbox", wait_until="domcontentloaded")
        expect(page.locator('[class*="st-key-approve-"]')).to_have_count(
            CARDS, timeout=STEP_TIMEOUT_MS
        )
        settled(page)
        ids = card_ids(page)

        # The first approval queues a run; with no worker it waits, and its panel shows above
        # the cards until a worker has carried it out.
        page.locator(f".st-key-approve-{ids[0]} button").first.click()
        for item_id in ids[1:]:
            expect(page.locator(f".st-key-card-{item_id}").first).to_be_visible(
                timeout=STEP_TIMEOUT_MS
            )
            expect(page.get_by_text(RUN_PANEL).first).to_be_visible(timeout=STEP_TIMEOUT_MS)
            settled(page)
            # Press Approve on the next card and hold it while the page redraws itself: the
            # waiting run is carried out, the page notices within a second and redraws.
            button = page.locator(f".st-key-approve-{item_id} button").first
            button.scroll_into_view_if_needed()
            box = button.bounding_box()
            assert box is not None
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.mouse.down()
            run_queued(server.home)
            expect(page.get_by_text(RUN_PANEL)).to_have_count(0, timeout=STEP_TIMEOUT_MS)
            settled(page)
            page.mouse.up()  # the click: this card's approval (its run then waits in turn)
            expect(page.locator(f".st-key-card-{item_id}")).to_have_count(
                0, timeout=STEP_TIMEOUT_MS
            )
            assert decided(server.home, item_id)
        run_queued(server.home)
        assert all(decided(server.home, i) for i in ids)
        alive(page, server)
    except BaseException:
        screenshot(page, "redraw-failure")
        raise
