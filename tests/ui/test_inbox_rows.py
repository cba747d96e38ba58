"""The Inbox as compact rows with one entry open beside them (ui/views/inbox_rows.py).

With "Rows" on (or `?view=rows`), each waiting draft is one line; only the open one is drawn as
its card, beside the lines, with the card's own buttons. A decided line keeps its place and says
what was decided; the next line is one click away.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_inbox_receipts import said, seed
from ui_support import keys, maildir, open_app

INBOX = "views/inbox.py"


@pytest.fixture
def ann(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SIGNOFF_USER", "ann")
    return "ann"


def row_keys(at: Any) -> list[str]:
    """The rows' buttons, top to bottom."""
    return [b.key for b in at.button if b.key and b.key.startswith("inbox-row-")]


def test_rows_open_one_draft_beside_them_and_keep_their_places(ui_home: Path, ann: str) -> None:
    first, second, third = seed(ui_home, 3)
    at = open_app(INBOX, view="rows")
    assert not at.exception
    assert at.toggle(key="inbox-view-rows").value is True  # the link's view
    assert row_keys(at) == [f"inbox-row-card-{i['id']}" for i in (first, second, third)]
    # one card only, the first waiting draft's, with its buttons
    cards = [k for k in keys(at) if k.startswith("approve-")]
    assert cards == [f"approve-{first['id']}"]
    line = at.button(key=f"inbox-row-card-{second['id']}").label
    assert "Email «" in line and "High risk" in line and "{" not in line

    at.button(key=f"inbox-row-card-{second['id']}").click().run()  # open the second
    assert [k for k in keys(at) if k.startswith("approve-")] == [f"approve-{second['id']}"]
    at.button(key=f"approve-{second['id']}").click().run()
    assert not at.exception
    assert len(maildir(ui_home)) == 1
    # the decided line says so, in its own place; the others are where they were
    assert row_keys(at) == [f"inbox-row-card-{i['id']}" for i in (first, second, third)]
    decided = at.button(key=f"inbox-row-card-{second['id']}").label
    assert decided.startswith(":material/check_circle: **Approved**"), decided
    assert "Approved · " in said(at)  # the receipt, open beside the rows
    assert f"approve-{second['id']}" not in keys(at)  # nothing left to click twice

    at.button(key=f"inbox-row-card-{third['id']}").click().run()  # the next one, one click
    assert [k for k in keys(at) if k.startswith("approve-")] == [f"approve-{third['id']}"]


def test_the_switch_turns_rows_on_and_off_and_the_url_keeps_it(ui_home: Path, ann: str) -> None:
    first, second = seed(ui_home, 2)
    at = open_app(INBOX)
    assert not row_keys(at)  # cards by default
    assert len([k for k in keys(at) if k.startswith("approve-")]) == 2
    at.toggle(key="inbox-view-rows").set_value(True).run()
    assert not at.exception
    assert at.query_params.get("view") == "rows"
    assert len(row_keys(at)) == 2
    assert [k for k in keys(at) if k.startswith("approve-")] == [f"approve-{first['id']}"]
    at.toggle(key="inbox-view-rows").set_value(False).run()
    assert "view" not in at.query_params
    assert not row_keys(at) and len([k for k in keys(at) if k.startswith("approve-")]) == 2
