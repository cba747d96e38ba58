"""ui.state helpers that need no app run."""

from __future__ import annotations

import pytest
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException

from ui.state import ProgressFeed, clock, count, distinct_claims, duration, expires_in, plain, when


class Box:
    """An st.status stand-in whose second write meets a click (Streamlit raises then)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def write(self, line: str) -> None:
        if len(self.lines) == 1:
            raise RerunException(None)
        self.lines.append(line)


def test_a_click_mid_call_is_held_until_the_facade_returns() -> None:
    box = Box()
    feed = ProgressFeed(box)
    finished = []

    def facade_call() -> None:  # stands for Signoff.start/decide: must run to its end
        for step in ("researcher", "writer", "gate"):
            feed(step, f"{step} done")
        finished.append(True)

    facade_call()
    assert finished == [True]
    assert len(feed.lines) == 3 and len(box.lines) == 1
    with pytest.raises(RerunException):
        feed.done()
    feed.done()  # raised once only


def test_plain_shows_model_text_as_written() -> None:
    assert plain("It costs $149 [2]. *Now*") == r"It costs \$149 \[2\]\. \*Now\*"
    assert plain("a\nb") == "a  \nb"


def test_small_words() -> None:
    assert count(1, "action") == "1 action" and count(2, "action") == "2 actions"
    assert when("2026-11-21T12:15:39+00:00") == "2026-11-21 12:15 UTC"
    assert when(None) == ""


def test_repeated_claims_show_once_with_their_distinct_sources() -> None:
    a = {"source": "pricing.md", "location": "Price", "quote": "It costs $149."}
    b = {"source": "product.md", "location": "What it is", "quote": "A thermostat."}
    evidence = [
        {"claim": "It costs $149", "sources": [a]},
        {"claim": "It costs $149 ", "sources": [a, b]},
        {"claim": "Half price", "sources": []},
    ]
    assert distinct_claims(evidence) == [
        {"claim": "It costs $149", "sources": [a, b]},
        {"claim": "Half price", "sources": []},
    ]


def test_durations_and_expiry_read_like_a_countdown() -> None:
    assert duration(0) == "now" and duration(-5) == "now" and duration(0.9) == "now"
    assert duration(44.9) == "44 s"  # whole seconds left, never rounded up
    assert duration(65) == "1 min 5 s" and duration(600) == "10 min"
    assert duration(10800) == "3 h" and duration(3 * 3600 + 120) == "3 h 2 min"
    assert duration(604799.9) == "6 d 23 h"
    assert expires_in(None) == ""
    assert expires_in(1000.0, now=1000.0 - 3 * 3600) == "expires in 3 h"
    assert expires_in(1000.0, now=1001.0) == "expired"
    assert count(2, "entry", "entries") == "2 entries" and count(1, "entry", "entries") == "1 entry"
    assert clock(0) == "1970-01-01 00:00:00 UTC"
    assert clock("2026-11-21T12:15:39+00:00") == "2026-11-21 12:15:39 UTC"
