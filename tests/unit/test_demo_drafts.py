"""bench/demo_drafts.py: what the demo brief's drafts leave for the reviewer, counted."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import ScriptedChatModel

from bench.demo_drafts import run, score, totals


@pytest.mark.parametrize(
    ("body", "stray"),
    [
        ("Hello,\n\nLeeds! We're excited to pre-order.", True),
        ("Hello,\n\nLeeds and Tom, Denver, welcome to our pre-order.", True),
        ("Hello,\n\nWe're excited to pre-order.", False),
        ("Hello,\n\nBrightloop 2 is here! It learns.", False),
    ],
)
def test_a_stray_greeting_name_is_counted(body: str, stray: bool) -> None:
    assert score({"action": "send_email", "args": {"body": body}})["stray_greeting"] is stray


def test_notes_quotes_and_rounds_are_counted() -> None:
    item = {
        "action": "send_email",
        "args": {"body": "Hello,\n\nIt works. “We saved $212 on heating.” — Tom, Denver."},
        "review_notes": [
            "Not in the facts: “Our gas bill…” (a customer's words (Maria, Leeds))",
            "A link nobody checked",
        ],
        "review_rounds": 3,
    }
    assert score(item) == {
        "action": "send_email",
        "restated_left": 1,
        "attributed": 1,
        "stray_greeting": False,
        "audience_opening": False,
        "rounds": 3,
        "notes": 2,
    }


@pytest.mark.parametrize(
    ("body", "opening"),
    [
        ("Hello,\n\nHomeowners with high heating bills! We are excited.", True),
        ("Hello,\n\nhomeowners, heating bills are rising.", True),
        ("Hello,\n\nHeating bills are rising for homeowners.", False),
    ],
)
def test_an_audience_opening_is_counted(body: str, opening: bool) -> None:
    assert score({"action": "send_email", "args": {"body": body}})["audience_opening"] is opening


def test_a_run_with_the_scripted_model(home: Path) -> None:
    rows = run(1, ScriptedChatModel())
    assert sorted(r["action"] for r in rows) == ["publish_post", "send_email"]
    total = totals(rows)
    assert total["drafts"] == 2 and len(total["seconds"]) == 1 and total["stray_greeting"] == 0
