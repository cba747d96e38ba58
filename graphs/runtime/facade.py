"""`Signoff`, the one facade the page, the CLI and notebooks call: one data directory (its
database of checkpoints and app tables, its policy, graph and connectors) and every service over it.

Each service is a small class in its own module (graphs/runtime/*.py); the facade only opens the
data directory and closes it.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphs.approvals import Approvals
from graphs.executor import Executor
from graphs.kb_cache import CachedKnowledgeBase
from graphs.notify import Reach
from graphs.policy import Policy, load_policy
from graphs.runtime.audit import AuditService
from graphs.runtime.batches import Batches
from graphs.runtime.executed import Executed
from graphs.runtime.jobs import RunQueue
from graphs.runtime.notifications import NotificationsService
from graphs.services import connector_settings
from graphs.state import Context
from graphs.storage.checkpoints import open_checkpointer, share_lock
from graphs.store import Store, default_home, open_database
from tools.base import Settings

if TYPE_CHECKING:
    from langgraph.graph.state import CompiledStateGraph

log = logging.getLogger(__name__)


class Signoff(RunQueue, Batches, NotificationsService, AuditService, Executed):
    """One data directory: its database (checkpoints + app tables), policy, graph and connectors.

    Campaigns (start, retry, recover, read) · Reviews (pending, decide, apply) · InboxPages
    (a page at a time, counts) · Batches (an audience's one review: its contacts in the index,
    decide a whole batch) · Holds (holds,
    cancel, send now, the scheduler) · AutonomyService (levels, promote, simulate) ·
    NotificationsService · AuditService · Executed (undo, in doubt, failed) · RunQueue (runs as
    jobs that workers claim under a lease).
    """

    def __init__(
        self,
        home: Path | str | None = None,
        *,
        model: Any = None,
        smtp_url: str | None = None,
        recover: bool = True,
        policy_path: Path | str | None = None,
        clock: Callable[[], float] = time.time,
        queued: bool = False,
    ) -> None:
        self.home = Path(home).expanduser().resolve() if home else default_home()
        self.home.mkdir(parents=True, exist_ok=True)
        self.db_path = self.home / "signoff.db"
        self.clock = clock
        self.queued = queued  # graph runs go to the run queue for workers (graphs/runtime/jobs.py)
        self.policy: Policy = load_policy(policy_path)
        # SQLite (<home>/signoff.db) or PostgreSQL (SIGNOFF_DATABASE_URL): graphs/storage/
        self.checkpointer, self._saver_conn = open_checkpointer(self.home)
        self.store = Store(open_database(self.home), policy_version=self.policy.version)
        share_lock(self.checkpointer, self.store)  # one writer in-process, no busy sleeps
        if isinstance(self._saver_conn, sqlite3.Connection):
            # WAL + synchronous=NORMAL, like the app tables' connection: no fsync per
            # checkpoint. Both connections append to the same WAL, so an OS crash can only drop
            # a suffix of commits, in order (never a checkpoint whose decisions/outbox rows
            # survived, or the reverse); a killed process loses nothing.
            self._saver_conn.execute("PRAGMA synchronous=NORMAL")
        self.approvals = Approvals(self.store, self.policy.authority)
        self._audit_policy()
        self.settings = self._settings(smtp_url)
        self.executor = Executor(self.store, self.settings)
        self.reach = Reach(self.store, self.policy, self.settings)  # email/Slack/webhook
        from tools.kb import KnowledgeBase

        self.kb = KnowledgeBase.open(self.db_path)
        self.kb.ensure_sample()
        self.context = Context(
            model=model,
            executor=self.executor,
            kb=CachedKnowledgeBase(self.kb),  # the graph's reads, cached per KB version
            policy=self.policy,
            store=self.store,
            settings=self.settings,
            clock=clock,
        )
        self._scheduler: threading.Thread | None = None
        self._stop = threading.Event()
        if recover:
            self.recover()

    @cached_property
    def graph(self) -> CompiledStateGraph[Any, Any, Any, Any]:
        """The campaign graph, built on first use: importing it (LangGraph, the writer, the
        model's client) takes seconds, and a page that reads only the database never needs it."""
        from graphs.campaign import build_graph
        from graphs.runtime.handoff import install
        from graphs.runtime.pool import install as keep_threads
        from graphs.runtime.ready import watch

        keep_threads()  # its runs' tasks on threads kept from run to run (pool.py)
        watch(self.checkpointer)  # a branch's interrupt into the inbox once saved (ready.py)
        install(self.checkpointer)  # a resume's checkpoint read given to its run (handoff.py)
        return build_graph(self.checkpointer)

    def _settings(self, smtp_url: str | None) -> Settings:
        return connector_settings(self.home, self.policy, smtp_url)

    def close(self) -> None:
        self.stop_scheduler()
        for conn in (self._saver_conn, self.store.conn):
            try:
                conn.close()
            except Exception:  # pragma: no cover - closing twice (sqlite3 or psycopg)
                pass
        self.kb.close()

    def __enter__(self) -> Signoff:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
