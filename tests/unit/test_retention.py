"""Retention: `signoff prune` removes finished campaigns' checkpoints; history stays."""

from __future__ import annotations

import sqlite3

import pytest
from support import run, run_json

from graphs.errors import InvalidInput
from graphs.runtime import Signoff


def checkpoint_rows(home, thread_id: str) -> int:
    with sqlite3.connect(home / "signoff.db") as conn:
        return sum(
            conn.execute(
                f"SELECT COUNT(*) FROM {table} WHERE thread_id = ?", (thread_id,)
            ).fetchone()[0]
            for table in ("checkpoints", "writes")
        )


def test_prune_keeps_audit_outbox_and_history(signoff: Signoff, brief, home, capsys):
    finished = signoff.start(brief)
    for item in finished["pending"]:
        signoff.decide(item["id"], {"type": "approve"}, by="ann")
    thread_id = finished["thread_id"]
    waiting = signoff.start(brief)["thread_id"]
    before = signoff.campaign(thread_id)
    audit_before = len(signoff.activity(thread_id=thread_id))
    assert before["status"] == "done" and checkpoint_rows(home, thread_id) > 0

    # nothing is 90 days old yet
    code, out, _ = run_json(capsys, "prune", "--older-than", "90d", "--home", str(home))
    assert code == 0 and out["pruned"] == []
    assert signoff.prune(0, dry_run=True) == [thread_id]
    assert checkpoint_rows(home, thread_id) > 0

    assert signoff.prune(0, by="ops") == [thread_id]  # finished campaigns only
    assert checkpoint_rows(home, thread_id) == 0
    assert checkpoint_rows(home, waiting) > 0
    assert signoff.prune(0) == []  # once

    after = signoff.campaign(thread_id)
    for key in ("actions", "outcomes", "evidence", "decisions", "executed"):
        assert after[key] == before[key], key
    assert len(after["audit"]) == audit_before + 1
    assert after["audit"][0]["event"] == "campaign.pruned" and after["audit"][0]["actor"] == "ops"
    assert len(signoff.store.outbox(thread_id)) == 2
    assert signoff.audit_verify()["ok"]
    code, shown, _ = run(capsys, "show", thread_id, "--home", str(home))
    assert code == 0 and "send_email" in shown and "ann: approve" in shown

    # the campaign still waiting goes on as before
    for item in signoff.pending(waiting):
        signoff.decide(item["id"], {"type": "reject", "reason": "later"})
    assert signoff.campaign(waiting)["status"] == "done"


def test_prune_refuses_a_bad_age(signoff: Signoff, home, capsys):
    with pytest.raises(InvalidInput, match="90d"):
        signoff.prune("ninety days")
    code, out, _ = run_json(capsys, "prune", "--older-than", "soon", "--home", str(home))
    assert code == 2 and "Nothing was pruned" in out["message"]


def test_prune_refuses_an_age_without_its_unit(signoff: Signoff, brief, home, capsys):
    started = signoff.start(brief)
    for item in started["pending"]:
        signoff.decide(item["id"], {"type": "reject", "reason": "not now"}, by="ann")
    thread_id = started["thread_id"]
    assert signoff.campaign(thread_id)["status"] == "done"
    with pytest.raises(InvalidInput, match="Did you mean 90d"):
        signoff.prune("90")
    code, out, _ = run_json(capsys, "prune", "--older-than", "0", "--home", str(home))
    assert code == 2 and "Did you mean 0d" in out["message"]
    assert signoff.prune("0s", dry_run=True) == [thread_id]  # nothing was pruned by the refusals
