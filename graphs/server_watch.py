"""The scheduler for threads driven by LangGraph's own server (`langgraph dev`, a deployment).

Signoff's runtime releases holds and expires reviews for the threads it drives. Threads that
`langgraph_sdk`, Studio or Agent Inbox drive live in that server's checkpointer, where the
runtime cannot see them; this watcher asks the server instead. Each step it lists the server's
interrupted threads and, for each pending interrupt of Signoff's graph:

- a hold whose `release_at` has passed is resumed with `{"type": "release"}`;
- a review whose `expires_at` has passed is resumed with `{"type": "expire"}`;

each by interrupt id, as `scheduler` (the graph records and audits it, first wins: a person's
cancel or send-now that got there first stands). A thread that is busy (a person's run is on
it) is tried again at the next step.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any, Literal

log = logging.getLogger(__name__)

SCHEDULER = "scheduler"


class ServerWatcher:
    def __init__(
        self,
        url: str,
        *,
        graph: str = "campaign",
        clock: Callable[[], float] = time.time,
        client: Any = None,
    ) -> None:
        from langgraph_sdk import get_sync_client

        self.url = url.rstrip("/")
        self.graph = graph
        self.clock = clock
        self.client = client or get_sync_client(url=self.url)

    def interrupted(self) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        """(thread id, pending interrupts as {"id", "value"}) of every thread with interrupts.

        A thread whose last run failed (a refused decision) is `error` but still waits."""
        yield from self._search("interrupted")
        yield from self._search("error")

    def _search(
        self, status: Literal["interrupted", "error"]
    ) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        offset, page = 0, 100
        while True:
            threads = self.client.threads.search(status=status, limit=page, offset=offset)
            for thread in threads:
                state = self.client.threads.get_state(thread["thread_id"])
                pending = [
                    {"id": i["id"], "value": i["value"]}
                    for i in state.get("interrupts", [])
                    if isinstance(i.get("value"), dict) and i["value"].get("kind")
                ]
                if pending:
                    yield thread["thread_id"], pending
            if len(threads) < page:
                return
            offset += page

    def due(self, pending: list[dict[str, Any]], now: float) -> dict[str, dict[str, Any]]:
        answers: dict[str, dict[str, Any]] = {}
        for item in pending:
            value = item["value"]
            if value["kind"] == "hold" and float(value.get("release_at") or now + 1) <= now:
                answers[item["id"]] = {"type": "release"}
            elif value["kind"] in ("review", "batch") and value.get("expires_at") is not None:
                if float(value["expires_at"]) <= now:
                    answers[item["id"]] = {"type": "expire"}
        return answers

    def tick(self, now: float | None = None) -> dict[str, list[str]]:
        """One step: release due holds, expire overdue reviews. Returns the ids by what was done."""
        now = self.clock() if now is None else now
        done: dict[str, list[str]] = {"released": [], "expired": [], "skipped": []}
        for thread_id, pending in list(self.interrupted()):
            answers = self.due(pending, now)
            if not answers:
                continue
            try:
                self.client.runs.wait(
                    thread_id,
                    self.graph,
                    command={"resume": answers},
                    context={"signoff_user": SCHEDULER},
                    multitask_strategy="reject",
                )
            except Exception as exc:  # busy, or someone decided first: the next step sees it
                log.warning("could not resume %s on %s: %s", thread_id, self.url, exc)
                done["skipped"] += list(answers)
                continue
            for interrupt_id, decision in answers.items():
                key = "released" if decision["type"] == "release" else "expired"
                done[key].append(interrupt_id)
        return done


def server_held_state(client: Any, thread_id: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(audience, the batch's decision with the contacts' own) of a thread LangGraph's server
    drives, read from that server (`threads.get_state` with its branches' states): what
    `signoff holds --contacts` lists for an audience held there (graphs/runtime/holds.py).

    Contacts taken out during the hold are in the branch's decision there (`members` of type
    cancel, graphs/batch.py `batch_hold`); they are left out of it here, as in a hold the
    runtime drives, so the listing shows them as taken out (from the data directory's record)
    rather than not at all."""
    state = client.threads.get_state(thread_id, subgraphs=True)
    audience = list((state.get("values") or {}).get("audience") or [])
    decision: dict[str, Any] = {}
    for task in state.get("tasks") or []:
        branch = task.get("state") or {}
        values = branch.get("values") if isinstance(branch, dict) else None
        if task.get("name") == "batch" and values and values.get("decision"):
            decision = dict(values["decision"])
    members = decision.get("members") or {}
    decision["members"] = {a: d for a, d in members.items() if d.get("type") != "cancel"}
    decision.pop("replaces", None)
    return audience, decision
