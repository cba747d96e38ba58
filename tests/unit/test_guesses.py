"""The one mechanism of guessed reads (graphs/storage/guesses.py): a guard fails its
transaction when another connection changed what was guessed, the whole transaction rolls
back, and `guessing_first` does it again reading the value. On SQLite nothing is guessed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graphs.storage.guesses import guard, guessing_first, missed
from graphs.store import Store, open_database

pytestmark = pytest.mark.usefixtures("database")

STATUS = "(SELECT status FROM campaigns WHERE thread_id = ?) = ?"


def test_a_missed_guess_rolls_back_and_is_done_again_reading(home: Path, database: str) -> None:
    store, other = Store(open_database(home)), Store(open_database(home))
    try:
        store.add_campaign("t", {})
        store.add_campaign("log", {})
        known = "running"  # what this connection last saw
        other.write_one("UPDATE campaigns SET status = 'stopped' WHERE thread_id = 't'")
        tries: list[bool] = []

        def attempt(guess: bool) -> str:
            tries.append(guess)
            with store.tx() as c:
                # a write before the guard: rolled back with the missed try
                c.execute("UPDATE campaigns SET status = status || '+' WHERE thread_id = 'log'")
                if guess:
                    guard(c, STATUS, ("t", known), "status")
                    status = known
                else:
                    status = c.execute(
                        "SELECT status FROM campaigns WHERE thread_id = 't'"
                    ).fetchone()["status"]
                c.execute("UPDATE campaigns SET status = ? WHERE thread_id = 't'", (status + "!",))
            return status

        status = guessing_first(attempt, guess=database != "sqlite", what="test")
        assert status == "stopped"  # the value read, not the guess
        assert tries == ([False] if database == "sqlite" else [True, False])
        rows = {
            r["thread_id"]: r["status"]
            for r in store.query("SELECT thread_id, status FROM campaigns")
        }
        assert rows == {"t": "stopped!", "log": "running+"}  # the missed try left nothing
    finally:
        store.conn.close()
        other.conn.close()


def test_another_error_is_not_taken_for_a_miss(home: Path, database: str) -> None:
    store = Store(open_database(home))
    tries: list[bool] = []

    def attempt(guess: bool) -> None:
        tries.append(guess)
        with store.tx() as c:
            c.execute("INSERT INTO campaigns VALUES ('t', '{}', 'running', 'x', 'x')")
            c.execute("INSERT INTO campaigns VALUES ('t', '{}', 'running', 'x', 'x')")

    try:
        with pytest.raises(Exception) as raised:
            guessing_first(attempt, guess=database != "sqlite", what="test")
        assert not missed(raised.value) and tries == [database != "sqlite"]
    finally:
        store.conn.close()


def test_a_guard_names_its_guess(home: Path, postgres: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("SIGNOFF_DATABASE_URL", postgres.new_schema())
    store = Store(open_database(home))
    try:
        with pytest.raises(Exception) as raised, store.tx() as c:
            guard(c, "1 = 2", (), "one thing")
            c.execute("SELECT 1").fetchone()
        assert missed(raised.value) and missed(raised.value, "one thing")
        assert not missed(raised.value, "another")
    finally:
        store.conn.close()
