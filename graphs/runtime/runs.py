"""Running a campaign's graph: stream it to its next pause, then refresh the inbox index and
the campaign's status from the latest checkpoint. The base of every runtime service."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.pregel._task_status import read_task_statuses

from graphs import progress
from graphs.approvals import Approvals
from graphs.errors import RunStopped, SignoffError
from graphs.executor import Executor
from graphs.kb_cache import RUN_VERSION as KB_VERSION
from graphs.kb_cache import CachedKnowledgeBase
from graphs.notify import Reach
from graphs.policy import Policy
from graphs.record import RECORDED
from graphs.runtime.handoff import handing_over
from graphs.runtime.pool import POOL, shared
from graphs.runtime.ready import Batcher
from graphs.runtime.ready import listening as ready_listening
from graphs.state import Context
from graphs.storage.inbox import NOTHING_INDEXED, Indexed, summary_read
from graphs.store import Store
from tools.base import Settings

log = logging.getLogger(__name__)


Progress = Callable[[str, str], None]  # (step, message)


class Runs:
    """The state every service shares (set by `Signoff.__init__`) and the graph runner."""

    home: Path
    db_path: Path
    clock: Callable[[], float]
    policy: Policy
    checkpointer: BaseCheckpointSaver[Any]  # SqliteSaver or PostgresSaver
    store: Store
    settings: Settings
    executor: Executor
    approvals: Approvals  # who may do what (graphs/approvals.py)
    reach: Reach  # notifications to reviewers (graphs/notify.py)
    kb: Any  # tools.kb.KnowledgeBase
    graph: Any  # the compiled campaign graph
    context: Context
    _saver_conn: Any  # the checkpointer's connection (sqlite3 or psycopg)
    _scheduler: threading.Thread | None
    _stop: threading.Event
    ready_grace_s = 0.2  # a ready branch waits this long for its run's end to index it

    def _config(self, thread_id: str) -> RunnableConfig:
        return {"configurable": {"thread_id": thread_id}}

    def _pending_ids(self, thread_id: str) -> set[str]:
        """The ids of the thread's interrupts waiting for an answer, as
        `get_state().interrupts` says them, read from the latest checkpoint's writes with
        LangGraph's own rule (`read_task_statuses`: a task's last interrupt, while the task has
        not finished), without rebuilding its state and next tasks."""
        return pending_ids(self.checkpointer.get_tuple(self._config(thread_id)))

    def _launch(self, thread_id: str, payload: Any, on_progress: Progress | None) -> int | None:
        """A new campaign's first run: here (None), or a queued job's id (RunQueue)."""
        self._run(thread_id, payload, on_progress, index=NOTHING_INDEXED)  # a new thread id
        return None

    def _run(
        self,
        thread_id: str,
        payload: Any,
        on_progress: Progress | None,
        applied: list[str] | None = None,
        recorded: dict[str, Any] | None = None,
        saved: Any = None,
        index: Indexed | None = None,
    ) -> None:
        """Stream one run to its next pause, then sync the index. `applied`: the recorded
        decisions this run resumes with; once it went through they are marked applied (and
        audited) in the same transaction as the sync. `recorded`: those decisions as their
        rows say, by interrupt id (the nodes read them from the run's config, not the table).
        `saved`: the thread's last checkpoint as the caller just read it under the lease,
        handed to the run's own first read (graphs/runtime/handoff.py). `index`: the thread's
        inbox rows as the caller just read them under the lease (`Store.inbox_ids`), else read
        here."""
        config = self._config(thread_id)
        if recorded:
            config["configurable"][RECORDED] = recorded
        if isinstance(self.context.kb, CachedKnowledgeBase):  # one KB version per run
            config["configurable"][KB_VERSION] = _RunVersion(self.context.kb)
        # the run's tasks on the threads kept from earlier runs (graphs/runtime/pool.py)
        config["configurable"][POOL] = shared()
        ok = False
        if index is None:
            index = self.store.inbox_ids(thread_id)
        seen, indexed, batched = set(index.undecided), index.ids, index.batched
        there = set(index.single)  # the rows of no batch, with those this run adds (a hint)
        ready = set(seen)
        raised: dict[str, Any] = {}  # the interrupts this run's last step raised, by id

        # a branch ready while others still draft: into the inbox within `ready_grace_s` (as
        # the saver stores its interrupt), or with the run's end if that comes first (ready.py)
        batcher = Batcher(
            lambda new: there.update(self._sync_ready(thread_id, new)), ready, self.ready_grace_s
        )
        reached = batcher.reached

        def told(event: dict[str, Any]) -> None:  # a node's own progress (graphs/progress.py)
            if isinstance(event, dict) and event.get("message"):
                log.info("[%s] %s", thread_id[:8], event["message"])
                if on_progress:
                    on_progress(str(event.get("step", "writer")), event["message"])

        try:
            # The top level's updates only: no `subgraphs=True`, no "custom" mode. Either makes
            # LangGraph run every step on its thread pool beside a waiter thread (see
            # graphs/progress.py); the nodes' progress comes through `listening` instead, and a
            # branch's end (its outcomes) and its interrupts reach the top level's updates.
            with (
                progress.listening(told),
                ready_listening(thread_id, reached),
                handing_over(thread_id, saved),
            ):
                for update in self.graph.stream(
                    payload,
                    config,
                    context=self.context,
                    stream_mode="updates",
                    durability="sync",
                ):
                    if "__interrupt__" in update:  # indexed as saved (reached), else here
                        raised.update((i.id, i) for i in update["__interrupt__"])
                        reached(update["__interrupt__"])
                    for step, message in _describe(update, seen):
                        log.info("[%s] %s: %s", thread_id[:8], step, message)
                        if on_progress:
                            on_progress(step, message)
            ok = True
        except Exception as exc:
            self.store.audit("campaign.error", {"error": repr(exc)}, thread_id=thread_id)
            self.store.set_campaign_status(thread_id, "error")
            if isinstance(exc, SignoffError):
                raise
            raise RunStopped(thread_id, exc) from exc
        finally:
            batcher.close()
            state = None
            if ok and indexed - set(applied or ()) <= raised.keys():
                # A run stops at the end of the step where an interrupt was raised, and that
                # step re-runs every task still waiting (each raises its interrupt again): what
                # it raised is what is pending, no checkpoint read needed. Only when every
                # interrupt indexed before the run (less those it answered) was raised again;
                # else the checkpoint says (get_state).
                state = _Paused(tuple(raised.values()))
            # no audience batch's rows before the run (this run holds the lease, and only its
            # own sync adds them): none to drop unless a batch is live now (no read). The sync
            # is the last write under the lease: it releases it in its transaction
            self._sync(
                thread_id,
                state=state,
                applied=applied if ok else None,
                batched=batched,
                there=there,
                end_lease=True,
            )

    def _sync_ready(self, thread_id: str, interrupts: Any) -> list[str]:
        """A branch reached its gate while others still draft: into the inbox at once.

        The rows come from the interrupts the saver just saved (graphs/runtime/ready.py) or the
        stream returned (their ids and payloads are the ones `get_state().interrupts` gives), not
        from a checkpoint read: this run holds the
        thread's lease, so a decision on them is applied only after the run ends, when the
        checkpoint has them; and the run's end (`_sync`) sets the index from the checkpoint.
        """
        items = _items(interrupts, self.clock())
        status = "waiting" if any(i["kind"] == "review" for i in items) else None
        self.store.index_thread(
            thread_id, items, replace=False, proposed=_proposed, status=status, keep_error=True
        )
        return [i["interrupt_id"] for i in items]  # in the index now (new, or there before)

    def _sync(
        self,
        thread_id: str,
        state: Any = None,
        applied: list[str] | None = None,
        batched: bool = True,
        there: set[str] | None = None,
        end_lease: bool = False,
    ) -> None:
        """Refresh the inbox index and the campaign status from the thread's latest checkpoint
        (or `state`, a `get_state()` the caller just read), and mark `applied` decisions
        applied: one transaction. `batched=False`: the caller knows the thread has no audience
        batch's rows indexed (under its lease); `there`: the ids of its rows of no batch as
        the caller knows them (`InboxTables.index_thread`). `end_lease`: the sync is the last
        write under the lease the caller holds (a run's end): released with the index's
        transaction when no audience batch's rows are synced after it."""
        if state is None:
            state = self.graph.get_state(self._config(thread_id))
        # an audience batch's one review: its contacts' rows are kept by _sync_batches
        batches = [i for i in state.interrupts if i.value.get("kind") == "batch"]
        items = _items([i for i in state.interrupts if i not in batches], self.clock())
        if state.interrupts:
            kinds = {i["kind"] for i in items}
            status = "waiting" if "review" in kinds or batches else "scheduled"
        elif state.next:
            status = "running"
        else:
            status = "done"
        last = end_lease and not (batches or batched)  # no batch's rows synced after it
        summaries = self._summaries_wanted()
        self.store.index_thread(
            thread_id,
            items,
            proposed=_proposed,
            status=status,
            keep_error=bool(state.next),
            applied=applied,
            there=there,
            end_lease=last,
            # the summary the caller shows next, read with the sync (`summaries_after_runs`)
            read_after=(summary_read(thread_id), partial(summaries.__setitem__, thread_id))
            if last and summaries is not None
            else None,
        )
        if batches or batched:
            self._sync_batches(thread_id, state, batches)

    @contextmanager
    def summaries_after_runs(self) -> Iterator[dict[str, Any]]:
        """A caller that shows the summaries of the campaigns it runs (start, decide): within
        the block, a run's end reads its campaign's summary rows (`summary_read`) in its sync's
        transaction, by thread id, for `summary()` to take (on PostgreSQL no round trip of their
        own). A summary taken is the campaign as its run left it; the rows go with the block."""
        local = self.__dict__.get("_summaries_local")
        if local is None:
            local = self.__dict__.setdefault("_summaries_local", threading.local())
        if getattr(local, "rows", None) is not None:  # an outer block's
            yield local.rows
            return
        local.rows = {}
        try:
            yield local.rows
        finally:
            local.rows = None

    def _summaries_wanted(self) -> dict[str, Any] | None:
        """The rows of `summaries_after_runs` this (Python) thread collects, or None."""
        local = self.__dict__.get("_summaries_local")
        return getattr(local, "rows", None) if local is not None else None

    def _sync_batches(self, thread_id: str, state: Any, interrupts: list[Any]) -> None:
        """Index the contacts of each batch interrupt (graphs/runtime/batches.py)."""


class _RunVersion:
    """The knowledge base's version for one run (graphs/kb_cache.py `RUN_VERSION`), read when
    the run first reads the knowledge base, then the same for the rest of the run: one version
    per run, and no query at all for a run that reads none (a resume through the gate, the hold
    and the publisher). `kb_cache` takes it with `str()`; the branches' threads share it."""

    __slots__ = ("_kb", "_lock", "_value")

    def __init__(self, kb: CachedKnowledgeBase) -> None:
        self._kb = kb
        self._lock = threading.Lock()
        # a run started under `kb.pinned()` (a campaign's start): that version, no query
        self._value: str | None = kb.pinned_version()

    def __bool__(self) -> bool:
        return True

    def __str__(self) -> str:
        with self._lock:
            if self._value is None:
                self._value = self._kb.version()
            return self._value


def pending_ids(saved: Any) -> set[str]:
    """`Runs._pending_ids` of a checkpoint tuple already read (None: no checkpoint)."""
    if saved is None:
        return set()
    statuses = read_task_statuses(saved.pending_writes or [])
    return {i.id for status in statuses.values() for i in status.pending_interrupts}


@dataclass(frozen=True)
class _Paused:
    """Where a run that went through stopped, as `get_state()` would say it: the interrupts
    pending, and a next step exactly when there are some (a run ends at an interrupt or at
    the graph's end)."""

    interrupts: tuple[Any, ...]

    @property
    def next(self) -> tuple[str, ...]:
        return ("interrupted",) if self.interrupts else ()


def _items(interrupts: Any, now: float) -> list[dict[str, Any]]:
    """Inbox rows of pending interrupts (reviews and holds)."""
    items = []
    for intr in interrupts:
        payload = intr.value
        kind = payload.get("kind", "review")
        if kind == "batch":  # an audience batch: indexed with its contacts by _sync_batches
            continue
        if kind == "hold":
            due = payload.get("release_at")
        else:
            after = payload.get("expires_after")
            due = now + after if after else None
        items.append(
            {
                "interrupt_id": intr.id,
                "action_id": str(payload.get("action_id", "")),
                "payload": payload,
                "kind": kind,
                "due": due,
                "batch": payload.get("batch"),
            }
        )
    return items


def _proposed(item: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The audit entry of an item new in the inbox: proposed for review, or held."""
    payload = item["payload"]
    detail: dict[str, Any] = {
        "interrupt_id": item["interrupt_id"],
        "action_id": item["action_id"],
        "action": payload["action"],
        "risk": payload.get("risk"),
    }
    if item["kind"] == "hold":
        detail["release_at"] = payload["release_at"]
        return "action.held", detail
    detail.update(
        reasons=payload["reasons"],
        confidence=payload["confidence"],
        route=payload.get("route"),
        level=payload.get("level"),
        expires_at=item["due"],
    )
    return "action.proposed", detail


# outcomes a person chose (or the policy's daily limit): no line of their own
_DECIDED = frozenset({"rejected", "cancelled", "expired", "skipped"})


def _describe(update: dict[str, Any], seen: set[str]) -> Iterator[tuple[str, str]]:
    """Progress lines of one top-level update. A branch (review, batch) reports when it ends,
    with its outcomes; what happens inside it is told by its nodes (graphs/progress.py).

    An update LangGraph marks `cached` replays what an earlier run of the same step already
    wrote (a resume re-emits the writes of the step's tasks that had finished, e.g. the email
    sent before the post was approved): it was told then, and is not told again as news."""
    if (update.get("__metadata__") or {}).get("cached"):
        return
    for node, value in update.items():
        if node == "__interrupt__":
            for intr in value:
                if intr.id in seen:  # already in the inbox before this run
                    continue
                seen.add(intr.id)
                v = intr.value
                if v.get("kind") == "hold":
                    yield "hold", f"Held until its release time: {v.get('title')}"
                else:
                    yield (
                        "gate",
                        f"Waiting for your decision: {v.get('title')} ({v.get('risk')} risk)",
                    )
            continue
        value = value or {}
        if node == "researcher":
            yield (
                node,
                f"Found {len(value.get('evidence', []))} passages of evidence in the knowledge base",
            )
        elif node in ("review", "batch"):
            for outcome in value.get("outcomes", []):
                if outcome.get("status") not in _DECIDED:
                    yield "publisher", f"{outcome['name']}: {outcome['status']}"
