"""A job's lease heartbeat that meets the job's end says nothing: the heartbeat thread of
`work_once` may be inside its write when the job finishes (its lock taken after the job's
finish), and then finds the job no longer running. That is the job ending, not the job taken
over: no "no longer ours" warning, which the CLI prints on stderr as a second line
(tests/unit/test_cli.py::test_model_failure_is_one_line_and_retry_carries_on flaked on it under
load, when a run lasted past the first heartbeat)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import pytest
from fakes import ScriptedChatModel

from graphs.runtime import Signoff

GUARD_S = 120  # a deadlock guard only: each wait below is released by the other thread


def test_a_heartbeat_that_meets_the_job_s_end_does_not_warn(
    home: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    with Signoff(home, model=ScriptedChatModel()) as runtime:
        store = runtime.store
        job = runtime.enqueue_run("retry", "no-such-campaign")
        beating, finished = threading.Event(), threading.Event()
        heartbeat, finish_job = store.heartbeat, store.finish_job
        beats: list[bool] = []

        def late_heartbeat(*args: Any, **kw: Any) -> bool:
            beating.set()  # the heartbeat thread is past its wait, in its write...
            assert finished.wait(GUARD_S)  # ...which gets the lock after the job's finish
            beats.append(heartbeat(*args, **kw))
            return beats[-1]

        def finishing(*args: Any, **kw: Any) -> bool:
            done = finish_job(*args, **kw)
            finished.set()
            return done

        def execute(job: dict[str, Any], feed: Any) -> None:
            assert beating.wait(GUARD_S)  # the job ends while the heartbeat is under way

        monkeypatch.setattr(store, "heartbeat", late_heartbeat)
        monkeypatch.setattr(store, "finish_job", finishing)
        monkeypatch.setattr(runtime, "_execute", execute)
        done = runtime.work_once("w", ttl=0.03)  # the first heartbeat comes at once
        assert done is not None and done["id"] == job and done["status"] == "done"
        assert beats == [False]  # the heartbeat did find the job finished
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
