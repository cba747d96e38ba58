"""The Scheduled page: an audience's contacts listed on demand, one taken out while the rest
stays scheduled (exactly once; too late once the hold was released), in a marketer's words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ui_support import BRIEF, keys, maildir, open_app, texts

from graphs.runtime import Signoff

SCHEDULED = "views/scheduled.py"
CONTACTS = [
    {"email": f"{name.lower()}@example.com", "name": f"{name} Lee", "company": "Acme"}
    for name in ("Ann", "Bob", "Cy", "Dee")
]


def held_audience(seeded: Signoff) -> tuple[str, dict[str, Any]]:
    result = seeded.start({**BRIEF, "channels": ["email"]}, audience=CONTACTS)
    thread = str(result["thread_id"])
    seeded.decide_batch(thread, "audience", {"type": "approve", "checked": True}, by="ann")
    [hold] = [h for h in seeded.holds() if h["thread_id"] == thread]
    return thread, hold


def test_one_contact_is_taken_out_and_the_rest_goes_out(
    ui_home: Path, hold_policy: Path, seeded: Signoff
) -> None:
    thread, hold = held_audience(seeded)
    at = open_app(SCHEDULED)
    assert not at.exception
    assert f"take-out-{hold['id']}-2" not in keys(at)  # listed only when asked for
    at.toggle(key=f"contacts-{hold['id']}").set_value(True).run()
    assert not at.exception
    page = texts(at)
    assert all(c["email"] in page for c in CONTACTS)
    assert {f"take-out-{hold['id']}-{n}" for n in range(1, 5)} <= keys(at)
    at.button(key=f"take-out-{hold['id']}-2").click().run()
    assert not at.exception
    said = [s.value for s in at.success]
    assert said == [
        "Taken out — Bob Lee's email will not go out. The other 3 contacts stay scheduled for "
        + release_time(hold["release_at"])
        + "."
    ], said
    page = texts(at)
    assert "Taken out by" in page and "3 contacts of your audience list" in page
    assert "(1 taken out)" in page and f"take-out-{hold['id']}-2" not in keys(at)
    assert [b.label for b in at.button if b.key == f"cancel-{hold['id']}"] == ["Cancel all 3"]
    assert hold["id"] not in page and thread not in page  # no ids on a marketer's page
    at.text_input(key=f"contacts-search-{hold['id']}").input("dee").run()
    assert not at.exception
    assert {k for k in keys(at) if k.startswith("take-out-")} == {f"take-out-{hold['id']}-4"}
    [entry] = seeded.activity(event="hold.contact_cancelled")
    assert entry["detail"]["contact"] == 2 and "bob@example.com" in entry["detail"]["to"]
    assert seeded.tick(now=hold["release_at"] + 1)["released"] == [hold["id"]]
    assert sorted(m["To"] for m in maildir(ui_home)) == [
        c["email"] for c in CONTACTS if c["email"] != "bob@example.com"
    ]


def test_taking_someone_out_after_the_release_says_it_is_too_late(
    ui_home: Path, hold_policy: Path, seeded: Signoff
) -> None:
    _, hold = held_audience(seeded)
    at = open_app(SCHEDULED)
    at.toggle(key=f"contacts-{hold['id']}").set_value(True).run()
    assert seeded.tick(now=hold["release_at"] + 1)["released"] == [hold["id"]]
    at.button(key=f"take-out-{hold['id']}-3").click().run()  # the page still showed it
    assert not at.exception
    [warning] = [w.value for w in at.warning]
    assert warning.startswith("Too late to take Cy Lee out: the scheduler released the audience")
    assert "Nothing was changed" in warning
    assert len(maildir(ui_home)) == len(CONTACTS)  # everyone's email went out once
    assert seeded.activity(event="hold.contact_cancelled") == []


def release_time(epoch: float) -> str:
    from ui.state import clock

    return clock(epoch)


def test_the_card_counts_the_contacts_still_scheduled(
    ui_home: Path, hold_policy: Path, seeded: Signoff
) -> None:
    """After taking contacts out the card said "Send email × 4" and "Cancel all 1"; the page's
    count said "1 approved action" where the Inbox had said "4 actions scheduled"."""
    _, hold = held_audience(seeded)
    at = open_app(SCHEDULED)
    page = texts(at)
    assert "Send email × 4" in page
    assert "4 approved actions waiting to go out" in page  # as the Inbox counted them
    assert [b.label for b in at.button if b.key == f"cancel-{hold['id']}"] == ["Cancel all 4"]
    at.toggle(key=f"contacts-{hold['id']}").set_value(True).run()
    for n in (2, 3):
        at.button(key=f"take-out-{hold['id']}-{n}").click().run()
        assert not at.exception
    page = texts(at)
    assert "Send email × 2" in page and "Send email × 4" not in page
    assert "2 contacts of your audience list, each their own email (2 taken out)" in page
    assert "2 approved actions waiting to go out" in page
    assert [b.label for b in at.button if b.key == f"cancel-{hold['id']}"] == ["Cancel all 2"]
    at.button(key=f"take-out-{hold['id']}-4").click().run()
    assert not at.exception
    page = texts(at)
    assert "Send email × " not in page  # one email: "Send email"
    assert "1 contact of your audience list (3 taken out)" in page
    assert "each their own email" not in page
    assert "1 approved action waiting to go out" in page
    assert [b.label for b in at.button if b.key == f"cancel-{hold['id']}"] == ["Cancel"]
