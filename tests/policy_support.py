"""Helpers for tests that need a variant of the shipped policy or a controlled clock."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from graphs.policy import DEFAULT_POLICY


def shipped() -> dict[str, Any]:
    return yaml.safe_load(DEFAULT_POLICY.read_text())


def write_policy(path: Path, edit: Any = None, **actions: dict[str, Any]) -> Path:
    """The shipped policy with `actions.<name>` settings overridden; `edit(doc)` for the rest."""
    doc = copy.deepcopy(shipped())
    for name, changes in actions.items():
        doc["actions"][name].update(changes)
    if edit is not None:
        edit(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def drop_holds(doc: dict[str, Any]) -> None:
    """No hold windows: an approved action runs at once (an edit for `write_policy`)."""
    for spec in doc["actions"].values():
        spec["hold_seconds"] = 0


def promotes_quickly(doc: dict[str, Any]) -> None:
    """No holds, and a promotion suggested after 3 clean approvals."""
    doc["promotion"].update(min_decisions=3, min_lower_bound=0.3)
    drop_holds(doc)


def split_spend_authority(doc: dict[str, Any]) -> None:
    """Marketers approve every action but spends, which an admin approves; a spend above 500
    needs a budget owner too."""
    doc["authority"]["approve"] = [
        {"action": "*", "roles": ["marketer"]},
        {"action": "spend_ads", "roles": ["admin"]},
    ]
    doc["authority"]["thresholds"] = [
        {"action": "spend_ads", "above": 500, "roles": ["budget_owner"]}
    ]


def no_holds(path: Path) -> Path:
    return write_policy(path, drop_holds)


class Clock:
    """A clock the test moves by hand (holds, expiry, reminders)."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now
