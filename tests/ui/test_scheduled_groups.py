"""The Scheduled page with an audience's approved emails and with several held actions of one
campaign: an audience is ONE hold (graphs/batch.py) shown as one card that names how many
contacts it goes to and who approved it; several held actions of one kind in one campaign (likes
under a policy that holds them) are one card with Cancel all / Send all now and each listed with
its own Cancel, not a card per action redrawn every second."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from policy_support import write_policy
from ui_support import BRIEF, keys, maildir, open_app, texts

from graphs.runtime import Signoff

SCHEDULED = "views/scheduled.py"
CONTACTS = [
    {"email": f"{name.lower()}@example.com", "name": name, "company": "Acme"}
    for name in ("Ann", "Bob", "Cy", "Dee")
]
LIKES = [f"https://social.example/@ann/{n}" for n in (1, 2, 3)]


def approved_audience(seeded: Signoff) -> tuple[str, dict[str, Any]]:
    result = seeded.start({**BRIEF, "channels": ["email"]}, audience=CONTACTS)
    emails = [p for p in result["pending"] if p["action"] == "send_email"]
    assert len(emails) == len(CONTACTS)
    seeded.decide_many({e["id"]: {"type": "approve", "checked": True} for e in emails}, by="ann")
    [hold] = [h for h in seeded.holds() if h["thread_id"] == result["thread_id"]]
    # the batch's own record sums the people's decisions: no anonymous client decided it
    [batch] = seeded.store.query(
        "SELECT decided_by FROM decisions WHERE thread_id = ? AND action_id = 'email-batch'",
        (result["thread_id"],),
    )
    assert batch["decided_by"] == "signoff (each contact decided on their own)"
    return str(result["thread_id"]), hold


def test_an_audience_is_one_hold_that_names_its_contacts_and_approver(
    ui_home: Path, hold_policy: Path, seeded: Signoff
) -> None:
    thread, hold = approved_audience(seeded)
    assert hold["batch_size"] == 4 and hold["approved_by"] == "ann"
    at = open_app(SCHEDULED)
    assert not at.exception
    assert {f"cancel-{hold['id']}", f"send-now-{hold['id']}"} <= keys(at)
    page = texts(at)
    assert "× 4" in page and "4 contacts of your audience list" in page

    at.button(key=f"cancel-{hold['id']}").click().run()
    assert not at.exception
    said = [a.value for a in [*at.success, *at.info] if "Cancelled" in a.value]
    assert len(said) == 1, said
    assert seeded.holds() == []
    outcomes = [o for o in seeded.campaign(thread)["outcomes"] if o["name"] == "send_email"]
    assert [o["status"] for o in outcomes] == ["cancelled"]
    assert "Nothing is scheduled" in texts(at)
    assert maildir(ui_home) == []


def test_an_audience_sent_now_reaches_every_contact_once(
    ui_home: Path, hold_policy: Path, seeded: Signoff
) -> None:
    _, hold = approved_audience(seeded)
    at = open_app(SCHEDULED)
    at.button(key=f"send-now-{hold['id']}").click().run()
    assert not at.exception
    assert seeded.holds() == []
    assert sorted(m["To"] for m in maildir(ui_home)) == [c["email"] for c in CONTACTS]


@pytest.fixture
def held_likes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ui_home: Path) -> Path:
    path = write_policy(tmp_path / "policy-likes.yaml", like_post={"hold_seconds": 600})
    monkeypatch.setenv("SIGNOFF_POLICY", str(path))
    return path


def test_held_actions_of_one_kind_are_one_card_and_each_can_be_cancelled(
    ui_home: Path, held_likes: Path, seeded: Signoff
) -> None:
    result = seeded.start({**BRIEF, "channels": ["email"], "engage": LIKES})
    holds = [h for h in seeded.holds() if h["thread_id"] == result["thread_id"]]
    assert len(holds) == len(LIKES) and {h["action"] for h in holds} == {"like_post"}
    at = open_app(SCHEDULED)
    assert not at.exception
    first = min(holds, key=lambda h: h["release_at"])
    assert at.button(key=f"cancel-group-{first['id']}").label == "Cancel all 3"
    assert not [k for k in keys(at) if k.startswith("send-now-")]  # no card per like
    assert {f"cancel-{h['id']}" for h in holds} <= keys(at)

    at.button(key=f"cancel-{first['id']}").click().run()
    assert not at.exception
    assert len(seeded.holds()) == 2
    [group] = [k for k in keys(at) if k.startswith("send-group-")]
    assert at.button(key=group).label == "Send all 2 now"
    at.button(key=group).click().run()
    assert not at.exception
    assert seeded.holds() == []
    statuses = sorted(
        o["status"]
        for o in seeded.campaign(result["thread_id"])["outcomes"]
        if o["name"] == "like_post"
    )
    assert statuses == ["cancelled", "executed", "executed"]
