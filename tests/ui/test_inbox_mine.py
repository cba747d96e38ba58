"""The Inbox's "Only what I can decide" filter: with a team in the policy, each person can narrow
the inbox to the drafts their roles let them decide; local mode has no such switch."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes import ScriptedChatModel
from policy_support import drop_holds, write_policy
from ui_support import BRIEF, open_app, present, texts

from graphs.runtime import Signoff

INBOX = "views/inbox.py"
ANN, CAT, DAN = "ann@example.com", "cat@example.com", "dan@example.com"


@pytest.fixture
def team(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ui_home: Path) -> Iterator[Signoff]:
    def edit(doc: dict[str, Any]) -> None:
        drop_holds(doc)
        doc["people"] = {ANN: ["marketer"], CAT: ["admin", "budget_owner"], DAN: ["viewer"]}
        doc["authority"]["logins"] = {"ann": ANN, "cat": CAT, "dan": DAN}
        doc["authority"]["approve"] = [
            {"action": "*", "roles": ["marketer"]},
            {"action": "spend_ads", "roles": ["admin"]},
        ]

    monkeypatch.setenv("SIGNOFF_POLICY", str(write_policy(tmp_path / "team.yaml", edit)))
    runtime = Signoff(ui_home, model=ScriptedChatModel())
    yield runtime
    runtime.close()


def test_only_what_i_can_decide(
    ui_home: Path, team: Signoff, monkeypatch: pytest.MonkeyPatch
) -> None:
    team.start({**BRIEF, "channels": ["social"]}, by="ann")
    team.start({**BRIEF, "channels": ["ads"], "ad_budget": 150}, by="ann")
    items = {i["action"]: i["id"] for i in team.pending()}
    assert set(items) == {"publish_post", "spend_ads"}
    monkeypatch.setenv("SIGNOFF_USER", "ann")
    at = open_app(INBOX)
    assert not at.exception
    assert present(at, f"card-{items['publish_post']}") and present(
        at, f"card-{items['spend_ads']}"
    )
    at.toggle(key="inbox-filter-mine").set_value(True).run()
    assert not at.exception
    assert present(at, f"card-{items['publish_post']}")
    assert not present(at, f"card-{items['spend_ads']}")
    assert "1 action waiting for your sign-off" in texts(at)

    monkeypatch.setenv("SIGNOFF_USER", "cat")
    at = open_app(INBOX)
    at.toggle(key="inbox-filter-mine").set_value(True).run()
    assert not at.exception
    assert present(at, f"card-{items['spend_ads']}")
    assert not present(at, f"card-{items['publish_post']}")

    monkeypatch.setenv("SIGNOFF_USER", "dan")
    at = open_app(INBOX)
    at.toggle(key="inbox-filter-mine").set_value(True).run()
    assert not at.exception
    assert "Nothing waiting matches these filters." in texts(at)


def test_local_mode_has_no_such_switch(ui_home: Path, seeded: Signoff) -> None:
    seeded.start({**BRIEF, "channels": ["social"]})
    at = open_app(INBOX)
    assert not at.exception
    assert not present(at, "inbox-filter-mine")
