"""On PostgreSQL a worker's claim is one statement (the pick, the claim and the claimed row in
one round trip), and a heartbeat, a progress note and a finish one each; a job whose lease ran
out is still taken over, and its old worker's writes are refused."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pytest

from bench.pg_trips import Trips
from graphs.store import Store, open_database


def test_claim_beat_note_finish_take_one_round_trip_each(
    home: Path, postgres: Any, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    monkeypatch.setenv("SIGNOFF_DATABASE_URL", postgres.new_schema())
    store = Store(open_database(home))
    try:
        first = store.enqueue("retry", "t1")
        trips = Trips()
        trips.name(store.conn.raw, "app")
        with trips.counting():
            job = store.claim_job("worker-a", ttl=30)
            assert job is not None and (job["id"], job["owner"], job["attempts"]) == (
                first,
                "worker-a",
                1,
            )
            assert job["payload"] == {}
            assert store.heartbeat(first, "worker-a", ttl=30)
            assert store.note_job(first, "worker-a", {"progress": []})
        assert sum(trips.trips.values()) == 3, trips.trips
        assert store.claim_job("worker-b", ttl=30) is None  # held
        with caplog.at_level(logging.WARNING, logger="graphs.storage.jobs"):
            taken = store.claim_job("worker-b", ttl=30, now=time.time() + 31)
        assert taken is not None and (taken["owner"], taken["attempts"]) == ("worker-b", 2)
        assert "the lease of worker-a ran out" in caplog.text
        assert not store.note_job(first, "worker-a", {"progress": ["late"]})
        assert not store.finish_job(first, "worker-a", "done")  # the old worker's is refused
        trips.reset()
        with trips.counting():
            assert store.finish_job(first, "worker-b", "done")
        assert sum(trips.trips.values()) == 1, trips.trips
        assert store.job(first)["status"] == "done"  # type: ignore[index]
        assert store.job(first)["payload"] == {"progress": []}  # type: ignore[index]
    finally:
        store.conn.close()
