"""The inbox says each person what they can decide and, for the rest, who can; the sidebar says
who you are. Local mode (no people in the policy) stays as it was: you hold every role."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fakes import ScriptedChatModel
from policy_support import drop_holds, write_policy
from ui_support import keys, open_app, texts

from graphs.runtime import Signoff

INBOX = "views/inbox.py"
ANN, BOB, DAN = "ann@example.com", "bob@example.com", "dan@example.com"
BRIEF = {
    "product": "Brightloop 2 smart thermostat",
    "audience": "homeowners",
    "goal": "pre-orders",
    "channels": ["ads"],
    "ad_budget": 150,
}


@pytest.fixture
def team(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ui_home: Path) -> Signoff:
    def edit(doc: dict[str, Any]) -> None:
        drop_holds(doc)
        doc["people"] = {ANN: ["marketer"], BOB: ["budget_owner", "admin"], DAN: ["viewer"]}
        doc["authority"]["logins"] = {"ann": ANN, "dan": DAN}

    monkeypatch.setenv("SIGNOFF_POLICY", str(write_policy(tmp_path / "team.yaml", edit)))
    return Signoff(ui_home, model=ScriptedChatModel())


def test_local_mode_you_hold_every_role(
    ui_home: Path, seeded: Signoff, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIGNOFF_USER", "sam")
    seeded.start(dict(BRIEF), by="sam")
    at = open_app(INBOX)
    assert not at.exception
    page = texts(at)
    assert "sam" in page and "local mode: you hold every role" in page
    assert "You cannot decide this" not in page and "Approved so far" not in page


def test_each_person_sees_what_they_can_decide_and_who_can(
    ui_home: Path, team: Signoff, monkeypatch: pytest.MonkeyPatch
) -> None:
    try:
        (item,) = team.start(dict(BRIEF), by="ann")["pending"]
        monkeypatch.setenv("SIGNOFF_USER", "dan")  # a viewer
        at = open_app(INBOX)
        assert not at.exception
        page = texts(at)
        assert f"**{DAN}** · viewer" in page
        assert "You cannot decide this" in page and BOB in page
        at.button(key=f"approve-{item['id']}").click().run()  # refused, and audited
        assert "may not decide this" in texts(at)
        assert team.activity(event="authority.refused")[0]["actor"] == DAN

        monkeypatch.setenv("SIGNOFF_USER", "ann")  # the author
        at = open_app(INBOX)
        assert "it then still needs someone other than the campaign" in texts(at)
        at.button(key=f"approve-{item['id']}").click().run()
        assert "Your approval is recorded" in texts(at)
        assert f"approve-{item['id']}" in keys(at)  # it still waits

        monkeypatch.setenv("SIGNOFF_USER", BOB)
        at = open_app(INBOX)
        assert f"Approved so far by {ANN}" in texts(at)
        assert "Your approval is enough" in texts(at)
        at.button(key=f"approve-{item['id']}").click().run()
        assert not at.exception and f"approve-{item['id']}" not in keys(at)
        recorded = team.store.decision(item["id"])
        assert recorded is not None and recorded["by"] == BOB
    finally:
        team.close()
