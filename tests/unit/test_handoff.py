"""A resume's checkpoint read handed to its run (graphs/runtime/handoff.py)."""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

from langgraph.checkpoint.sqlite import SqliteSaver

from graphs.runtime import handoff

GUARD_S = 30.0  # only against a hang: the test never measures time


def _saver(tmp_path: Any) -> SqliteSaver:
    saver = SqliteSaver(sqlite3.connect(str(tmp_path / "c.db"), check_same_thread=False))
    saver.setup()
    return saver


def _put(saver: SqliteSaver, thread_id: str, n: int, ns: str = "") -> None:
    checkpoint = {
        "v": 4,
        "id": f"1ef00000-0000-6000-8000-{n:012d}",
        "ts": "2026-01-01T00:00:00+00:00",
        "channel_values": {"n": n},
        "channel_versions": {"n": n},
        "versions_seen": {},
    }
    config = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ns}}
    saver.put(config, checkpoint, {"source": "loop", "step": n}, {"n": n})  # type: ignore[arg-type]


def _n(found: Any) -> int:
    return int(found.checkpoint["channel_values"]["n"])


def test_the_offered_read_is_given_once_and_only_for_the_top_levels_latest(tmp_path):
    saver = _saver(tmp_path)
    _put(saver, "t1", 1)
    _put(saver, "t1", 2, ns="review:abc")
    handoff.install(saver)
    handoff.install(saver)  # once per saver
    offered = saver.get_tuple({"configurable": {"thread_id": "t1"}})
    _put(saver, "t1", 3)
    latest = {"configurable": {"thread_id": "t1"}}
    with handoff.handing_over("t1", offered):
        assert _n(saver.get_tuple(latest)) == 1  # the tuple handed over, not read
        assert _n(saver.get_tuple(latest)) == 3  # once: then the database
    with handoff.handing_over("t1", offered):  # another namespace asked first: dropped
        assert (
            _n(
                saver.get_tuple(
                    {"configurable": {"thread_id": "t1", "checkpoint_ns": "review:abc"}}
                )
            )
            == 2
        )
        assert _n(saver.get_tuple(latest)) == 3
    with handoff.handing_over("t1", offered):  # another Python thread reads the database
        other: list[int] = []
        t = threading.Thread(target=lambda: other.append(_n(saver.get_tuple(latest))))
        t.start()
        t.join(GUARD_S)
        assert other == [3]
