"""Guessed reads on PostgreSQL: one mechanism for every one of them.

A transaction on PostgreSQL is pipelined (graphs/storage/database.py `transaction`): it waits
for the server only where it reads. Some reads' answers its connection can tell in advance
(the audit chain's head it last wrote, the inbox rows its run left). Such a transaction uses
the value it expects without reading it and sends, in the same transaction and after the write
lock, a guard: a statement that fails the transaction unless the value is what was expected.

- `guard(c, condition, params)`: that statement, for a condition in SQL.
- `checked(condition, value)`: an SQL expression that is `value` while `condition` holds and
  fails as the guard does otherwise (a guard inside another statement: no statement of its own).
- `missed(exc)`: whether an error is such a guard failing (the transaction rolled back).
- `guessing_first(attempt, ...)`: `attempt(True)`, the transaction with its guesses; when a guard
  failed it, `attempt(False)`, the same transaction reading the values. The one place that does
  a guessed transaction again.

A miss costs one transaction more; it happens when another connection or process wrote between
this connection's transactions (tests/unit/test_guesses.py forces that on both databases).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

# the text a failing guard casts to an integer: its error names it
MISSED = "signoff: a guessed read missed"


def checked(condition: str, name: str, value: str = "'0'") -> str:
    """`CAST(value AS INTEGER)` when `condition` holds now, else an error (`missed`) that says
    `name` (what was guessed). `value` is SQL of text type (a literal, or `CAST(? AS TEXT)`)."""
    return f"CAST(CASE WHEN {condition} THEN {value} ELSE '{MISSED}: {name}' END AS INTEGER)"


def guard(c: Any, condition: str, params: tuple[Any, ...], name: str) -> None:
    """Send the guard of `condition` (its parameters `params`) in the caller's transaction: no
    wait; the transaction fails at its next wait (`missed`) unless `condition` holds."""
    c.execute("SELECT " + checked(condition, name), params)


def missed(exc: BaseException, name: str | None = None) -> bool:
    """Whether `exc` is a guard (`guard`, `checked`) finding its guess wrong; with `name`, the
    guard of that guess only."""
    text = str(exc)
    return (
        type(exc).__name__ == "InvalidTextRepresentation"
        and MISSED in text
        and (name is None or f"{MISSED}: {name}" in text)
    )


def guessing_first(
    attempt: Callable[[bool], T],
    *,
    guess: bool,
    what: str,
    missed_by: Callable[[BaseException], bool] = missed,
) -> T:
    """`attempt(True)` when `guess` (the transaction with its guesses, each checked by a guard);
    when it failed because a guess missed (`missed_by`, a guard by default), or without `guess`,
    `attempt(False)`: the same transaction reading what it guessed. `attempt` is one
    transaction of its own, so a miss rolled back all of it."""
    if guess:
        try:
            return attempt(True)
        except Exception as exc:
            if not missed_by(exc):
                raise
            log.info("%s: a guess missed (another writer was first); done again reading", what)
    return attempt(False)
