"""A run's lease at its boundaries: taken in the same commit as what comes just before the run (a
campaign's row, the decisions it resumes with, the scheduler's releases) and released in the
same commit as the run's inbox sync; released whatever fails in between, so that one runner per
thread holds and no lease is left behind. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fakes import ScriptedChatModel
from policy_support import write_policy

from graphs.runtime import Signoff
from graphs.store import Store, open_database

pytestmark = pytest.mark.usefixtures("database")


def by_action(pending: list[dict[str, Any]], name: str) -> dict[str, Any]:
    [item] = [p for p in pending if p["action"] == name]
    return item


def leases(store: Store) -> list[Any]:
    return store.query("SELECT thread_id, owner FROM leases")


def test_a_lease_taken_with_its_first_write_commits_with_it_or_not_at_all(home: Path) -> None:
    store = Store(open_database(home))
    try:
        with store.lease("t", first=lambda: store.set_campaign_status("t", "x")) as owner:
            [row] = leases(store)
            assert (row["thread_id"], row["owner"]) == ("t", owner)
        assert leases(store) == []

        def failing() -> None:
            with store.tx() as c:
                c.execute("INSERT INTO reminders VALUES ('r', 'now')")
                raise RuntimeError("the first write fails")

        with pytest.raises(RuntimeError), store.lease("t", first=failing):
            pytest.fail("the block runs only once the first write committed")
        assert leases(store) == [] and store.query("SELECT * FROM reminders") == []
    finally:
        store.conn.close()


def test_a_lease_released_within_a_transaction_goes_with_its_commit(home: Path) -> None:
    store = Store(open_database(home))
    try:
        with store.lease("t"):
            with store.tx() as c:
                ended = store.release_within(c, "t")
                assert ended is not None
            ended()
            assert leases(store) == []  # released with that commit, before the block's end
            with store.tx():  # free for another runner at once
                taken = store.take_within("t")
            other = taken()
            assert other is not None
            store.release("t", other)
        # reads done with the lease's commit, handed to the resume's `lease_reading`: the rows
        # as the lease's holder sees them (its own lease row), read once
        owner_read = [("SELECT owner FROM leases WHERE thread_id = ?", ("t",))]
        with store.tx():
            taken = store.take_within("t", reads=owner_read)
        ahead = taken()
        assert ahead is not None and list(store._read_ahead()) == [ahead]
        with store.lease_reading("t", owner_read, owner=ahead) as [rows]:
            assert [r["owner"] for r in rows] == [ahead] and store._read_ahead() == {}
        assert leases(store) == []
        # a release that rolls back leaves the lease held; the block's end releases it
        with store.lease("t") as owner:
            with pytest.raises(RuntimeError), store.tx() as c:
                assert store.release_within(c, "t") is not None
                raise RuntimeError("the sync fails")
            assert [r["owner"] for r in leases(store)] == [owner]
        assert leases(store) == []
        with store.tx() as c:  # no lease held by this thread: nothing to release
            assert store.release_within(c, "t") is None
        other = Store(open_database(home))
        try:  # a lease another holds is not taken with a transaction: None once it committed
            with other.lease("t") as held:
                with store.tx() as c:
                    c.execute("INSERT INTO reminders VALUES ('r2', 'now')")
                    taken = store.take_within("t")
                assert taken() is None
                assert [r["owner"] for r in leases(store)] == [held]
                assert len(store.query("SELECT * FROM reminders")) == 1  # the rest committed
        finally:
            other.conn.close()
    finally:
        store.conn.close()


def test_the_full_path_leaves_no_lease_and_releases_none_on_its_own(
    home: Path, tmp_path: Path, brief: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Start, two decisions, the scheduler's release: every lease is taken with the write before
    its run and released with the run's sync, none by a statement of its own."""
    policy = write_policy(tmp_path / "held.yaml", send_email={"hold_seconds": 600})
    with Signoff(home, model=ScriptedChatModel(), policy_path=policy) as s:
        alone: list[str] = []
        monkeypatch.setattr(s.store, "_release", lambda t, o: alone.append(t))
        monkeypatch.setattr(s.store, "_take", lambda *a: pytest.fail("the lease was free"))
        started = s.start(brief)
        assert leases(s.store) == []
        for item in started["pending"]:
            s.decide(item["id"], {"type": "approve"})
            assert leases(s.store) == []
        holds = s.holds()
        assert holds
        released = s.tick(now=max(h["release_at"] for h in holds) + 1)["released"]
        assert sorted(released) == sorted(h["id"] for h in holds)
        assert leases(s.store) == [] and alone == []
        assert s.summary(started["thread_id"])["status"] == "done"
        assert s.store._read_ahead() == {}  # each resume took the rows read with its lease


