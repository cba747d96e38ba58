"""Exactly once, or in front of a person: concurrent deciders, crashes, recovery, the index."""

from __future__ import annotations

import json
import mailbox
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from graphs.errors import AlreadyDecided
from graphs.runtime import Signoff

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent


def by_action(pending: list[dict], name: str) -> dict:
    [item] = [p for p in pending if p["action"] == name]
    return item


def messages(home: Path) -> list:
    path = home / "maildir"
    return list(mailbox.Maildir(str(path), create=False)) if path.exists() else []


def feed_lines(home: Path) -> list[dict]:
    path = home / "feed.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.usefixtures("database")  # on SQLite and PostgreSQL
def test_two_threads_deciding_the_same_action_execute_once(home, brief, connector_calls):
    from fakes import ScriptedChatModel

    with Signoff(home, model=ScriptedChatModel()) as seed:
        email = by_action(seed.start(brief)["pending"], "send_email")
    # two runtimes = two connections, as two server processes would have
    runtimes = [Signoff(home, model=ScriptedChatModel()) for _ in range(2)]
    barrier = threading.Barrier(2)
    results: list[str] = []

    def decide(runtime: Signoff, who: str) -> None:
        barrier.wait()
        try:
            runtime.decide(email["id"], {"type": "approve"}, by=who)
            results.append("applied")
        except AlreadyDecided:
            results.append("already")

    workers = [
        threading.Thread(target=decide, args=(r, f"user{i}")) for i, r in enumerate(runtimes)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    for r in runtimes:
        r.close()
    assert sorted(results) == ["already", "applied"]
    assert [c[0] for c in connector_calls] == ["send_email"]
    assert len(messages(home)) == 1


@pytest.mark.usefixtures("database")  # on SQLite and PostgreSQL
def test_decisions_on_two_actions_of_one_campaign_at_once_do_not_fork(home, brief, connector_calls):
    """Two resumes of one thread at the same time would fork it; the lease serialises them."""
    from fakes import ScriptedChatModel

    for _ in range(3):
        with Signoff(home, model=ScriptedChatModel()) as seed:
            pending = seed.start(brief)["pending"]
        runtimes = [Signoff(home, model=ScriptedChatModel()) for _ in range(2)]
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def decide(runtime: Signoff, item: dict, barrier=barrier, errors=errors) -> None:
            barrier.wait()
            try:
                runtime.decide(item["id"], {"type": "approve"})
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        workers = [
            threading.Thread(target=decide, args=pair)
            for pair in zip(runtimes, pending, strict=True)
        ]
        for w in workers:
            w.start()
        for w in workers:
            w.join(60)
        with Signoff(home, model=ScriptedChatModel()) as check:
            campaign = check.campaign(pending[0]["thread_id"])
        for r in runtimes:
            r.close()
        assert errors == []
        assert campaign["status"] == "done"
        assert sorted(o["action_id"] for o in campaign["outcomes"]) == ["email-1", "post-1"]
    assert sorted(c[0] for c in connector_calls) == ["publish_post"] * 3 + ["send_email"] * 3
    assert len(messages(home)) == 3 and len(feed_lines(home)) == 3


CRASH_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    sys.path.insert(0, {tests!r})
    from fakes import ScriptedChatModel
    where = sys.argv[1]
    if where == "after-send":
        # the connector delivered; die before the outbox records it and before the checkpoint
        os.environ["SIGNOFF_CRASH_AT"] = "after_connector"
    from graphs import runtime as rt

    if where == "after-record":
        # the decision row is committed; die before the thread is resumed
        rt.Signoff.apply = lambda self, thread_id, **kw: os.kill(os.getpid(), signal.SIGKILL)
    runtime = rt.Signoff(os.environ["SIGNOFF_HOME"], model=ScriptedChatModel())
    runtime.decide(sys.argv[2], {{"type": "approve"}}, by="crashy")
    """
).format(tests=str(TESTS))


def run_crashing(home: Path, where: str, interrupt_id: str, tool: str = "") -> int:
    env = {**os.environ, "SIGNOFF_HOME": str(home), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", CRASH_SCRIPT, where, interrupt_id, tool],
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    return proc.returncode


@pytest.mark.parametrize("where", ["after-record", "after-send"])
@pytest.mark.parametrize("tool", ["send_email", "publish_post"])
def test_killed_process_executes_exactly_once_after_restart(home, brief, where, tool):
    from fakes import ScriptedChatModel

    with Signoff(home, model=ScriptedChatModel()) as seed:
        item = by_action(seed.start(brief)["pending"], tool)
    assert run_crashing(home, where, item["id"], tool) == -signal.SIGKILL
    with Signoff(home, model=ScriptedChatModel()) as restarted:  # recovery runs on start-up
        campaign = restarted.campaign(item["thread_id"])
        assert restarted.store.unapplied() == []
        with pytest.raises(AlreadyDecided, match="crashy"):
            restarted.decide(item["id"], {"type": "approve"})
    delivered = messages(home) if tool == "send_email" else feed_lines(home)
    assert len(delivered) == 1
    [row] = campaign["executed"]
    assert row["status"] == "done" and row["action_id"] == item["action_id"]
    assert item["id"] not in {p["id"] for p in campaign["pending"]}


def test_smtp_send_cut_off_mid_way_becomes_in_doubt(home, brief, monkeypatch):
    """A plain SMTP connector cannot tell whether it sent: a person decides, nothing is re-sent."""
    from fakes import ScriptedChatModel

    with Signoff(home, model=ScriptedChatModel()) as seed:
        email = by_action(seed.start(brief)["pending"], "send_email")
    # Simulate the crash window directly: the outbox says `sending` for the real key.
    from graphs.executor import idempotency_key

    with Signoff(home, model=ScriptedChatModel(), smtp_url="smtp://127.0.0.1:9") as runtime:
        key = idempotency_key(email["thread_id"], "email-1", "send_email", email["args"])
        runtime.store.claim(key, email["thread_id"], "email-1", "send_email", email["args"])
        result = runtime.decide(email["id"], {"type": "approve"})
        [outcome] = [
            o
            for o in runtime.campaign(result["thread_id"])["outcomes"]
            if o["action_id"] == "email-1"
        ]
    assert outcome["status"] == "in_doubt"
    assert "Mark it as sent or send it again" in outcome["detail"]["error"]
    assert messages(home) == []


@pytest.mark.usefixtures("database")  # on SQLite and PostgreSQL
def test_index_agrees_with_checkpoints_after_random_decisions_and_crashes(home, brief):
    from fakes import ScriptedChatModel

    rng = random.Random(20261121)
    runtime = Signoff(home, model=ScriptedChatModel())
    for _ in range(4):
        runtime.start(brief)
    for step in range(12):
        pending = runtime.pending()
        if not pending:
            break
        item = rng.choice(pending)
        choice = rng.choice(["approve", "reject", "revise", "crash"])
        if choice == "crash":
            # recorded, never applied: what a crash between record and resume leaves behind
            runtime.store.record_decision(
                item["id"], item["thread_id"], item["action_id"], {"type": "approve"}, "crash"
            )
            runtime.close()
            runtime = Signoff(home, model=ScriptedChatModel())
            continue
        decision = {
            "approve": {"type": "approve"},
            "reject": {"type": "reject", "reason": "no"},
            "revise": {"type": "revise", "feedback": f"try {step}"},
        }[choice]
        if choice == "revise" and "revise" not in item["allowed_decisions"]:
            decision = {"type": "approve"}
        runtime.decide(item["id"], decision)
    indexed = {(p["id"], p["thread_id"]) for p in runtime.pending()}
    from_checkpoints = {
        (i.id, t)
        for t in runtime.store.thread_ids()
        for i in runtime.graph.get_state({"configurable": {"thread_id": t}}).interrupts
    }
    assert indexed == from_checkpoints
    # the index is derived data: wiped and rebuilt, it is the same
    with runtime.store.tx() as c:
        c.execute("DELETE FROM inbox")
    assert runtime.pending() == []
    assert runtime.reindex() == 4
    assert {(p["id"], p["thread_id"]) for p in runtime.pending()} == indexed
    runtime.close()
