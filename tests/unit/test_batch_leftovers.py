"""An audience batch follows the single review's rules where a person meets them: it is
reminded once before it expires and expires like one review (its contacts show the expiry);
cancel / send now on one contact's id acts on the audience's one hold and says so."""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes import ScriptedChatModel
from policy_support import Clock

from graphs.errors import InvalidInput
from graphs.policy import DEFAULT_POLICY
from graphs.runtime import Signoff

CONTACTS = [{"email": f"p{i}@example.com", "name": f"Pat{i} Lee"} for i in range(1, 7)]
WEEK, DAY = 7 * 86400, 86400  # the shipped policy: an email (high risk) expires in 7 days


def sent(home: Path) -> list[str]:
    path = home / "maildir"
    return (
        sorted(str(m["To"]) for m in mailbox.Maildir(str(path), create=False))
        if path.exists()
        else []
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def runtime(home: Path, clock: Clock) -> Iterator[Signoff]:
    """The shipped policy (emails expire after 7 days, reminded a day before; held 300 s)."""
    s = Signoff(home, model=ScriptedChatModel(), policy_path=DEFAULT_POLICY, clock=clock)
    yield s
    s.close()


def start(s: Signoff, brief: dict[str, str]) -> tuple[str, str]:
    thread = str(s.start({**brief, "channels": ["email"]}, audience=CONTACTS)["thread_id"])
    [batch] = s.graph.get_state(s._config(thread)).interrupts
    return thread, batch.id


@pytest.mark.usefixtures("database")
def test_a_batch_is_reminded_once_and_expires_like_a_single_review(
    runtime: Signoff, brief: dict[str, str], clock: Clock, home: Path
) -> None:
    thread, batch = start(runtime, brief)
    items = runtime.pending()
    assert len(items) == len(CONTACTS)
    assert [i["expires_at"] for i in items] == [pytest.approx(clock.now + WEEK)] * len(items)
    assert not any(i["reminder"] for i in items)
    clock.advance(WEEK - DAY - 10)
    assert runtime.tick()["reminded"] == []
    clock.advance(20)
    assert runtime.tick()["reminded"] == [batch]  # the audience's one review, once
    assert runtime.tick()["reminded"] == []
    assert all(i["reminder"] for i in runtime.pending())
    page = runtime.inbox_page(1, 10)["items"]
    assert [i["reminder"] for i in page] == [True] and page[0]["expires_at"] is not None
    [note] = [n for n in runtime.notifications() if n["kind"] == "reminder"]
    assert "6 contacts" in note["title"] and "Expires in" in note["message"]
    assert [e["detail"]["interrupt_id"] for e in runtime.activity(event="review.reminder")] == [
        batch
    ]
    clock.advance(DAY)
    assert batch in runtime.tick()["expired"]
    outcomes = {o["action_id"]: o["status"] for o in runtime.campaign(thread)["outcomes"]}
    assert outcomes["email-batch"] == "expired"
    assert runtime.pending() == [] and runtime.holds() == [] and sent(home) == []


def approved_and_held(s: Signoff, brief: dict[str, str]) -> tuple[str, str, dict[str, Any]]:
    thread, batch = start(s, brief)
    s.decide_batch(thread, "audience", {"type": "approve"}, by="ann")
    [hold] = s.holds()
    return thread, batch, hold


def test_cancel_with_one_contact_s_id_cancels_the_audience_s_hold(
    runtime: Signoff, brief: dict[str, str], home: Path
) -> None:
    thread, batch, hold = approved_and_held(runtime, brief)
    contact = f"{batch}-3"
    assert runtime.resolve_hold(contact) == hold["id"]
    note = runtime.hold_note(contact, "cancel")
    assert note is not None and "contact 3" in note and "6 emails" in note
    assert "whole audience's hold is cancelled" in note
    runtime.cancel(contact, by="ann", reason="Wrong week")
    assert runtime.holds() == [] and sent(home) == []
    outcomes = {o["action_id"]: o["status"] for o in runtime.campaign(thread)["outcomes"]}
    assert outcomes["email-batch"] == "cancelled"
    assert runtime.hold_note(hold["id"]) is None  # a hold's own id needs no note


def test_send_now_with_one_contact_s_id_sends_the_whole_audience(
    runtime: Signoff, brief: dict[str, str], home: Path
) -> None:
    _, batch, hold = approved_and_held(runtime, brief)
    contact = f"{batch}-2"
    assert "is sent now" in str(runtime.hold_note(contact, "send-now"))
    runtime.send_now(contact, by="ann")
    assert sent(home) == sorted(c["email"] for c in CONTACTS)


def test_a_contact_rejected_on_its_own_is_not_in_the_hold(
    runtime: Signoff, brief: dict[str, str], home: Path
) -> None:
    thread, batch = start(runtime, brief)
    first = runtime.batch_ids(thread, "audience")[0]
    runtime.decide(first, {"type": "reject", "reason": "Wrong audience"}, by="ann")
    runtime.decide_batch(thread, "audience", {"type": "approve"}, by="ann")
    [hold] = runtime.holds()
    with pytest.raises(InvalidInput, match=f"rejected on its own.*{hold['id']}"):
        runtime.cancel(first, by="ann")
    assert runtime.holds() == [hold]  # nothing changed
