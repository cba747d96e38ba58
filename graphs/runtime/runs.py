"""Running a campaign's graph: stream it to its next pause, then refresh the inbox index and
the campaign's status from the latest checkpoint. The base of every runtime service."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver

from graphs.approvals import Approvals
from graphs.errors import RunStopped, SignoffError
from graphs.executor import Executor
from graphs.notify import Reach
from graphs.policy import Policy
from graphs.state import Context
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

    def _config(self, thread_id: str) -> RunnableConfig:
        return {"configurable": {"thread_id": thread_id}}

    def _launch(self, thread_id: str, payload: Any, on_progress: Progress | None) -> int | None:
        """A new campaign's first run: here (None), or a queued job's id (RunQueue)."""
        self._run(thread_id, payload, on_progress)
        return None

    def _run(self, thread_id: str, payload: Any, on_progress: Progress | None) -> None:
        config = self._config(thread_id)
        seen = {item["interrupt_id"] for item in self.store.inbox(thread_id, kind=None)}
        ready = set(seen)
        try:
            for chunk in self.graph.stream(
                payload,
                config,
                context=self.context,
                stream_mode=["updates", "custom"],
                subgraphs=True,
                durability="sync",
            ):
                namespace, mode, update = cast(tuple[tuple[str, ...], str, Any], chunk)
                if mode == "custom":  # a node's own progress (the writer, per action)
                    if isinstance(update, dict) and update.get("message"):
                        log.info("[%s] %s", thread_id[:8], update["message"])
                        if on_progress:
                            on_progress(str(update.get("step", "writer")), update["message"])
                    continue
                if not namespace and "__interrupt__" in update:  # a branch is ready while
                    new = [i for i in update["__interrupt__"] if i.id not in ready]  # others
                    if new:  # still draft: into the inbox now
                        ready.update(i.id for i in new)
                        self._sync_ready(thread_id, new)
                for step, message in _describe(namespace, update, seen):
                    log.info("[%s] %s: %s", thread_id[:8], step, message)
                    if on_progress:
                        on_progress(step, message)
        except Exception as exc:
            self.store.audit("campaign.error", {"error": repr(exc)}, thread_id=thread_id)
            self.store.set_campaign_status(thread_id, "error")
            if isinstance(exc, SignoffError):
                raise
            raise RunStopped(thread_id, exc) from exc
        finally:
            self._sync(thread_id)

    def _sync_ready(self, thread_id: str, interrupts: Any) -> None:
        """A branch reached its gate while others still draft: into the inbox at once (its
        pending write is saved in the background; wait for it briefly, else the run's end
        brings it)."""
        ids = {i.id for i in interrupts}
        for _ in range(100):
            state = self.graph.get_state(self._config(thread_id))
            if ids <= {i.id for i in state.interrupts}:
                self._sync(thread_id)
                return
            time.sleep(0.02)

    def _sync(self, thread_id: str) -> None:
        """Refresh the inbox index and the campaign status from the thread's latest checkpoint."""
        state = self.graph.get_state(self._config(thread_id))
        now = self.clock()
        items = []
        batches = []  # an audience's one review: its contacts are indexed by _sync_batches
        for intr in state.interrupts:
            payload = intr.value
            kind = payload.get("kind", "review")
            if kind == "batch":
                batches.append(intr)
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
        new = set(self.store.replace_inbox(thread_id, items))
        self._sync_batches(thread_id, state, batches)
        for item in items:
            if item["interrupt_id"] not in new or self.store.decision(item["interrupt_id"]):
                continue
            payload = item["payload"]
            event = "action.held" if item["kind"] == "hold" else "action.proposed"
            detail = {
                "interrupt_id": item["interrupt_id"],
                "action_id": item["action_id"],
                "action": payload["action"],
                "risk": payload.get("risk"),
            }
            if item["kind"] == "hold":
                detail["release_at"] = payload["release_at"]
            else:
                detail.update(
                    reasons=payload["reasons"],
                    confidence=payload["confidence"],
                    route=payload.get("route"),
                    level=payload.get("level"),
                    expires_at=item["due"],
                )
            self.store.audit(event, detail, thread_id=thread_id)
        if state.interrupts:
            kinds = {i["kind"] for i in items}
            status = "waiting" if "review" in kinds or batches else "scheduled"
        elif state.next:
            status = "running"
        else:
            status = "done"
        current = self.store.campaign(thread_id)
        if (
            current
            and current["status"] != status
            and not (current["status"] == "error" and state.next)
        ):
            self.store.set_campaign_status(thread_id, status)

    def _sync_batches(self, thread_id: str, state: Any, interrupts: list[Any]) -> None:
        """Index the contacts of each batch interrupt (graphs/runtime/batches.py)."""


def _describe(
    namespace: tuple[str, ...], update: dict[str, Any], seen: set[str]
) -> Iterator[tuple[str, str]]:
    for node, value in update.items():
        if node == "__interrupt__":
            for intr in value:
                if intr.id in seen:  # surfaced by the subgraph and again by the parent
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
        elif node == "writer" and "actions" in value:
            yield node, "Drafted " + ", ".join(a["name"] for a in value["actions"])
        elif node == "writer" and namespace:  # a Command's update is not streamed: no values
            yield node, "Redrafted the action with your feedback; it comes back for review"
        elif node == "publisher":
            for outcome in value.get("outcomes", []):
                yield node, f"{outcome['name']}: {outcome['status']}"