def test_a_sync_that_fails_still_releases_the_lease(
    home: Path, brief: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with Signoff(home, model=ScriptedChatModel()) as s:
        started = s.start(brief)
        email = by_action(started["pending"], "send_email")
        append = s.store._append_audit

        def failing(c: Any, event: str, *args: Any, **kwargs: Any) -> Any:
            if event == "decision.applied":
                raise RuntimeError("the sync's transaction fails")
            return append(c, event, *args, **kwargs)

        monkeypatch.setattr(s.store, "_append_audit", failing)
        with pytest.raises(RuntimeError):
            s.decide(email["id"], {"type": "approve"})
        assert leases(s.store) == []  # released by the lease's own end
        assert [d["interrupt_id"] for d in s.store.unapplied(started["thread_id"])] == [email["id"]]
        monkeypatch.setattr(s.store, "_append_audit", append)
        s.apply(started["thread_id"])  # the run went through: marked applied now
        assert s.store.unapplied(started["thread_id"]) == [] and leases(s.store) == []


def test_a_lease_taken_with_a_decision_is_released_when_a_later_one_fails(
    home: Path, brief: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with Signoff(home, model=ScriptedChatModel()) as s:
        first = by_action(s.start(brief)["pending"], "send_email")
        second = by_action(s.start(brief)["pending"], "send_email")
        record = s._record

        def failing(item: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
            if item["interrupt_id"] == second["id"]:
                raise RuntimeError("recording the second decision fails")
            return record(item, *args, **kwargs)

        monkeypatch.setattr(s, "_record", failing)
        with pytest.raises(RuntimeError):
            s.decide_many({first["id"]: {"type": "approve"}, second["id"]: {"type": "approve"}})
        assert leases(s.store) == []  # the first thread's lease, taken with its decision
        assert s.store._read_ahead() == {}  # and the rows read with it, dropped
        assert [d["interrupt_id"] for d in s.store.unapplied(first["thread_id"])] == [first["id"]]
        monkeypatch.setattr(s, "_record", record)
        assert s.apply(first["thread_id"]) == [first["id"]]


def test_the_scheduler_frees_the_lease_of_a_resume_that_fails(
    home: Path, tmp_path: Path, brief: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = write_policy(tmp_path / "held.yaml", send_email={"hold_seconds": 600})
    with Signoff(home, model=ScriptedChatModel(), policy_path=policy) as s:
        email = by_action(s.start(brief)["pending"], "send_email")
        s.decide(email["id"], {"type": "approve"})
        [hold] = s.holds()
        get_tuple = s.checkpointer.get_tuple

        def failing(config: Any) -> Any:
            raise RuntimeError("the checkpoint read fails under the lease")

        monkeypatch.setattr(s.checkpointer, "get_tuple", failing)
        assert s.tick(now=hold["release_at"] + 1)["released"] == [hold["id"]]  # logged
        assert leases(s.store) == []
        monkeypatch.setattr(s.checkpointer, "get_tuple", get_tuple)
        assert s.apply(email["thread_id"]) == [hold["id"]]  # the release, applied later
        assert leases(s.store) == []
        [row] = [r for r in s.store.outbox(email["thread_id"]) if r["name"] == "send_email"]
        assert row["status"] == "done"


def test_a_decision_while_another_runner_holds_the_lease_waits_for_it(
    home: Path, brief: dict[str, str]
) -> None:
    """The decision commits; its resume waits for the lease (never two runners)."""
    from graphs.errors import Busy

    with Signoff(home, model=ScriptedChatModel()) as s:
        email = by_action(s.start(brief)["pending"], "send_email")
        other = Store(open_database(home))
        try:
            with other.lease(email["thread_id"]):
                monkeypatch_wait = s.store.lease_reading

                def short(thread_id: str, reads: Any, **kw: Any) -> Any:
                    return monkeypatch_wait(thread_id, reads, **{**kw, "wait": 0.2})

                s.store.lease_reading = short  # type: ignore[method-assign]
                with pytest.raises(Busy):
                    s.decide(email["id"], {"type": "approve"})
                [row] = leases(other)
                assert row["owner"] != "" and s.store.unapplied(email["thread_id"])
                del s.store.lease_reading
            assert s.apply(email["thread_id"]) == [email["id"]]
            assert leases(s.store) == []
        finally:
            other.conn.close()


def _drain(home: Path) -> None:
    with Signoff(home, model=ScriptedChatModel(), recover=False, queued=True) as worker:
        while worker.work_once("test-worker") is not None:
            pass


def test_a_queued_resume_takes_no_lease_ahead(home: Path, brief: dict[str, str]) -> None:
    """With the run queue (the page, the CLI) the worker that claims the job takes the lease:
    the decision's commit takes none, so none is left behind in the page's process."""
    with Signoff(home, model=ScriptedChatModel(), queued=True) as page:
        page.start(brief)
        _drain(home)
        email = by_action(page.pending(), "send_email")
        summary = page.decide(email["id"], {"type": "approve"})
        assert "job" in summary and leases(page.store) == []
        _drain(home)
        assert page.store.unapplied(email["thread_id"]) == [] and leases(page.store) == []


def test_a_decision_recorded_first_by_another_is_met_at_the_commit(
    home: Path, brief: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between the check and the record another process records its decision: ours meets it
    at its transaction's end (no read inside it), and nothing of ours is written, its lease
    neither."""
    from graphs.errors import AlreadyDecided

    with Signoff(home, model=ScriptedChatModel()) as s:
        email = by_action(s.start(brief)["pending"], "send_email")
        other = Store(open_database(home))
        check = s._pending_item

        def racing(interrupt_id: str, seen: Any = None, **guessing: Any) -> Any:
            item = check(interrupt_id, seen, **guessing)
            other.record_decision(
                interrupt_id, item["thread_id"], item["action_id"], {"type": "reject"}, "bob"
            )
            return item

        monkeypatch.setattr(s, "_pending_item", racing)
        entries = len(s.store.audit_log(limit=1000))
        try:
            with pytest.raises(AlreadyDecided) as raised:
                s.decide(email["id"], {"type": "approve"}, by="ann")
            assert "bob" in str(raised.value)
            assert s.store.decision(email["id"])["by"] == "bob"
            assert len(s.store.audit_log(limit=1000)) == entries  # no entry of ours
            assert s.store.track_record("send_email", "email") == []
            assert leases(s.store) == []
            assert s.store.verify_audit()["ok"]
        finally:
            other.conn.close()


def test_a_runs_summary_is_read_with_its_sync_and_says_what_a_fresh_read_says(
    home: Path, brief: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with Signoff(home, model=ScriptedChatModel()) as s:
        read_alone: list[str] = []
        summary_reads = s.store.summary_reads

        def counting(thread_id: str) -> Any:
            read_alone.append(thread_id)
            return summary_reads(thread_id)

        monkeypatch.setattr(s.store, "summary_reads", counting)
        started = s.start(brief)
        first = started["pending"][0]
        decided = s.decide(first["id"], {"type": "approve"})
        assert read_alone == []  # both read with their run's sync
        assert s._summaries_wanted() is None  # nothing kept past the call
        fresh = s.summary(started["thread_id"])
        assert read_alone == [started["thread_id"]]
        assert {k: decided[k] for k in fresh} == fresh
        assert [p["id"] for p in decided["pending"]] == [
            p["id"] for p in started["pending"] if p["id"] != first["id"]
        ]


def test_a_held_lease_keeps_its_first_write_out_until_the_lease_is_ours(home: Path) -> None:
    store = Store(open_database(home))
    try:
        # a dead process's lease on the thread: the first try is refused, nothing of its first
        # write is kept, and once the stale lease is cleared the write commits, once
        with store.tx() as c:
            c.execute("INSERT INTO leases VALUES ('t', '999999999:1:dead', 1e12)")
        with store.lease(
            "t", wait=5, first=lambda: store.add_campaign("t", {}, audit=("c.s", {}, "ann"))
        ) as owner:
            assert [r["owner"] for r in leases(store)] == [owner]
        assert leases(store) == []
        assert [c["thread_id"] for c in store.campaigns()] == ["t"]
        assert [e["event"] for e in store.audit_log("t")] == ["c.s"]
        assert store.verify_audit()["ok"]
    finally:
        store.conn.close()
