"""The crash harness's attribution of crash windows with runs in workers (tests/fault_child.py).

A killed worker's send cut off mid-way is a crash window; the in-doubt item it becomes must be
counted as that window even when another worker took the run over (and surfaced the send in
doubt) before the page looked, and an in-doubt item with no crash behind it must still not be.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

import fault_child  # noqa: E402

from graphs import faults  # noqa: E402


def row(key: str, thread_id: str, status: str) -> dict[str, Any]:
    return {
        "key": key,
        "thread_id": thread_id,
        "action_id": f"a-{key}",
        "name": "send_email",
        "status": status,
        "attempts": 1,
    }


def windows(rows: list[dict[str, Any]]) -> set[str]:
    return {r["key"] for r in rows if r["window"]}


def test_a_send_surfaced_in_doubt_by_a_takeover_before_the_page_looked_is_its_window():
    # the dead worker held thread T and had claimed K; by the time the page looks, another
    # worker owns T's job (so no running job names the dead owner) and has moved K to in doubt
    outbox = [row("K", "T", "in_doubt"), row("D", "T", "done"), row("X", "U", "done")]
    assert windows(fault_child.crash_windows(outbox, set(), {"K"})) == {"K"}
    # what the page saw before the worker said what it held: nothing to explain K
    assert windows(fault_child.crash_windows(outbox, set(), set())) == set()


def test_a_send_still_sending_in_a_run_the_dead_worker_holds_is_a_window():
    outbox = [row("K", "T", "sending"), row("D", "T", "done")]
    assert windows(fault_child.crash_windows(outbox, {"T"}, set())) == {"K"}
    assert windows(fault_child.crash_windows(outbox, {"T"}, {"K"})) == {"K"}


def test_no_window_without_a_crash_behind_it():
    # in doubt, but the dead worker neither held its run nor had claimed its key
    assert windows(fault_child.crash_windows([row("Z", "U", "in_doubt")], {"T"}, {"K"})) == set()
    # an in-doubt row in the dead worker's run that it had not claimed: not explained
    assert windows(fault_child.crash_windows([row("Z", "T", "in_doubt")], {"T"}, {"K"})) == set()
    # a claimed key whose result the worker recorded (or a takeover sent): no window
    assert windows(fault_child.crash_windows([row("K", "T", "done")], {"T"}, {"K"})) == set()
    assert windows(fault_child.crash_windows([row("K", "T", "failed")], set(), {"K"})) == set()


class Store:
    """The five store calls the worker watches, answering as the real ones do."""

    def __init__(self) -> None:
        self.rows: dict[str, str] = {}

    def claim(self, key: str, *args: Any) -> dict[str, Any] | None:
        if key in self.rows:
            return {"key": key, "status": self.rows[key]}
        self.rows[key] = "sending"
        return None

    def retry_claim(self, key: str) -> None:
        self.rows[key] = "sending"

    def finish(self, key: str, status: str, result: dict[str, Any], **kw: Any) -> None:
        self.rows[key] = status

    def claim_job(self, owner: str, **kw: Any) -> dict[str, Any] | None:
        return {"id": 1, "thread_id": "T"}

    def claim_this(self, job_id: int, owner: str, **kw: Any) -> dict[str, Any] | None:
        return None


def test_the_worker_knows_the_keys_it_holds():
    store = Store()
    held = fault_child.InFlight()
    held.watch(store)
    store.claim_job("w")
    assert held.threads == {"T"}
    assert store.claim("K", "T", "a", "send_email", {}) is None
    assert held.keys == {"K"}
    store.finish("K", "done", {})
    assert held.keys == set()
    store.rows["S"] = "sending"  # another worker's claim: not held here
    assert store.claim("S", "T", "a", "send_email", {}) is not None
    assert held.keys == set()
    store.retry_claim("S")  # a key-honouring connector's retry: held until finished
    assert held.keys == {"S"}


def test_the_killed_worker_writes_what_it_held_before_it_dies(tmp_path, monkeypatch):
    monkeypatch.setenv(faults.ENV, "after_claim:2")
    counter = tmp_path / "crash-count"
    pid = os.fork()
    if pid == 0:  # the worker: claims K, reaches the point twice, the second time dies
        code = 1
        try:
            store = Store()
            held = fault_child.InFlight()
            held.watch(store)
            fault_child.arm_shared(counter, held)
            store.claim_job("w")
            faults.point("after_claim")
            store.claim("K", "T", "a", "send_email", {})
            faults.point("after_claim")
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    record = json.loads((tmp_path / fault_child.CRASH_RECORD).read_text("utf-8"))
    assert record == {"threads": ["T"], "keys": ["K"]}
