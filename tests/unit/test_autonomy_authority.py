"""Autonomy under authority: `approve all` is one decision in the track record, the promotion
suggestion names whose decisions earned it, and only an admin confirms a promotion."""

from __future__ import annotations

import pytest
from policy_support import drop_holds, write_policy

from graphs.autonomy import bulk_track, suggest
from graphs.errors import NotAllowed
from graphs.policy import load_policy
from graphs.runtime import Signoff

ANN, CAT = "ann@example.com", "cat@example.com"


def team(doc):  # type: ignore[no-untyped-def]
    drop_holds(doc)
    doc["people"] = {
        ANN: ["marketer"],
        "bob@example.com": ["marketer", "budget_owner"],
        CAT: ["budget_owner", "admin"],
    }
    doc["authority"]["separation_of_duties"]["tiers"] = []


def test_approve_all_on_a_batch_counts_once(signoff, brief):
    brief["channels"] = ["email"]
    contacts = [{"email": f"p{i}@example.com", "name": f"Pat{i} Lee"} for i in range(20)]
    items = signoff.start(brief, audience=contacts)["pending"]
    assert len(items) == 20
    signoff.decide_many({p["id"]: {"type": "approve"} for p in items})
    record = signoff.track_record("send_email")
    assert [r["outcome"] for r in record] == ["approved"]
    [row] = [r for r in signoff.autonomy() if r["action"] == "send_email"]
    assert row["record"]["total"] == 1 and row["suggestion"] is None


def test_bulk_with_one_rejection_counts_once_as_the_rejection(signoff, brief):
    brief["channels"] = ["email"]
    contacts = [{"email": f"p{i}@example.com", "name": f"Pat{i} Lee"} for i in range(5)]
    items = signoff.start(brief, audience=contacts)["pending"]
    decisions = {p["id"]: {"type": "approve"} for p in items}
    decisions[items[2]["id"]] = {"type": "reject", "reason": "wrong audience"}
    signoff.decide_many(decisions)
    assert [r["outcome"] for r in signoff.track_record("send_email")] == ["rejected"]


def test_bulk_track_groups_by_action_and_channel() -> None:
    groups = bulk_track(
        [
            ("a", "send_email", "email", "approved"),
            ("b", "send_email", "email", "edited"),
            ("c", "publish_post", "social", "approved"),
        ]
    )
    assert groups["a"] == groups["b"] == ("bulk:a", "edited")
    assert groups["c"] == ("bulk:c", "approved")


def test_suggestion_names_whose_decisions_earned_it() -> None:
    policy = load_policy()
    outcomes = ["approved"] * 16
    who = [ANN] * 12 + [CAT] * 4
    suggestion, why = suggest(policy, "publish_post", "supervised", outcomes, who)
    assert suggestion is not None and suggestion["earned_by"] == [(ANN, 12), (CAT, 4)]
    assert f"Earned by the decisions of {ANN} (12), {CAT} (4)." in why


def test_promotion_needs_the_admin_and_names_the_deciders(home, model, tmp_path, brief):
    policy = write_policy(tmp_path / "team.yaml", team)
    runtime = Signoff(home, model=model, policy_path=policy)
    try:
        brief["channels"] = ["social"]
        for _ in range(16):
            [post] = runtime.start(brief, by=ANN)["pending"]
            runtime.decide(post["id"], {"type": "approve"}, by=ANN)
        [row] = [r for r in runtime.autonomy() if r["action"] == "publish_post"]
        assert row["suggestion"]["to"] == "earned"
        assert row["suggestion"]["earned_by"] == [(ANN, 16)]
        with pytest.raises(NotAllowed):
            runtime.promote("publish_post", "social", by=ANN)
        refused = runtime.activity(event="authority.refused")
        assert refused and refused[0]["actor"] == ANN
        promoted = runtime.promote("publish_post", "social", by=CAT)
        assert promoted["level"] == "earned"
        [entry] = runtime.activity(event="autonomy.promoted")
        assert entry["actor"] == CAT and entry["detail"]["evidence"]["earned_by"] == [[ANN, 16]]
    finally:
        runtime.close()


def test_policy_change_needs_the_admin_and_is_signed_off(home, model, tmp_path):
    policy = write_policy(tmp_path / "team.yaml", team)
    runtime = Signoff(home, model=model, policy_path=policy)
    newer = policy.read_text().replace("version: 2026-11-21.1", "version: v2")
    try:
        with pytest.raises(NotAllowed):
            runtime.change_policy(newer, by=ANN)
        assert "v2" not in policy.read_text()
        changed = runtime.change_policy(newer, by=CAT)
        assert changed["version"] == "v2" and "version: v2" in policy.read_text()
        [entry] = runtime.activity(event="policy.changed")
        assert entry["actor"] == CAT and entry["detail"]["from"] != "v2"
    finally:
        runtime.close()
    with Signoff(home, model=model, policy_path=policy) as again:
        loaded = again.activity(event="policy.loaded", limit=1)[0]["detail"]
        assert loaded["version"] == "v2" and loaded["approved_by"] == CAT
    policy.write_text(policy.read_text().replace("version: v2", "version: v3"))
    with Signoff(home, model=model, policy_path=policy) as edited:
        loaded = edited.activity(event="policy.loaded", limit=1)[0]["detail"]
        assert loaded["version"] == "v3" and loaded["approved_by"] is None
