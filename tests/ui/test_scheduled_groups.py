"""The Scheduled page with an audience's approved emails: one card for the campaign's emails
(one countdown, Cancel all / Send all now, each one listed with its own Cancel), not a card per
recipient redrawn every second (20 cards filled 6,000 px; an audience of 10,000 would not draw)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ui_support import BRIEF, keys, maildir, open_app, texts

from graphs.runtime import Signoff

SCHEDULED = "views/scheduled.py"
CONTACTS = [
    {"email": f"{name.lower()}@example.com", "name": name, "company": "Acme"}
    for name in ("Ann", "Bob", "Cy", "Dee")
]


def approved_audience(seeded: Signoff) -> tuple[str, list[dict[str, Any]]]:
    result = seeded.start({**BRIEF, "channels": ["email"]}, audience=CONTACTS)
    emails = [p for p in result["pending"] if p["action"] == "send_email"]
    seeded.decide_many({e["id"]: {"type": "approve", "checked": True} for e in emails}, by="ann")
    holds = [h for h in seeded.holds() if h["thread_id"] == result["thread_id"]]
    assert len(holds) == len(CONTACTS)
    return str(result["thread_id"]), holds


def test_an_audience_is_one_card_with_cancel_all(
    ui_home: Path, hold_policy: Path, seeded: Signoff
) -> None:
    thread, holds = approved_audience(seeded)
    at = open_app(SCHEDULED)
    assert not at.exception
    first = min(holds, key=lambda h: h["release_at"])
    assert {f"cancel-group-{first['id']}", f"send-group-{first['id']}"} <= keys(at)
    assert at.button(key=f"cancel-group-{first['id']}").label == "Cancel all 4"
    assert not [k for k in keys(at) if k.startswith("send-now-")]  # no card per recipient
    assert len(at.metric) == 1
    page = texts(at)
    assert "× 4" in page and "and 1 more" in page
    assert {f"cancel-{h['id']}" for h in holds} <= keys(at)  # each one, in "Each of the 4"

    at.button(key=f"cancel-group-{first['id']}").click().run()
    assert not at.exception
    said = [a.value for a in [*at.success, *at.info] if "Cancelled" in a.value]
    assert said == ["Cancelled — 4 emails will not go out."], said
    assert seeded.holds() == []
    outcomes = [o for o in seeded.campaign(thread)["outcomes"] if o["name"] == "send_email"]
    assert [o["status"] for o in outcomes] == ["cancelled"] * 4
    assert "Nothing is scheduled" in texts(at)
    assert maildir(ui_home) == []


def test_one_of_an_audience_can_be_cancelled_and_the_rest_sent_now(
    ui_home: Path, hold_policy: Path, seeded: Signoff
) -> None:
    thread, holds = approved_audience(seeded)
    ann = next(h for h in holds if h["args"]["to"] == "ann@example.com")
    at = open_app(SCHEDULED)
    at.button(key=f"cancel-{ann['id']}").click().run()
    assert not at.exception
    assert len(seeded.holds()) == 3
    [first] = [k for k in keys(at) if k.startswith("send-group-")]
    assert at.button(key=first).label == "Send all 3 now"
    at.button(key=first).click().run()
    assert not at.exception
    assert seeded.holds() == []
    assert sorted(m["To"] for m in maildir(ui_home)) == [
        "bob@example.com",
        "cy@example.com",
        "dee@example.com",
    ]
