"""A campaign whose checkpoints were pruned still shows its history on the Campaign page."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ui_support import BRIEF, open_app, texts

from graphs.runtime import Signoff

CAMPAIGN = "views/campaign.py"


def test_pruned_campaign_page_shows_what_happened(ui_home: Path, seeded: Signoff) -> None:
    result = seeded.start(dict(BRIEF))
    thread = result["thread_id"]
    by_action = {p["action"]: p for p in result["pending"]}
    seeded.decide(by_action["send_email"]["id"], {"type": "approve"}, by="ann")
    seeded.decide(
        by_action["publish_post"]["id"], {"type": "reject", "reason": "Bad timing"}, by="bob"
    )
    assert seeded.prune(0) == [thread]
    with sqlite3.connect(ui_home / "signoff.db") as conn:
        rows = conn.execute("SELECT COUNT(*) FROM checkpoints WHERE thread_id = ?", (thread,))
        assert rows.fetchone()[0] == 0
    at = open_app(CAMPAIGN, thread=thread)
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Waiting for you": "0", "Went out": "1", "Rejected": "1", "Decisions": "2"}
    page = texts(at)
    assert "Done" in page and BRIEF["product"] in page
    assert "Social post rejected: **Bad timing**" in page
    assert list(at.table[0].value["Who"]) == ["ann", "bob"]
