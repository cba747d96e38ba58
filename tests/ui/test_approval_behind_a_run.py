"""An approval recorded while another run of the same campaign is going (one worker redrafting a
sent-back post) waits for that run: one run per campaign. The Inbox used to flash "scheduled: it
goes out in 10 min" while nothing was scheduled for a minute, and the Scheduled page showed
nothing. Both now say the approval is recorded and scheduled as soon as the redraft finishes."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from fakes import ScriptedChatModel, default_answer
from ui_support import BRIEF, PageWorker, open_app, runs, texts

from graphs.runtime import Signoff


def held_redraft(begun: threading.Event, release: threading.Event) -> Any:
    """The worker's model: it redrafts the social post only once the test lets it."""

    def slow_redraft(schema: Any, prompt: str) -> dict[str, Any]:
        begun.set()
        assert release.wait(60), "the test never let the redraft finish"
        return default_answer(schema, prompt)

    slow_redraft.schemas = ("PostDraft",)  # type: ignore[attr-defined]
    return slow_redraft


def test_an_approval_behind_a_redraft_says_it_waits_for_the_redraft(
    ui_home: Path, hold_policy: Path, seeded: Signoff, page_worker: PageWorker
) -> None:
    pending = {p["action"]: p for p in seeded.start(dict(BRIEF))["pending"]}
    begun, release = threading.Event(), threading.Event()
    slow_redraft = held_redraft(begun, release)
    # the one worker: busy redrafting the post the marketer sent back
    worker = Signoff(
        ui_home, model=ScriptedChatModel(script=[slow_redraft]), recover=False, queued=True
    )
    page_worker.enabled = False  # no other worker: the approval's run waits in the queue
    worker.decide(pending["publish_post"]["id"], {"type": "revise", "feedback": "Shorter."})
    busy = threading.Thread(target=worker.work_once, args=("the-one-worker",))
    busy.start()
    try:
        assert begun.wait(60)
        email = pending["send_email"]
        at = open_app("views/inbox.py")
        at.button(key=f"approve-{email['id']}").click().run()
        assert not at.exception
        said = " ".join(str(a.value) for a in at.info)
        assert "is scheduled: it goes out in" not in said, said
        assert "your approval of Send email is recorded" in said, said
        assert "still redrafting the social post" in said, said
        assert "scheduled as soon as that finishes" in said, said
        assert seeded.holds() == []  # truly not scheduled yet
        boxes = runs(at)
        assert any(
            "Carrying out your decisions — waiting for this campaign's current run" in r
            for r in boxes
        ), boxes
        [waiting] = seeded.approvals_waiting()
        assert (waiting["id"], waiting["busy"]) == (email["id"], "redrafting the social post")

        page = open_app("views/scheduled.py")
        assert not page.exception
        shown = texts(page)
        assert "Send email" in shown and "approved, not scheduled yet" in shown, shown
        assert "still redrafting the social post" in shown, shown
        assert "Nothing is scheduled" not in shown, shown
    finally:
        release.set()
        busy.join(60)
        worker.close()
    page_worker.enabled = True  # the worker takes the approval's run now
    page.run()
    assert not page.exception
    assert seeded.approvals_waiting() == []
    [hold] = seeded.holds()
    assert hold["action"] == "send_email"
    shown = texts(page)
    assert "not scheduled yet" not in shown and f"cancel-{hold['id']}" in {
        b.key for b in page.button
    }


CONTACTS = [
    {"email": f"{name.lower()}@example.com", "name": name, "company": company}
    for name, company in [("Ann", "Acme"), ("Bob", "Bolt"), ("Cy", "Cork")]
]


def test_approve_all_behind_a_redraft_says_it_waits_once_per_campaign(
    ui_home: Path, hold_policy: Path, seeded: Signoff, page_worker: PageWorker
) -> None:
    """ "Approve all" on an audience while the same campaign redrafts its social post: the
    approvals are recorded, and the page says, in one line for the campaign (not one per
    contact), that they are scheduled as soon as the campaign finishes redrafting."""
    started = seeded.start(dict(BRIEF), audience=CONTACTS)
    pending = started["pending"]
    post = next(p for p in pending if p["action"] == "publish_post")
    emails = [p for p in pending if p["action"] == "send_email"]
    assert len(emails) == len(CONTACTS) and len({e["batch"] for e in emails}) == 1
    begun, release = threading.Event(), threading.Event()
    slow_redraft = held_redraft(begun, release)
    worker = Signoff(
        ui_home, model=ScriptedChatModel(script=[slow_redraft]), recover=False, queued=True
    )
    page_worker.enabled = False
    worker.decide(post["id"], {"type": "revise", "feedback": "Shorter."})
    busy = threading.Thread(target=worker.work_once, args=("the-one-worker",))
    busy.start()
    try:
        assert begun.wait(60)
        at = open_app("views/inbox.py")
        batch = f"{started['thread_id'][:8]}-{emails[0]['batch']}"
        at.button(key=f"batch-approve-{batch}").click().run()
        assert not at.exception
        said = [str(a.value) for a in at.info]
        joined = " ".join(said)
        assert "runs in the background" not in joined, said
        line = f"{BRIEF['product']}: 3 approved drafts are scheduled as soon as the campaign "
        assert joined.count(line) == 1, said
        assert "finishes redrafting the social post" in joined, said
        assert "wait 10 min" in joined, said  # the hold_policy's window, after the redraft
        assert seeded.holds() == []
    finally:
        release.set()
        busy.join(60)
        worker.close()
    page_worker.enabled = True
