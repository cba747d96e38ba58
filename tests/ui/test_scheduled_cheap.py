"""The Scheduled page stays cheap while it counts down: its per-second redraw reads nothing
(the countdowns come from the release times already on the page), and a watcher asks only for
the number of held actions, redrawing the page when it changed.

A walk-through found a fragment that listed every hold and every campaign once a second.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ui_support import BRIEF, open_app, tick

from graphs.runtime import Signoff

SCHEDULED = "views/scheduled.py"


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    seen = {"holds": 0, "campaigns": 0, "counts": 0}
    for name in seen:
        real = getattr(Signoff, name)

        def spy(self: Signoff, *a: Any, _real: Any = real, _name: str = name, **kw: Any) -> Any:
            seen[_name] += 1
            return _real(self, *a, **kw)

        monkeypatch.setattr(Signoff, name, spy)
    return seen


def _hold(seeded: Signoff) -> dict[str, Any]:
    result = seeded.start(dict(BRIEF))
    email = next(p for p in result["pending"] if p["action"] == "send_email")
    seeded.decide(email["id"], {"type": "approve"}, by="ann")
    [hold] = seeded.holds()
    return hold


def test_the_countdown_ticks_without_listing_the_holds(
    ui_home: Path, hold_policy: Path, seeded: Signoff, calls: dict[str, int]
) -> None:
    _hold(seeded)
    at = open_app(SCHEDULED)
    assert not at.exception
    before = dict(calls)
    at.run()
    assert calls["holds"] - before["holds"] == 1  # a page run reads them once
    before = dict(calls)
    for _ in range(3):
        tick(at)
        assert not at.exception
        [metric] = at.metric  # the countdown is redrawn
        assert metric.label == "Goes out in" and "min" in metric.value
    assert calls["holds"] == before["holds"]  # no listing per tick
    assert calls["campaigns"] == before["campaigns"]
    assert calls["counts"] - before["counts"] <= 3  # at most the watcher's one COUNT a tick


def test_the_page_redraws_when_a_hold_goes(
    ui_home: Path, hold_policy: Path, seeded: Signoff
) -> None:
    hold = _hold(seeded)
    at = open_app(SCHEDULED)
    assert [m.label for m in at.metric] == ["Goes out in"]
    seeded.cancel(hold["id"], by="bob")  # elsewhere: the CLI, another page
    tick(at)  # the watcher sees one hold fewer and redraws the whole page
    assert not at.exception
    assert "Nothing is scheduled" in " ".join(str(m.value) for m in at.markdown)
