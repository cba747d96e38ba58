"""What the graph says to a marketer counts in words: "1 claim is not supported", "2 claims
are not supported", never "claim(s)"; the writer's AI review as the page shows it, never
"(1 AI review rounds, 0 issue(s) left)"."""

from __future__ import annotations

from typing import Any

import pytest

from graphs.humanize import ai_review
from graphs.policy import Facts, load_policy, route


def _facts(**kw: Any) -> Facts:
    facts: dict[str, Any] = {
        "action": "send_email",
        "channel": "email",
        "level": None,
        "writer_confidence": 0.95,
        "claims": 3,
        "unsupported": 0,
        "policy_words": [],
        "first_contact": False,
        "flagged_sources": 0,
        "over_limit": None,
        "over_daily_limit": False,
        "invalid": None,
        "placeholders": [],
        "revision": 0,
    }
    return Facts(**{**facts, **kw})  # type: ignore[typeddict-item]


@pytest.mark.parametrize(
    ("unsupported", "flagged", "said"),
    [
        (1, 0, "1 claim is not supported by the cited evidence"),
        (2, 0, "2 claims are not supported by the cited evidence"),
        (2, 1, "1 source contains instructions"),
        (2, 2, "2 sources contain instructions"),
    ],
)
def test_why_it_waits_counts_in_words(unsupported: int, flagged: int, said: str) -> None:
    policy = load_policy()
    found = []
    for confidence in (0.99, 0.1):  # its own reason, and inside "Confidence … is below"
        reasons = " ".join(
            route(
                policy,
                _facts(
                    writer_confidence=confidence,
                    unsupported=unsupported,
                    flagged_sources=flagged,
                ),
            )["reasons"]
        )
        assert "(s)" not in reasons, reasons
        found.append(reasons)
    assert any(said in r for r in found), found


def test_the_writer_says_its_ai_review_in_words() -> None:
    assert ai_review(1, 0) == "checked once by the AI reviewer; nothing left to fix"
    assert ai_review(3, 1) == "checked 3 times by the AI reviewer; 1 point left for you to check"
    assert ai_review(2, 2).endswith("2 points left for you to check")


def test_a_drafted_line_has_no_rounds_or_issues(signoff: Any, brief: dict[str, str]) -> None:
    steps: list[tuple[str, str]] = []
    signoff.start(brief, on_progress=lambda *s: steps.append(s))
    drafted = [m for s, m in steps if m.startswith("Drafted the ")]
    assert len(drafted) == 2, steps
    assert any("by the AI reviewer;" in m for m in drafted), drafted
    assert not [m for m in drafted if "(s)" in m or "rounds" in m], drafted
