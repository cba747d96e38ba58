"""The inbox's "who can decide" filter: a page, its counts and the CLI's `--mine` list exactly
the drafts the policy's authority lets the person decide (approve rules, thresholds on amounts),
the same ones the item's own `authority.can_decide` says yes to."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes import ScriptedChatModel
from policy_support import drop_holds, split_spend_authority, write_policy
from support import run, run_json

from graphs.authority import decidable
from graphs.runtime import Signoff

ANN = "ann@example.com"  # marketer: emails and posts, no spend
BOB = "bob@example.com"  # marketer and budget owner: emails, posts, spends above 500
CAT = "cat@example.com"  # admin: every spend, no email
DAN = "dan@example.com"  # viewer: nothing


def team(doc: dict[str, Any]) -> None:
    drop_holds(doc)
    doc["actions"]["spend_ads"]["limits"].update(budget_per_day=5000, budget_per_campaign=5000)
    doc["people"] = {
        ANN: ["marketer"],
        BOB: ["marketer", "budget_owner"],
        CAT: ["admin"],
        DAN: ["viewer"],
    }
    doc["authority"]["logins"] = {"ann": ANN}
    split_spend_authority(doc)


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    return write_policy(tmp_path / "team.yaml", team)


@pytest.fixture
def runtime(home: Path, policy: Path, model: ScriptedChatModel, database: str) -> Iterator[Signoff]:
    """On SQLite and on PostgreSQL (`database`)."""
    s = Signoff(home, model=model, policy_path=policy)
    yield s
    s.close()


def seed(s: Signoff, brief: dict[str, str]) -> None:
    s.start({**brief, "channels": ["email", "social"]}, by=ANN)
    for amount in (150, 800):
        s.start({**brief, "channels": ["ads"], "ad_budget": amount}, by=ANN)


def test_the_filter_lists_exactly_what_each_person_may_decide(
    runtime: Signoff, brief: dict[str, str]
) -> None:
    seed(runtime, brief)
    everything = runtime.pending_page(1, 100)["items"]
    assert {i["action"] for i in everything} == {"send_email", "publish_post", "spend_ads"}
    expected_actions = {
        ANN: {"send_email", "publish_post"},
        BOB: {"send_email", "publish_post", "spend_ads"},  # the spend of 800 only
        CAT: {"spend_ads"},
        DAN: set(),
    }
    for person, actions in expected_actions.items():
        allowed = {
            i["id"]
            for i in runtime.pending_page(1, 100, person=person)["items"]
            if i["authority"]["can_decide"]
        }
        page = runtime.inbox_page(1, 100, person=person, decider=person)
        one_by_one = runtime.pending_page(1, 100, decider=person)
        assert {i["id"] for i in page["items"]} == allowed, person
        assert {i["id"] for i in one_by_one["items"]} == allowed, person
        assert page["pending"] == one_by_one["pending"] == len(allowed), person
        assert page["entries"] == len(allowed), person
        assert runtime.pending_count(decider=person) == len(allowed), person
        assert {i["action"] for i in page["items"]} == actions, person
        assert all(i["authority"]["can_decide"] for i in page["items"]), person
    bob_spends = [
        i["args"]["amount"]
        for i in runtime.pending_page(1, 100, decider=BOB)["items"]
        if i["action"] == "spend_ads"
    ]
    assert bob_spends == [800]
    # the filter combines with the others
    assert runtime.pending_count(decider=ANN, channel="email") == 1
    assert runtime.pending_count(decider=CAT, channel="email") == 0


def test_in_local_mode_everyone_may_decide_everything(
    signoff: Signoff, brief: dict[str, str]
) -> None:
    signoff.start(brief)
    assert decidable(signoff.policy.authority, "anyone") is None
    everything = signoff.inbox_page(1, 50)
    mine = signoff.inbox_page(1, 50, decider="anyone")
    assert [i["id"] for i in mine["items"]] == [i["id"] for i in everything["items"]]
    assert mine["pending"] == everything["pending"] > 0


def test_cli_inbox_mine(
    cli_home: Path,
    policy: Path,
    model: ScriptedChatModel,
    brief: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SIGNOFF_POLICY", str(policy))
    with Signoff(cli_home, model=model, policy_path=policy) as s:
        seed(s, brief)
    monkeypatch.setenv("SIGNOFF_USER", "ann")  # an OS login standing for ann@example.com
    code, mine, _ = run_json(capsys, "inbox", "--mine")
    assert code == 0 and {i["action"] for i in mine} == {"send_email", "publish_post"}
    code, every, _ = run_json(capsys, "inbox")
    assert len(every) == len(mine) + 2
    monkeypatch.setenv("SIGNOFF_USER", DAN)
    code, out, _ = run(capsys, "inbox", "--mine")
    assert code == 0 and "Nothing is waiting that you may decide." in out
