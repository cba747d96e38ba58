"""Audit entries a step defers to its one write transaction.

A draft and its route are one step (`graphs.assess.then_assess`): the draft's own entry
(`draft.reviewed`) is held here while the step runs and commits in the same transaction as the
routing's (`action.routed`, `AutonomyTables.propose`), in that order: one transaction per draft
instead of two, and never a routing without the review of the draft it routed. Outside such a
step (`collecting()` not active) `defer` says no and the caller writes its entry itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

Entry = tuple[str, dict[str, Any]]  # (event, detail), for the step's thread

_pending: ContextVar[list[Entry] | None] = ContextVar("signoff_step_audit", default=None)


@contextmanager
def collecting() -> Iterator[list[Entry]]:
    """Hold the entries `defer`red inside the block (in order) in the list it yields."""
    entries: list[Entry] = []
    token = _pending.set(entries)
    try:
        yield entries
    finally:
        _pending.reset(token)


def defer(event: str, detail: dict[str, Any]) -> bool:
    """Hold an entry for the step's transaction; False when no step collects (write it now)."""
    entries = _pending.get()
    if entries is None:
        return False
    entries.append((event, detail))
    return True
