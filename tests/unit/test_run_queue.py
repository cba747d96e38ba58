"""The run queue: graph runs as jobs that workers claim under a lease; a worker that stops
mid-run loses its lease and another worker takes the run over from the last checkpoint."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fakes import ScriptedChatModel

from graphs.errors import RunStopped
from graphs.runtime import Signoff
from graphs.runtime.stored import next_branches
from graphs.store import Store, connect


def stopped(home: Path, brief: dict[str, str], why: str) -> Signoff:
    """The facade, with one campaign started on it whose model raised `ConnectionError(why)`
    while drafting: the run stopped."""

    def broken(schema: object, prompt: str) -> dict[str, str]:
        raise ConnectionError(why)

    runtime = Signoff(home, model=ScriptedChatModel(script=[broken]))
    try:
        with pytest.raises(RunStopped):
            runtime.start(brief)
    except BaseException:
        runtime.close()
        raise
    return runtime


def test_claim_heartbeat_take_over_finish(tmp_path: Path) -> None:
    store = Store(connect(tmp_path / "q.db"))
    first = store.enqueue("retry", "t1")
    second = store.enqueue("apply", "t2")
    a = store.claim_job("worker-a", ttl=30)
    b = store.claim_job("worker-b", ttl=30)
    assert a is not None and b is not None
    assert (a["id"], a["status"], a["attempts"]) == (first, "running", 1)
    assert b["id"] == second and b["owner"] == "worker-b"
    assert store.claim_job("worker-c", ttl=30) is None  # both are held
    assert store.heartbeat(first, "worker-a", ttl=30) and not store.heartbeat(first, "worker-c")
    # worker-a stops beating (killed): once its lease has run out, worker-c takes the run over
    taken = store.claim_job("worker-c", ttl=30, now=time.time() + 31)
    assert taken is not None and (taken["id"], taken["owner"], taken["attempts"]) == (
        first,
        "worker-c",
        2,
    )
    assert not store.finish_job(first, "worker-a", "done")  # the old worker's result is refused
    assert store.finish_job(first, "worker-c", "done")
    assert store.job(first)["status"] == "done"  # type: ignore[index]
    assert [j["id"] for j in store.jobs("running")] == [second]


def test_a_run_a_dead_worker_held_is_carried_on_by_another(home: Path, brief: dict[str, str]):
    with stopped(home, brief, "the worker died while drafting") as runtime:
        [campaign] = runtime.campaigns()
        thread = campaign["thread_id"]
        job = runtime.enqueue_run("retry", thread)
        # a worker claims the run and dies before it finishes: it never beats or finishes
        assert runtime.store.claim_job("dead-worker", ttl=0.01)["id"] == job  # type: ignore[index]
        time.sleep(0.05)
        done = runtime.work_once("live-worker")
        assert done is not None and done["id"] == job
        assert (done["status"], done["owner"], done["attempts"]) == ("done", "live-worker", 2)
        summary = runtime.summary(thread)
        assert summary["status"] == "waiting" and len(summary["pending"]) == 2
        assert runtime.work_once("live-worker") is None  # nothing left
        with pytest.raises(ValueError, match="expected one of"):
            runtime.enqueue_run("draft", thread)


def test_a_failing_run_is_marked_failed_with_its_error(home: Path, brief: dict[str, str]):
    with Signoff(home, model=ScriptedChatModel()) as runtime:
        job = runtime.enqueue_run("retry", "no-such-campaign")
        done = runtime.work_once("w")
        assert done is not None and done["id"] == job and done["status"] == "failed"
        assert "No campaign" in done["error"]


CHILD = """
import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from fakes import ScriptedChatModel
from graphs.runtime import Signoff
from graphs.runtime.stored import next_branches
started = Path(sys.argv[2])

def hang(schema, prompt):
    started.touch()  # the run is under way: the test kills this worker now
    time.sleep(600)

runtime = Signoff(sys.argv[1], model=ScriptedChatModel(script=[hang]), recover=False)
runtime.work_once("child-worker", ttl=2.0)
"""


@pytest.mark.usefixtures("database")  # on SQLite and PostgreSQL
def test_a_worker_killed_mid_run_is_taken_over(
    home: Path, brief: dict[str, str], tmp_path: Path
) -> None:
    import os
    import signal
    import subprocess
    import sys

    with stopped(home, brief, "the model server went away") as runtime:
        thread = runtime.campaigns()[0]["thread_id"]
        job = runtime.enqueue_run("retry", thread)
        started = tmp_path / "started"
        tests = str(Path(__file__).resolve().parents[1])
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(home), str(started), tests],
            env={**os.environ},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 600
            while not started.exists():
                assert child.poll() is None, child.communicate()[1][-2000:]
                assert time.monotonic() < deadline, "the worker never reached the model"
                time.sleep(0.2)
            held = runtime.store.job(job)
            assert held is not None and held["owner"] == "child-worker"
            assert held["status"] == "running"
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=60)
        time.sleep(2.5)  # its lease runs out: nobody beats for it any more
        done = runtime.work_once("second-worker")
        assert done is not None and done["id"] == job
        assert (done["status"], done["owner"], done["attempts"]) == ("done", "second-worker", 2)
        summary = runtime.summary(thread)
        assert summary["status"] == "waiting" and len(summary["pending"]) == 2


def test_cli_queues_a_retry_for_the_worker(
    cli_home: Path, brief: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    from support import run_json

    with stopped(cli_home, brief, "the model server went away") as runtime:
        thread = runtime.campaigns()[0]["thread_id"]
    code, queued, _ = run_json(capsys, "retry", thread, "--queue")
    assert code == 0 and queued["status"] == "queued"
    with Signoff(cli_home, model=ScriptedChatModel(), recover=False) as runtime:
        assert runtime.store.job(queued["job"])["status"] == "queued"  # type: ignore[index]
        import threading

        stop = threading.Event()
        assert runtime.run_queued(stop) == 1  # what `signoff worker` does between its ticks
        assert runtime.summary(thread)["status"] == "waiting"
    code, _, err = run_json(capsys, "retry", "nope", "--queue")
    assert code == 4


def test_a_page_s_start_up_recovery_reads_the_checkpoints_not_the_graph(
    home: Path, brief: dict[str, str]
) -> None:
    """Queued mode (the page, the CLI): recovery at start-up queues a retry for a campaign
    whose run died past its drafting, and none for one that died while drafting, read from the
    stored checkpoints: the page process never builds the graph for it (seconds of imports)."""
    with Signoff(home, model=ScriptedChatModel()) as runtime:
        past = str(runtime.start({**brief, "channels": ["email"]})["thread_id"])
    with stopped(home, brief, "the model went away while drafting") as runtime:
        [drafting] = [c["thread_id"] for c in runtime.campaigns() if c["thread_id"] != past]
        for thread in (past, drafting):  # both died "running", with no job to carry them on
            runtime.store.set_campaign_status(thread, "running")
            # what the checkpoint says is what the graph says
            nxt = runtime.graph.get_state(runtime._config(thread)).next
            assert next_branches(runtime.checkpointer, thread) == nxt
    with Signoff(home, queued=True) as page:
        assert "graph" not in vars(page)  # never built
        kinds = {
            t: [j["kind"] for j in page.store.thread_jobs(t, open_only=True)]
            for t in (past, drafting)
        }
        assert kinds == {past: ["retry"], drafting: []}
