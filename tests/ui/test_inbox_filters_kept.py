"""The Inbox's filters show what they filter by after a decision ("All campaigns", not blank).

"All" used to be the option None; a selectbox whose value is None has no selection as far as
Streamlit is concerned, so whenever the server sent the box's value again (after a decision)
the browser showed "Choose an option" in all three boxes. "All" is now an option of its own.
"""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest
from test_inbox_receipts import seed
from ui_support import open_app

from graphs.runtime import Signoff

INBOX = "views/inbox.py"
SHOWN = {
    "inbox-filter-campaign": "All campaigns",
    "inbox-filter-channel": "All channels",
    "inbox-filter-risk": "Any risk",
}


def shown(at: AppTest) -> dict[str, str | None]:
    """What each filter box shows: its selected option's label (None: "Choose an option")."""
    boxes = {key: at.selectbox(key=key) for key in SHOWN}
    return {k: None if b.index is None else b.options[b.index] for k, b in boxes.items()}


def test_the_filters_show_all_after_each_kind_of_decision(ui_home: Path, seeded: Signoff) -> None:
    first, second, third = seed(ui_home, 3)
    at = open_app(INBOX)
    assert shown(at) == SHOWN
    at.button(key=f"approve-{first['id']}").click().run()
    assert not at.exception
    assert shown(at) == SHOWN
    at.button(key=f"reject-{second['id']}").click().run()
    at.selectbox(key=f"reject-reason-{second['id']}").select("Bad timing")
    at.button(key=f"reject-confirm-{second['id']}").click().run()
    assert not at.exception
    assert shown(at) == SHOWN
    at.run()  # redrawn again (a run ended): still shown
    assert shown(at) == SHOWN
    assert len(seeded.pending()) == 1  # and they filter nothing out
    assert f"approve-{third['id']}" in {b.key for b in at.button}


def test_a_filter_picked_then_all_again(ui_home: Path, seeded: Signoff) -> None:
    seed(ui_home, 2)
    at = open_app(INBOX)
    at.selectbox(key="inbox-filter-risk").select("low").run()
    assert "Nothing waiting matches these filters." in [i.value for i in at.info]
    at.selectbox(key="inbox-filter-risk").select("").run()  # "Any risk"
    assert not at.exception
    assert shown(at) == SHOWN
    assert len([b for b in at.button if b.key and b.key.startswith("approve-")]) == 2
