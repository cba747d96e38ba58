"""Queued start-up recovery (the page, the CLI) of a campaign left running past its drafting
(its process died, no job carries it on) queues a retry, read from the stored checkpoints
(graphs/runtime/stored.py `next_branches`), as the unqueued recovery does from
`graph.get_state().next`: also with branches of different kinds (the audience's batch beside the
post's review) and with several branches of one kind."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import ScriptedChatModel

from graphs.runtime import Signoff
from graphs.runtime.stored import next_branches

CONTACTS = [{"email": f"p{i}@example.com", "name": f"Pat{i} Lee"} for i in range(1, 5)]


def _left_running(runtime: Signoff, thread: str) -> tuple[str, ...]:
    """The campaign as a process that died mid-run leaves it; what the graph says is next, and
    what the checkpoints say agrees."""
    runtime.store.set_campaign_status(thread, "running")
    nxt = tuple(runtime.graph.get_state(runtime._config(thread)).next)
    assert next_branches(runtime.checkpointer, thread) == nxt
    return nxt


def _queued_kinds(home: Path, *threads: str) -> dict[str, list[str]]:
    with Signoff(home, queued=True) as page:
        assert "graph" not in vars(page)  # read from the checkpoints, never built
        return {t: [j["kind"] for j in page.store.thread_jobs(t, open_only=True)] for t in threads}


@pytest.mark.usefixtures("database")  # on SQLite and PostgreSQL
def test_a_campaign_left_running_with_a_batch_and_a_review_gets_a_retry(
    home: Path, brief: dict[str, str]
) -> None:
    mixed = {**brief, "channels": ["email", "social"]}
    with Signoff(home, model=ScriptedChatModel()) as runtime:
        both = str(runtime.start(mixed, audience=CONTACTS)["thread_id"])  # both branches wait
        one = str(runtime.start(mixed, audience=CONTACTS)["thread_id"])
        [post] = [p for p in runtime.pending() if p["thread_id"] == one and not p.get("batch")]
        runtime.decide(post["id"], {"type": "reject", "reason": "Not this week"})  # finished
        assert _left_running(runtime, both) == ("review", "batch")
        assert _left_running(runtime, one) == ("batch",)  # the review's branch is done
    assert _queued_kinds(home, both, one) == {both: ["retry"], one: ["retry"]}


def test_a_campaign_left_running_with_two_reviews_gets_a_retry(
    home: Path, brief: dict[str, str]
) -> None:
    with Signoff(home, model=ScriptedChatModel()) as runtime:
        thread = str(runtime.start({**brief, "channels": ["email", "social"]})["thread_id"])
        assert _left_running(runtime, thread) == ("review", "review")
    assert _queued_kinds(home, thread) == {thread: ["retry"]}
