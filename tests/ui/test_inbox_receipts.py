"""A decided card leaves a receipt in its place, and the cards below keep theirs.

A decided card used to vanish on the next redraw: every card below moved up a place (and, in the
browser, by a card's height), so a reviewer whose pointer rested where the next Approve button
was approved another draft with the next click. Now the card's place holds a receipt (what was
decided, on what, by whom, what became of it) until the list is read again for another reason:
a filter, another page of the app, a reload. A card decided elsewhere (another reviewer, the
CLI) becomes a receipt too, saying who; Cancel on the receipt of a held send stops it for good.
The browser's side (pixels): tests/e2e/test_receipt_keeps_places.py.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fakes import ScriptedChatModel
from test_inbox_places import place
from ui_support import BRIEF, keys, maildir, open_app, texts, tick

from graphs.runtime import Signoff

INBOX = "views/inbox.py"


def seed(home: Path, n: int) -> list[dict[str, Any]]:
    """`n` campaigns with one email draft each, oldest first (the Inbox's order)."""
    with Signoff(home, model=ScriptedChatModel(), recover=False) as s:
        for _ in range(n):
            s.start({**BRIEF, "channels": ["email"]})
        return s.pending()


def where(node: Any, needle: str, path: tuple[int, ...] = ()) -> tuple[int, ...] | None:
    """Where the first markdown element that says `needle` sits (its path from the top)."""
    for n, child in getattr(node, "children", {}).items():
        here = (*path, n)
        if getattr(child, "type", None) == "markdown" and needle in str(child.value).replace(
            "\\", ""
        ).replace("**", ""):
            return here
        found = where(child, needle, here)
        if found is not None:
            return found
    return None


def said(at: Any) -> str:
    """The page's text as read (no markdown escapes, no bold marks)."""
    return texts(at).replace("**", "")


def receipt_line(at: Any) -> str:
    lines = [line for line in said(at).splitlines() if " · by " in line]
    assert lines, said(at)
    return lines[0]


@pytest.fixture
def ann(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SIGNOFF_USER", "ann")  # who runs the page (local mode)
    return "ann"


def test_an_approved_card_leaves_its_receipt_and_the_next_card_keeps_its_place(
    ui_home: Path, ann: str
) -> None:
    first, second, third = seed(ui_home, 3)
    subject = first["args"]["subject"]
    at = open_app(INBOX)
    assert not at.exception
    card = place(at.main, f"approve-{first['id']}")
    below = place(at.main, f"approve-{second['id']}"), place(at.main, f"approve-{third['id']}")
    assert card is not None and None not in below

    at.button(key=f"approve-{first['id']}").click().run()  # the worker sends it at once
    assert not at.exception
    assert f"approve-{first['id']}" not in keys(at)  # nothing left to click twice
    assert (
        place(at.main, f"approve-{second['id']}"),
        place(at.main, f"approve-{third['id']}"),
    ) == (below)
    line = receipt_line(at)
    assert f"Approved · :material/mail: Email «{subject}» · by ann · sent" in line, line
    receipt = where(at.main, "Approved · ")
    assert receipt is not None and receipt[0] == card[0]  # the card's place in the list
    assert "Delivered to the Maildir outbox" in said(at)  # the page's message, in the receipt
    assert len(maildir(ui_home)) == 1
    for text in (first["id"], first["thread_id"], "{", "interrupt"):  # no ids, keys or JSON
        assert text not in said(at)


def test_each_decision_says_what_it_was(
    ui_home: Path, ann: str, app_model: ScriptedChatModel
) -> None:
    rejected, sent_back, edited, waiting = seed(ui_home, 4)
    at = open_app(INBOX)
    at.button(key=f"reject-{rejected['id']}").click().run()
    at.selectbox(key=f"reject-reason-{rejected['id']}").select("Off-brand")
    at.button(key=f"reject-confirm-{rejected['id']}").click().run()
    at.button(key=f"revise-{sent_back['id']}").click().run()
    at.text_area(key=f"revise-feedback-{sent_back['id']}").input("Shorter, please")
    at.button(key=f"revise-send-{sent_back['id']}").click().run()
    at.button(key=f"edit-{edited['id']}").click().run()
    at.text_input(key=f"edit-subject-{edited['id']}").input("Warmer home, smaller bill")
    at.button(key=f"edit-save-{edited['id']}").click().run()
    assert not at.exception
    page = said(at)
    subject = rejected["args"]["subject"]
    assert f"Rejected · :material/mail: Email «{subject}» · by ann · it will not go out" in page
    assert (
        f"Sent back with your notes · :material/mail: Email «{subject}» · by ann · the redraft "
        "comes back to your inbox" in page
    )
    assert (  # what went out: the edited version
        "Edited and approved · :material/mail: Email «Warmer home, smaller bill» · by ann · sent"
        in page
    )
    # the three receipts hold the first three places; the draft still waiting keeps its own,
    # and the redraft comes in below it
    order = [
        where(at.main, "Rejected · "),
        where(at.main, "Sent back with your notes · "),
        where(at.main, "Edited and approved · "),
        place(at.main, f"approve-{waiting['id']}"),
    ]
    assert None not in order
    assert [p[0] for p in order] == sorted(p[0] for p in order)  # type: ignore[index]
    redraft = [b.key for b in at.button if b.key and b.key.startswith("approve-")]
    assert redraft[0] == f"approve-{waiting['id']}" and len(redraft) == 2


def test_a_receipt_lasts_until_the_list_is_read_again(ui_home: Path, ann: str) -> None:
    first, second = seed(ui_home, 2)
    at = open_app(INBOX)
    at.button(key=f"approve-{first['id']}").click().run()
    assert "Approved · " in said(at)
    at.run()  # the page redrawn (a run ended, a fragment, another click): it stays
    assert "Approved · " in said(at)
    at.button(key=f"edit-{second['id']}").click().run()  # another card's panel: it stays
    assert "Approved · " in said(at)

    at.selectbox(key="inbox-filter-risk").select("high").run()  # the list read again: gone
    assert not at.exception
    assert "Approved · " not in said(at)

    at = open_app(INBOX)
    at.button(key=f"approve-{second['id']}").click().run()
    assert "Approved · " in said(at)
    at.switch_page("views/scheduled.py").run()  # another page of the app
    at.switch_page(INBOX).run()
    assert not at.exception
    assert "Approved · " not in said(at)
    assert "Nothing is waiting for you" in said(at)

    assert "Approved · " not in said(open_app(INBOX))  # a reload: a new session


def test_a_card_decided_elsewhere_becomes_a_receipt_that_says_who(
    ui_home: Path, ann: str, seeded: Signoff
) -> None:
    first, second, third = seed(ui_home, 3)
    at = open_app(INBOX)
    below = place(at.main, f"approve-{third['id']}")
    # Bob rejects the second draft from the CLI while ann's page shows it.
    seeded.decide(second["id"], {"type": "reject", "reason": "Off-brand"}, by="bob")
    tick(at)  # the page's watch (a fragment, every few seconds) notices and redraws the page
    assert not at.exception
    assert f"approve-{second['id']}" not in keys(at)  # no stale card to click
    assert place(at.main, f"approve-{third['id']}") == below
    line = receipt_line(at)
    assert "Rejected · " in line and "by bob at " in line and "not on this page" in line, line
    assert "it will not go out" in line, line

    # A click that lands before the page noticed: refused by the runtime, said in the receipt.
    seeded.decide(first["id"], {"type": "approve"}, by="bob")
    at.button(key=f"approve-{first['id']}").click().run()
    assert not at.exception
    assert f"approve-{first['id']}" not in keys(at)
    assert "Already decided by bob at" in said(at)
    assert "Approved · :material/mail: Email" in said(at) and "by bob at" in said(at)
    assert "· sent" in said(at)  # bob's approval went out: read back from the campaign
    assert place(at.main, f"approve-{third['id']}") == below
    [decision] = [d for d in seeded.campaign(first["thread_id"])["decisions"]]
    assert decision["by"] == "bob"  # ann's click changed nothing


def test_cancel_on_the_receipt_of_a_held_send(
    ui_home: Path, hold_policy: Path, ann: str, seeded: Signoff
) -> None:
    first, second = seed(ui_home, 2)
    at = open_app(INBOX)
    at.button(key=f"approve-{first['id']}").click().run()  # held for 10 min
    assert not at.exception
    line = receipt_line(at)
    assert "Approved · " in line and "by ann · sends at " in line and " UTC" in line, line
    cancel = f"receipt-cancel-card-{first['id']}"
    assert cancel in keys(at)
    at.button(key=cancel).click().run()
    assert not at.exception
    line = receipt_line(at)
    assert "cancelled by ann — it will not go out" in line, line
    assert cancel not in keys(at)
    assert f"Cancelled — Email «{first['args']['subject']}» will not go out." in said(at)
    at.button(key=f"approve-{second['id']}").click().run()  # the other one: left to go out
    assert not at.exception
    seeded.tick(now=time.time() + 3600)  # long past both release times
    at.run()
    assert not at.exception
    page = said(at)
    assert f"Approved — Email «{second['args']['subject']}» went out." in page, page
    assert "by ann · sent" in page and "cancelled by ann — it will not go out" in page
    [message] = maildir(ui_home)  # the second only
    assert message["To"] == second["args"]["to"]
    decisions = seeded.campaign(first["thread_id"])["decisions"]
    assert [(d["decision"]["type"], d["by"]) for d in decisions] == [
        ("approve", "ann"),
        ("cancel", "ann"),
    ]
    [outcome] = seeded.campaign(first["thread_id"])["outcomes"]
    assert outcome["status"] == "cancelled"
    [cancelled] = seeded.activity(event="hold.cancel")
    assert cancelled["actor"] == "ann"


def test_a_whole_batch_approved_leaves_one_receipt_with_cancel_all(
    ui_home: Path, hold_policy: Path, ann: str
) -> None:
    from test_batch_inbox import CONTACTS, batch_key, batch_of

    with Signoff(ui_home, model=ScriptedChatModel(), recover=False) as s:
        thread, emails = batch_of(s)
        [single] = s.start({**BRIEF, "channels": ["email"]})["pending"]
    batch = batch_key(thread, emails[0])
    at = open_app(INBOX)
    below = place(at.main, f"approve-{single['id']}")
    at.button(key=f"batch-approve-{batch}").click().run()  # one decision, held for 10 min
    assert not at.exception
    assert place(at.main, f"approve-{single['id']}") == below
    line = receipt_line(at)
    subject = emails[0]["args"]["subject"]
    assert f"Approved · :material/mail: 4 emails «{subject}» · by ann · sends at " in line, line
    at.button(key=f"receipt-cancel-batch-{batch}").click().run()
    assert not at.exception
    assert "cancelled by ann — it will not go out" in receipt_line(at)
    assert place(at.main, f"approve-{single['id']}") == below
    with Signoff(ui_home, model=ScriptedChatModel(), recover=False) as s:
        s.tick(now=time.time() + 3600)
        assert s.holds() == []
    assert maildir(ui_home) == [] and len(CONTACTS) == 4
