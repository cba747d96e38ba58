"""Authority in the policy file: who may decide, thresholds, quorum, separation of duties,
permissions; every refusal audited; approvals bound to the content hash that was seen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fakes import ScriptedChatModel
from policy_support import drop_holds, shipped, write_policy
from support import run, run_json

from graphs.errors import DraftChanged, InvalidInput, NotAllowed
from graphs.policy import load_policy, parse_policy
from graphs.runtime import Signoff

ANN = "ann@example.com"  # marketer: starts campaigns
BOB = "bob@example.com"  # marketer and budget owner
CAT = "cat@example.com"  # budget owner and admin
DAN = "dan@example.com"  # a viewer: no role that decides anything


def team(doc: dict[str, Any]) -> None:
    drop_holds(doc)
    doc["actions"]["spend_ads"]["limits"].update(budget_per_day=5000, budget_per_campaign=5000)
    doc["people"] = {
        ANN: ["marketer"],
        BOB: ["marketer", "budget_owner"],
        CAT: ["budget_owner", "admin"],
        DAN: ["viewer"],
    }
    doc["authority"]["logins"] = {"ann": ANN}


@pytest.fixture
def runtime(home: Path, tmp_path: Path, model: ScriptedChatModel) -> Iterator[Signoff]:
    policy = write_policy(tmp_path / "team.yaml", team)
    s = Signoff(home, model=model, policy_path=policy)
    yield s
    s.close()


def spend(s: Signoff, amount: float, by: str = ANN) -> dict[str, Any]:
    brief = {
        "product": "Brightloop 2 smart thermostat",
        "audience": "homeowners with high heating bills",
        "goal": "pre-orders before winter",
        "channels": ["ads"],
        "ad_budget": amount,
    }
    summary = s.start(brief, by=by)
    (item,) = [p for p in summary["pending"] if p["action"] == "spend_ads"]
    return item


def refusals(s: Signoff) -> list[dict[str, Any]]:
    return s.activity(event="authority.refused")


def test_the_author_is_not_enough_alone_for_a_spend_and_a_budget_owner_completes_it(
    runtime: Signoff,
) -> None:
    item = spend(runtime, 150)
    seen = {"type": "approve", "seen": item["content_hash"]}
    first = runtime.decide(item["id"], dict(seen), by=ANN)
    assert item["id"] in first["waiting_for"]
    result = runtime.decide(item["id"], dict(seen), by=BOB)
    assert item["id"] not in [p["id"] for p in result["pending"]]
    recorded = runtime.store.decision(item["id"])
    assert recorded is not None and recorded["by"] == BOB
    (entry,) = runtime.activity(event="decision.recorded", thread_id=item["thread_id"])
    assert entry["detail"]["approvers"] == [ANN, BOB]
    assert entry["detail"]["content_hash"] == item["content_hash"]
    (endorsed,) = runtime.activity(event="decision.endorsed")
    assert endorsed["actor"] == ANN and "campaign's author" in endorsed["detail"]["still_needs"][0]


def test_the_authors_approval_alone_leaves_the_spend_pending(runtime: Signoff) -> None:
    item = spend(runtime, 150)
    (summary,) = runtime.decide_many({item["id"]: {"type": "approve"}}, by=ANN)
    assert [p["id"] for p in summary["pending"]] == [item["id"]]
    assert "someone other than the campaign's author" in summary["waiting_for"][item["id"]][0]
    assert runtime.store.decision(item["id"]) is None
    with pytest.raises(NotAllowed, match="already approved"):
        runtime.decide(item["id"], {"type": "approve"}, by="ann")  # her login: the same person
    assert runtime.store.decision(item["id"]) is None


def test_above_500_needs_a_budget_owner(runtime: Signoff) -> None:
    item = spend(runtime, 700, by=BOB)  # Bob started it; Ann is a marketer, not a budget owner
    (summary,) = runtime.decide_many({item["id"]: {"type": "approve"}}, by=ANN)
    assert (
        "needs a budget owner: bob@example.com, cat@example.com"
        in summary["waiting_for"][item["id"]]
    )
    runtime.decide(item["id"], {"type": "approve"}, by=CAT)
    assert runtime.store.decision(item["id"])["by"] == CAT  # type: ignore[index]


def test_above_1000_needs_two_different_people(runtime: Signoff) -> None:
    item = spend(runtime, 1200, by=ANN)
    (summary,) = runtime.decide_many({item["id"]: {"type": "approve"}}, by=CAT)
    assert any("2 different people" in m for m in summary["waiting_for"][item["id"]])
    with pytest.raises(NotAllowed, match="one person counts once"):
        runtime.decide(item["id"], {"type": "approve"}, by=CAT)
    runtime.decide(item["id"], {"type": "approve"}, by=BOB)
    assert runtime.store.decision(item["id"])["by"] == BOB  # type: ignore[index]


def test_someone_without_a_deciding_role_is_refused_and_the_attempt_audited(
    runtime: Signoff,
) -> None:
    item = spend(runtime, 150)
    for decision in ({"type": "approve"}, {"type": "reject", "reason": "no"}):
        with pytest.raises(NotAllowed, match="may not decide this"):
            runtime.decide(item["id"], decision, by=DAN)
    with pytest.raises(NotAllowed):
        runtime.decide(item["id"], {"type": "approve"}, by="mallory@evil.example")
    assert runtime.store.decision(item["id"]) is None
    assert [r["actor"] for r in refusals(runtime)] == ["mallory@evil.example", DAN, DAN]
    view = runtime.pending(person=DAN)[0]["authority"]
    assert view["can_decide"] is False and BOB in view["who"]


def test_an_edit_must_be_enough_alone(runtime: Signoff) -> None:
    item = spend(runtime, 150)
    with pytest.raises(NotAllowed, match="An edit is an approval of the edited version"):
        runtime.decide(item["id"], {"type": "edit", "args": {"amount": 140}}, by=ANN)  # author
    with pytest.raises(NotAllowed, match="2 different people"):
        runtime.decide(item["id"], {"type": "edit", "args": {"amount": 1200}}, by=CAT)
    runtime.decide(item["id"], {"type": "edit", "args": {"amount": 600}}, by=CAT)
    assert runtime.store.decision(item["id"])["decision"]["args"]["amount"] == 600  # type: ignore[index]


def test_the_author_may_reject_alone(runtime: Signoff) -> None:
    item = spend(runtime, 150)
    runtime.decide(item["id"], {"type": "reject", "reason": "too early"}, by=ANN)
    assert runtime.store.decision(item["id"])["decision"]["type"] == "reject"  # type: ignore[index]


def test_permissions_are_checked_and_refusals_audited(runtime: Signoff) -> None:
    with pytest.raises(NotAllowed, match="may not start a campaign"):
        spend(runtime, 100, by=DAN)
    with pytest.raises(NotAllowed, match="settle an in-doubt send"):
        runtime.settle("nokey", "mark_sent", by=ANN)
    with pytest.raises(NotAllowed, match="promote"):
        runtime.promote("publish_page", "cms", by=BOB)
    with pytest.raises(NotAllowed, match="undo"):
        runtime.undo("nokey", by=DAN)
    with pytest.raises(NotAllowed, match="add knowledge"):
        runtime.authorize(DAN, "add_knowledge", "add knowledge")
    assert len(refusals(runtime)) == 5
    assert runtime.authorize("ann", "add_knowledge", "add knowledge") == ANN


def test_a_decision_on_a_changed_draft_is_refused(runtime: Signoff) -> None:
    item = spend(runtime, 150)
    with pytest.raises(DraftChanged, match="this draft changed since you opened it"):
        runtime.decide(item["id"], {"type": "approve", "seen": "0" * 64}, by=BOB)
    assert runtime.store.decision(item["id"]) is None


def test_an_approval_of_a_version_that_was_redrafted_is_refused(runtime: Signoff) -> None:
    brief = {
        "product": "Brightloop 2 smart thermostat",
        "audience": "homeowners with high heating bills",
        "goal": "pre-orders before winter",
        "channels": ["email"],
        "to": "pat@example.com",
    }
    (old,) = runtime.start(brief, by=ANN)["pending"]
    # Cat opens it; meanwhile Bob sends it back and the writer redrafts it.
    runtime.decide(old["id"], {"type": "revise", "feedback": "mention the price"}, by=BOB)
    (new,) = runtime.pending()
    assert new["action_id"] == old["action_id"] and new["content_hash"] != old["content_hash"]
    with pytest.raises(DraftChanged, match="this draft changed since you opened it"):
        runtime.decide(old["id"], {"type": "approve", "seen": old["content_hash"]}, by=CAT)
    assert runtime.store.decision(new["id"]) is None
    runtime.decide(new["id"], {"type": "approve", "seen": new["content_hash"][:8]}, by=CAT)
    (entry,) = [
        e
        for e in runtime.activity(event="decision.recorded")
        if e["detail"]["interrupt_id"] == new["id"]
    ]
    assert entry["detail"]["content_hash"] == new["content_hash"] and entry["actor"] == CAT


def test_a_too_short_hash_is_refused(runtime: Signoff) -> None:
    item = spend(runtime, 150)
    with pytest.raises(InvalidInput, match="at least 8"):
        runtime.decide(item["id"], {"type": "approve", "seen": "ab"}, by=BOB)


def test_local_mode_the_user_is_everything(signoff: Signoff) -> None:
    assert signoff.policy.authority.open
    assert signoff.identity("whoever")["roles"] == ["every role"]
    summary = signoff.start(
        {
            "product": "Brightloop 2 smart thermostat",
            "audience": "homeowners",
            "goal": "pre-orders",
            "channels": ["ads"],
            "ad_budget": 150,
        },
        by="whoever",
    )
    (item,) = summary["pending"]
    signoff.decide(item["id"], {"type": "approve", "seen": item["content_hash"]}, by="whoever")
    assert signoff.store.decision(item["id"])["by"] == "whoever"  # type: ignore[index]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda a: a["logins"].update(zed="zed@example.com"), "the email of someone under"),
        (
            lambda a: a["approve"].append({"action": "*", "roles": ["budget_ownr"]}),
            "at least one role someone under `people` holds",
        ),
        (
            lambda a: a["thresholds"].append({"action": "spend_ads", "above": 10, "quorum": 9}),
            "at most the 4 people",
        ),
        (
            lambda a: a["thresholds"].append({"action": "send_mail", "above": 10, "quorum": 2}),
            "an action type",
        ),
        (lambda a: a["permissions"].pop("settle"), "permissions.settle"),
        (lambda a: a["permissions"].update(fly=["admin"]), "permissions.fly"),
        (lambda a: a["logins"].update({ANN: ANN}), "a user name, not an email"),
        (lambda a: a["separation_of_duties"].update(tiers=["extreme"]), "risk tiers"),
    ],
)
def test_a_bad_authority_section_is_refused_on_load(edit: Any, message: str) -> None:
    doc = shipped()
    team(doc)
    edit(doc["authority"])
    with pytest.raises(InvalidInput, match=message):
        parse_policy(yaml.safe_dump(doc), "team.yaml")


@pytest.mark.parametrize(
    ("people", "message"),
    [
        ({"not-an-email": ["marketer"]}, "is not an email"),
        ({ANN: "Marketer!"}, "role names"),
        (["ann@example.com"], "a mapping of emails"),
    ],
)
def test_a_bad_people_section_is_refused_on_load(people: Any, message: str) -> None:
    doc = shipped()
    doc["people"] = people
    with pytest.raises(InvalidInput, match=message):
        parse_policy(yaml.safe_dump(doc), "team.yaml")


def test_the_shipped_policy_is_local_mode() -> None:
    assert load_policy().authority.open


def test_cli_records_the_os_user_and_by_cannot_speak_for_someone_else(
    cli_home: Path,
    tmp_path: Path,
    fake_model: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    policy = write_policy(tmp_path / "team.yaml", team)
    monkeypatch.setenv("SIGNOFF_POLICY", str(policy))
    monkeypatch.setenv("SIGNOFF_USER", "ann")
    code, started, _ = run_json(
        capsys, "new", "--brief", "product: Brightloop\naudience: homeowners\ngoal: pre-orders",
        "--channels", "ads", "--ad-budget", "150", "-q",
    )  # fmt: skip
    assert code == 0, started
    (item,) = started["pending"]
    code, out, err = run(capsys, "decide", item["id"], "approve", "--by", BOB)
    assert code == 2 and "--by" in (out + err)
    code, result, _ = run_json(
        capsys, "decide", item["id"], "approve", "--seen", item["content_hash"][:12]
    )
    assert code == 0 and item["id"] in result["waiting_for"]
    monkeypatch.setenv("SIGNOFF_USER", "dan@example.com")
    code, out, err = run(capsys, "decide", item["id"], "approve")
    assert code == 7 and "may not decide this" in (out + err)
    monkeypatch.setenv("SIGNOFF_USER", BOB)
    code, out, err = run(capsys, "decide", item["id"], "approve", "--seen", "deadbeefdeadbeef")
    assert code == 3 and "this draft changed since you opened it" in (out + err)
    code, result, _ = run_json(capsys, "decide", item["id"], "approve", "--by", BOB)
    assert code == 0 and result["pending"] == []
    code, audit, _ = run_json(capsys, "audit", "--event", "decision.recorded")
    assert audit[0]["actor"] == BOB and audit[0]["detail"]["approvers"] == [ANN, BOB]


def test_hold_actions_need_their_permission(
    home: Path, tmp_path: Path, model: ScriptedChatModel
) -> None:
    def held(doc: dict[str, Any]) -> None:
        team(doc)
        doc["actions"]["spend_ads"]["hold_seconds"] = 600

    s = Signoff(home, model=model, policy_path=write_policy(tmp_path / "held.yaml", held))
    try:
        item = spend(s, 150)
        s.decide(item["id"], {"type": "approve"}, by=BOB)
        (hold,) = s.holds()
        assert hold["approved_by"] == BOB
        for call in (s.cancel, s.send_now):
            with pytest.raises(NotAllowed, match="may not (cancel|send) a held action"):
                call(hold["id"], by=DAN)
        assert len(refusals(s)) == 2 and s.store.decision(hold["id"]) is None
        s.cancel(hold["id"], by="ann", reason="not this week")
        assert s.store.decision(hold["id"])["by"] == ANN  # type: ignore[index]
    finally:
        s.close()
