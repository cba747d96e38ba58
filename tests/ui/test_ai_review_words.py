"""The card's AI-review line never says "nothing left to fix" beside sentences it flags (a
walk-through found "AI review (3 rounds): nothing left to fix" on cards with two warnings)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest


def _card(flagged: bool) -> None:
    from ui.views.inbox_card import render_ai_review

    item = {"review_rounds": 3, "review_notes": ["Not in the facts: 'saves 40%'"]}
    render_ai_review(item, flagged=flagged)


@pytest.mark.parametrize(
    ("flagged", "said"),
    [
        (True, "the flagged sentences are left for you to check."),
        (False, "nothing left to fix."),
    ],
)
def test_the_ai_review_line_matches_what_the_card_flags(flagged: bool, said: str) -> None:
    at = AppTest.from_function(_card, kwargs={"flagged": flagged}).run()
    assert not at.exception
    [line] = [m.value for m in at.markdown if "AI review" in m.value]
    assert line.endswith(said), line
