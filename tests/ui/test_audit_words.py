"""The audit trail on the Campaign and Activity pages reads as sentences, not raw JSON or
event keys (the CSV export and the "Technical details" switch keep every field)."""

from __future__ import annotations

import json
from pathlib import Path

from ui_support import BRIEF, open_app

from graphs.runtime import Signoff
from ui.audit_text import describe, event_label

CAMPAIGN = "views/campaign.py"
ACTIVITY = "views/activity.py"


def campaign_with_decisions(seeded: Signoff) -> str:
    result = seeded.start(dict(BRIEF))
    by_action = {p["action"]: p for p in result["pending"]}
    seeded.decide(by_action["send_email"]["id"], {"type": "approve", "checked": True}, by="ann")
    seeded.decide(
        by_action["publish_post"]["id"],
        {"type": "revise", "feedback": "Quote Tom from Denver by name"},
        by="ann",
    )
    return str(result["thread_id"])


def test_the_campaign_audit_trail_reads_as_sentences(ui_home: Path, seeded: Signoff) -> None:
    thread = campaign_with_decisions(seeded)
    at = open_app(CAMPAIGN, thread=thread)
    assert not at.exception
    [table] = [d.value for d in at.dataframe if "What happened" in d.value.columns]
    cells = [str(v) for column in table.columns for v in table[column]]
    assert not [c for c in cells if c.lstrip().startswith("{") or "interrupt" in c], cells
    assert not [c for c in table["Event"] if "." in c]  # no `decision.recorded`
    said = list(table["What happened"])
    assert "Approved the email" in said
    assert "Sent back the social post: “Quote Tom from Denver by name”" in said
    assert any(s.startswith("Brightloop 2 smart thermostat for Homeowners") for s in said)
    # the full id is one hover away, not printed in the header
    assert thread not in " ".join(c.value for c in at.caption)
    assert any(thread in (c.help or "") for c in at.caption)


def test_the_activity_audit_log_reads_as_sentences(ui_home: Path, seeded: Signoff) -> None:
    campaign_with_decisions(seeded)
    at = open_app(ACTIVITY)
    assert not at.exception
    [table] = [d.value for d in at.dataframe if "What happened" in d.value.columns]
    assert "Recorded" not in table.columns
    assert not [v for v in table["What happened"] if str(v).lstrip().startswith("{")]
    assert "Policy version" in " ".join(map(str, table["What happened"]))
    assert "/" not in " ".join(map(str, table["What happened"]))  # no file paths


def test_hostile_or_odd_details_never_break_the_sentence() -> None:
    odd = [
        {"event": "decision.recorded", "detail": {"decision": "approve", "action": 3}},
        {"event": "draft.reviewed", "detail": {"rounds": "many", "left": None}},
        {"event": "action.held", "detail": {"release_at": "soon", "action": {"name": None}}},
        {"event": "campaign.started", "detail": {"brief": ["not", "a", "dict"]}},
        {"event": "something.new_here", "detail": {"x": 1}},
        {"event": "action.failed", "detail": None},
        {"event": "decision.recorded", "detail": {"decision": {"feedback": "x" * 5000}}},
    ]
    for entry in odd:
        text = describe(entry)
        assert isinstance(text, str) and len(text) < 300, text
        assert "{" not in text
    assert event_label("something.new_here") == "Something new here"
    assert json.dumps(odd)  # the entries are left as they were


def test_a_held_email_names_its_recipient() -> None:
    entry = {
        "event": "action.held",
        "detail": {
            "action": {"name": "send_email", "args": {"to": "ann@example.com"}},
            "release_at": 0,
        },
    }
    assert describe(entry) == (
        "The email to ann@example.com was approved; it goes out at 1970-01-01 00:00 UTC "
        "unless cancelled"
    )
