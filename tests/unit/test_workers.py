"""Runs in workers, off the page (issue 13 item 2): the page and the CLI record and enqueue; a
worker runs the graph and writes its progress to the database; a worker killed mid-run is
replaced by another that takes the run over without repeating a send; the CLI runs a job itself
when no worker is alive."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fakes import ScriptedChatModel
from support import maildir_count, run_json

from graphs.errors import AlreadyDecided
from graphs.runtime import Signoff

TESTS = Path(__file__).resolve().parents[1]


def _drain(home: Path, name: str = "test-worker") -> list[dict[str, Any]]:
    """A worker over `home` (its own runtime) that runs every queued job, then stops."""
    done = []
    with Signoff(home, model=ScriptedChatModel(), recover=False, queued=True) as worker:
        while (job := worker.work_once(name)) is not None:
            done.append(job)
    return done


@pytest.mark.usefixtures("database")  # on SQLite and PostgreSQL
def test_a_queued_campaign_is_drafted_by_a_worker_with_progress_in_the_database(
    home: Path, brief: dict[str, str]
) -> None:
    page_model = ScriptedChatModel()
    with Signoff(home, model=page_model, queued=True) as page:
        started = page.start(brief)
        # the page returns at once: nothing drafted here, the run waits in the queue
        assert started["status"] == "running" and started["pending"] == []
        assert page_model.calls == []
        queued = page.run_progress(started["thread_id"])
        assert queued is not None and (queued["status"], queued["ahead"]) == ("queued", 0)
        [ran] = _drain(home)
        assert (ran["id"], ran["status"], ran["kind"]) == (started["job"], "done", "start")
        summary = page.summary(started["thread_id"])
        assert summary["status"] == "waiting" and len(summary["pending"]) == 2
        progress = page.run_progress(started["thread_id"])
        assert progress is not None and progress["status"] == "done"
        messages = [line["message"] for line in progress["lines"]]
        assert any(m.startswith("Found ") and "passages" in m for m in messages)
        assert any("Waiting for your decision" in m for m in messages)
        elapsed = [line["elapsed"] for line in progress["lines"]]
        assert elapsed == sorted(elapsed) and all(e is not None and e >= 0 for e in elapsed)
        assert page_model.calls == []  # the page never called the model


def test_a_decision_is_recorded_at_once_and_its_run_is_queued(
    home: Path, brief: dict[str, str], connector_calls: list[tuple[str, dict[str, Any]]]
) -> None:
    with Signoff(home, model=ScriptedChatModel(), queued=True) as page:
        thread = page.start(brief)["thread_id"]
        _drain(home)
        email = next(p for p in page.pending() if p["action"] == "send_email")
        post = next(p for p in page.pending() if p["action"] == "publish_post")
        [summary] = page.decide_many(
            {
                email["id"]: {"type": "approve"},
                post["id"]: {"type": "revise", "feedback": "shorter"},
            }
        )
        assert summary["job"] and summary["thread_id"] == thread
        assert connector_calls == []  # recorded, not yet run
        with pytest.raises(AlreadyDecided):  # first decider wins, at submit time
            page.decide(email["id"], {"type": "reject", "reason": "off-brand"})
        assert page.queue_status()["queued"] == 1
        [ran] = _drain(home)
        assert ran["id"] == summary["job"] and ran["status"] == "done"
        assert [name for name, _ in connector_calls] == ["send_email"]
        redraft = [p for p in page.pending() if p["action_id"] == post["action_id"]]
        assert len(redraft) == 1 and redraft[0]["revision"] == 1  # the send-back's redraft


def test_the_scheduler_queues_hold_releases_for_a_worker(
    home: Path, brief: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from policy_support import write_policy

    policy = write_policy(tmp_path / "holds.yaml", send_email={"hold_seconds": 60})
    monkeypatch.setenv("SIGNOFF_POLICY", str(policy))
    with Signoff(home, model=ScriptedChatModel(), queued=True) as page:
        page.start(brief)
        _drain(home)
        email = next(p for p in page.pending() if p["action"] == "send_email")
        page.decide(email["id"], {"type": "approve"})
        _drain(home)
        [hold] = page.holds()
        done = page.tick(now=hold["release_at"] + 1)
        assert done["released"] == [hold["id"]]
        assert maildir_count(home) == 0 and page.queue_status()["queued"] == 1
        _drain(home)
        assert maildir_count(home) == 1 and page.holds() == []


WORKER = """
import sys, threading
sys.path.insert(0, sys.argv[2])
from fakes import ScriptedChatModel
from graphs.runtime import Signoff

with Signoff(sys.argv[1], model=ScriptedChatModel(), queued=True) as runtime:
    runtime.serve(threading.Event(), interval=0.2, name=sys.argv[3])
