"""Which approvals wait for another run of their campaign to end (graphs/waiting_turn.py): an
approval recorded while a redraft runs waits for it; an approval whose own run is going does
not; what the busy run does, in words, from its progress lines."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fakes import ScriptedChatModel

from graphs.runtime import Signoff
from graphs.waiting_turn import busy_with


def test_what_a_run_is_busy_with_in_words() -> None:
    def job(kind: str, *messages: str) -> dict[str, object]:
        return {"kind": kind, "payload": {"progress": [{"message": m} for m in messages]}}

    redraft = job("apply", "Redrafting the social post with your feedback… (0 s)")
    assert busy_with(redraft) == "redrafting the social post"
    redrafted = job(
        "apply",
        "Redrafting the social post with your feedback… (0 s)",
        "Redrafted the social post with your feedback; it comes back for review",
    )
    assert busy_with(redrafted) == "carrying out earlier decisions"
    drafts = job(
        "start",
        "Drafting the social post and the email, each on its own",
        "Drafting the email… (0 s)",
        "Drafting the social post… (0 s)",
        "Drafted the email in 12 s (checked once by the AI reviewer; nothing left to fix)",
    )
    assert busy_with(drafts) == "drafting the social post"
    assert busy_with(job("apply")) == "carrying out earlier decisions"
    assert busy_with(job("start", "Found 6 passages")) == "researching and drafting"


@pytest.mark.usefixtures("database")
def test_an_approval_waits_only_behind_a_run_that_began_before_it(
    home: Path, brief: dict[str, str]
) -> None:
    with Signoff(home, model=ScriptedChatModel()) as direct:
        pending = {p["action"]: p for p in direct.start(dict(brief))["pending"]}
    with Signoff(home, model=ScriptedChatModel(), recover=False, queued=True) as page:
        page.decide(pending["publish_post"]["id"], {"type": "revise", "feedback": "Shorter."})
        redraft = page.store.claim_job("worker-1")  # the redraft's run, going for a while
        assert redraft is not None
        line = {"at": time.time(), "step": "writer"}
        line["message"] = "Redrafting the social post with your feedback… (0 s)"
        page.store.note_job(
            redraft["id"], "worker-1", {"started_at": time.time() - 30, "progress": [line]}
        )
        assert page.approvals_waiting() == []  # a send-back is no approval
        page.decide(pending["send_email"]["id"], {"type": "approve"})
        [waiting] = page.approvals_waiting()
        assert waiting["id"] == pending["send_email"]["id"]
        assert (waiting["title"], waiting["busy"]) == ("Send email", "redrafting the social post")
        assert waiting["job"] == redraft["id"] and page.approvals_waiting("elsewhere") == []
        # the redraft ends; the approval's own run begins: it waits for nothing now
        assert page.store.finish_job(redraft["id"], "worker-1", "done")
        own = page.store.claim_job("worker-1")
        assert own is not None and own["id"] != redraft["id"]
        page.store.note_job(own["id"], "worker-1", {"started_at": time.time(), "progress": []})
        assert page.approvals_waiting() == []