"""


def _worker(home: Path, name: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, str(home), str(TESTS), name],
        env={**os.environ, "SIGNOFF_JOB_LEASE_S": "3", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait(what: str, check: Any, child: subprocess.Popen[str] | None = None) -> None:
    deadline = time.monotonic() + 300
    while not check():
        if child is not None and child.poll() is not None and not check():
            raise AssertionError(f"{what}: the worker exited: {child.communicate()[1][-3000:]}")
        assert time.monotonic() < deadline, f"{what} did not happen within 300 s"
        time.sleep(0.2)


@pytest.mark.usefixtures("database")  # on SQLite and PostgreSQL
def test_a_worker_killed_mid_send_is_replaced_without_a_second_send(
    home: Path, brief: dict[str, str]
) -> None:
    """Real worker processes on one SQLite file: the first dies (SIGKILL) right after the
    connector delivered the email and before the outbox recorded it; the second takes the run
    over when the lease runs out. The email went out once: the Maildir connector honours the
    outbox key, so the take-over finds the delivery and records it (plain SMTP, which cannot
    tell, leaves it in doubt for a person: tests/unit/test_exactly_once.py)."""
    with Signoff(home, model=ScriptedChatModel(), queued=True) as page:
        thread = page.start(brief)["thread_id"]
        _drain(home)
        email = next(p for p in page.pending() if p["action"] == "send_email")
        job = page.decide(email["id"], {"type": "approve"})["job"]
        first = _worker(home, "first", SIGNOFF_CRASH_AT="after_connector")
        try:
            _wait("the first worker's crash", lambda: first.poll() is not None)
        finally:
            if first.poll() is None:
                first.kill()
            first.wait(timeout=60)
        assert first.returncode == -signal.SIGKILL
        assert maildir_count(home) == 1
        held = page.store.job(job)
        assert held is not None and (held["status"], held["owner"]) == ("running", "first")
        second = _worker(home, "second")
        try:
            _wait("the take-over", lambda: page.store.job(job)["status"] == "done", second)  # type: ignore[index]
            assert "second" in [w["name"] for w in page.workers()]  # its heartbeat is alive
        finally:
            second.send_signal(signal.SIGKILL)
            second.wait(timeout=60)
        done = page.store.job(job)
        assert done is not None and (done["owner"], done["attempts"]) == ("second", 2)
        assert maildir_count(home) == 1  # no second send
        executed = page.campaign(thread)["executed"]
        assert [(e["name"], e["status"]) for e in executed] == [("send_email", "done")]
        assert [j["id"] for j in page.store.jobs()] == [job, job - 1]  # no second job either
        lines = [line["message"] for line in page.job_view(done)["lines"]]
        assert "Carrying on where another worker stopped" in lines


def test_cli_runs_the_job_itself_when_no_worker_is_alive(
    cli_home: Path,
    brief: dict[str, str],
    fake_model: list[ScriptedChatModel],
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, result, err = run_json(capsys, "new", "--brief", __import__("json").dumps(brief))
    assert code == 0, err
    assert "No worker is running" in err
    assert set(result) == {"thread_id", "status", "pending"}  # the shape it always had
    assert result["status"] == "waiting" and len(result["pending"]) == 2
    with Signoff(cli_home, recover=False) as s:
        [job] = s.store.jobs()
        assert (job["kind"], job["status"], job["thread_id"]) == (
            "start",
            "done",
            result["thread_id"],
        )


def test_cli_waits_for_a_live_worker_and_prints_its_progress(
    cli_home: Path,
    brief: dict[str, str],
    fake_model: list[ScriptedChatModel],
    capsys: pytest.CaptureFixture[str],
) -> None:
    stop = threading.Event()
    ran: list[dict[str, Any]] = []
    with Signoff(cli_home, model=ScriptedChatModel(), recover=False, queued=True) as worker:
        thread = threading.Thread(
            target=lambda: worker.serve(stop, interval=0.1, name="live", on_job=ran.append)
        )
        thread.start()
        try:
            _wait("the worker's heartbeat", lambda: bool(worker.workers()))
            code, result, err = run_json(capsys, "new", "--brief", __import__("json").dumps(brief))
        finally:
            stop.set()
            thread.join(timeout=60)
    assert code == 0, err
    assert "No worker is running" not in err
    assert "passages of evidence" in err  # the worker's progress, read from the database
    assert [(j["kind"], j["owner"], j["status"]) for j in ran] == [("start", "live", "done")]
    assert result["status"] == "waiting" and len(result["pending"]) == 2
    assert fake_model == []  # the CLI process never built a model: the worker drafted


def test_jobs_command_shows_the_queue_and_the_workers(
    cli_home: Path, brief: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    with Signoff(cli_home, model=ScriptedChatModel(), queued=True) as page:
        page.start(brief)
        page.store.worker_beat("w1", "pid 1 on test", ttl=30)
    code, status, _ = run_json(capsys, "jobs")
    assert code == 0
    assert (status["queued"], status["running"], status["failed"]) == (1, 0, 0)
    assert status["oldest_queued_seconds"] is not None and status["oldest_queued_seconds"] >= 0
    assert [w["name"] for w in status["workers"]] == ["w1"]
    assert status["open"][0]["kind"] == "start"
