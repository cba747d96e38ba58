"""The one facade the page, the CLI and notebooks call: start, list pending, decide, show.

Exactly once (DESIGN.md §4):
- a decision is first written to `decisions` (unique per interrupt id); only the caller whose
  insert wins resumes, and a second decider is told who decided first. Hold releases (the
  scheduler), cancels and send-nows are decisions too, so a hold has exactly one outcome;
- a thread is resumed under a lease, one resume at a time, with every recorded and not yet
  applied decision of that thread in one `Command(resume={id: decision, ...})`; decisions on part
  of a batch wait until the whole batch is decided;
- on start-up, decisions that were recorded but never applied (a crash) are applied;
- the publisher goes through the outbox; graphs run with `durability="sync"`.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command

from graphs.autonomy import DEMOTING, describe_level, record_counts, suggest
from graphs.brief import parse_audience_csv, parse_brief_text, validate_brief
from graphs.campaign import build_graph
from graphs.decisions import validate_decision
from graphs.errors import (
    AlreadyDecided,
    Busy,
    InvalidDecision,
    InvalidInput,
    NotFound,
    RunStopped,
    SignoffError,
)
from graphs.executor import Executor
from graphs.humanize import clip, duration
from graphs.policy import LEVELS, Policy, load_policy, parse_policy, route
from graphs.state import Context
from graphs.store import Store, connect, default_home
from tools.base import ConnectorError, Settings, strip_citations
from tools.registry import get_tool

log = logging.getLogger(__name__)

__all__ = [
    "Signoff",
    "parse_audience_csv",
    "parse_brief_text",
    "strip_citations",
    "validate_brief",
]

Progress = Callable[[str, str], None]  # (step, message)
TRACKED = {
    "approve": "approved",
    "edit": "edited",
    "revise": "revised",
    "reject": "rejected",
    "expire": "expired",
}


class Signoff:
    """One data directory: its database (checkpoints + app tables), policy, graph and connectors."""

    def __init__(
        self,
        home: Path | str | None = None,
        *,
        model: Any = None,
        smtp_url: str | None = None,
        recover: bool = True,
        policy_path: Path | str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.home = Path(home).expanduser().resolve() if home else default_home()
        self.home.mkdir(parents=True, exist_ok=True)
        self.db_path = self.home / "signoff.db"
        self.clock = clock
        self.policy: Policy = load_policy(policy_path)
        # The checkpointer's own connection, in sqlite3's default transaction mode: SqliteSaver
        # writes a step's rows in one implicit transaction; in autocommit each row would commit
        # alone, and a crash between them could end a branch without its next step.
        self._saver_conn = sqlite3.connect(str(self.db_path), check_same_thread=False, timeout=30)
        self.checkpointer = SqliteSaver(self._saver_conn)
        self.checkpointer.setup()
        self.store = Store(connect(self.db_path), policy_version=self.policy.version)
        self._audit_policy()
        self.settings = self._settings(smtp_url)
        self.executor = Executor(self.store, self.settings)
        from tools.kb import KnowledgeBase

        self.kb = KnowledgeBase(self.db_path)
        self.kb.ensure_sample()
        self.graph = build_graph(self.checkpointer)
        self.context = Context(
            model=model,
            executor=self.executor,
            kb=self.kb,
            policy=self.policy,
            store=self.store,
            settings=self.settings,
            clock=clock,
        )
        self._scheduler: threading.Thread | None = None
        self._stop = threading.Event()
        if recover:
            self.recover()

    def _settings(self, smtp_url: str | None) -> Settings:
        limits = (
            self.policy.actions["spend_ads"].limits if "spend_ads" in self.policy.actions else {}
        )
        settings = Settings.load(self.home)
        overrides: dict[str, Any] = {}
        if smtp_url:
            overrides["smtp_url"] = smtp_url
        if limits.get("budget_per_day") is not None:
            overrides["ads_daily_budget"] = float(limits["budget_per_day"])
        if limits.get("budget_per_campaign") is not None:
            overrides["ads_campaign_budget"] = float(limits["budget_per_campaign"])
        if limits.get("currency"):
            overrides["ads_currency"] = limits["currency"]
        return dataclasses.replace(settings, **overrides) if overrides else settings

    def _audit_policy(self) -> None:
        """A change of policy (another version or other bytes) is audited with its version."""
        last = self.store.audit_log(event="policy.loaded", limit=1)
        current = {"version": self.policy.version, "digest": self.policy.digest}
        if not last or {k: last[0]["detail"].get(k) for k in current} != current:
            self.store.audit(
                "policy.loaded",
                {
                    **current,
                    "path": self.policy.path,
                    "previous": last[0]["detail"].get("version") if last else None,
                },
                actor="signoff",
            )

    def close(self) -> None:
        self.stop_scheduler()
        for conn in (self._saver_conn, self.store.conn):
            try:
                conn.close()
            except sqlite3.Error:  # pragma: no cover - closing twice
                pass
        self.kb.close()

    def __enter__(self) -> Signoff:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- start --------------------------------------------------------------------------------
    def start(
        self,
        brief: dict[str, Any],
        *,
        audience: list[dict[str, str]] | None = None,
        on_progress: Progress | None = None,
        by: str = "marketer",
    ) -> dict[str, Any]:
        """Run a new campaign until it pauses or ends: `{"thread_id", "status", "pending"}`."""
        valid = validate_brief(brief)
        from graphs.brand import BrandBook, snapshot

        brand = snapshot(BrandBook(self.home).for_brief(valid))
        self._require_facts(valid)
        if audience is not None:
            audience = parse_audience_csv(_to_csv(audience)) if audience else []
        thread_id = uuid.uuid4().hex
        with self.store.lease(thread_id):
            self.store.add_campaign(thread_id, dict(valid))
            detail: dict[str, Any] = {"brief": valid}
            if audience:
                detail["audience"] = len(audience)
            self.store.audit("campaign.started", detail, thread_id=thread_id, actor=by)
            payload: dict[str, Any] = {
                "brief": valid,
                "evidence": [],
                "actions": [],
                "outcomes": [],
                "brand": brand,
            }
            if audience:
                payload["audience"] = audience
            self._run(thread_id, payload, on_progress)
        return self.summary(thread_id)

    def _require_facts(self, brief: Mapping[str, Any]) -> None:
        """A campaign that drafts copy needs facts about its own product: say so before drafting
        instead of drafting from someone else's facts."""
        drafted = {"email", "social", "cms"} & set(brief.get("channels") or ["email", "social"])
        if drafted and not self.kb.product_sources(brief["product"]):
            raise InvalidInput(
                f"No facts about {brief['product']} yet: add a fact sheet (its prices, offers and "
                "features) on the Knowledge page, or with `signoff kb add --text ... --product "
                f"{json.dumps(brief['product'])}`. Nothing was started."
            )

    def _run(self, thread_id: str, payload: Any, on_progress: Progress | None) -> None:
        config = self._config(thread_id)
        seen = {item["interrupt_id"] for item in self.store.inbox(thread_id, kind=None)}
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

    def _config(self, thread_id: str) -> RunnableConfig:
        return {"configurable": {"thread_id": thread_id}}

    def _sync(self, thread_id: str) -> None:
        """Refresh the inbox index and the campaign status from the thread's latest checkpoint."""
        state = self.graph.get_state(self._config(thread_id))
        now = self.clock()
        items = []
        for intr in state.interrupts:
            payload = intr.value
            kind = payload.get("kind", "review")
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
            status = "waiting" if "review" in kinds else "scheduled"
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

    # -- inbox ----------------------------------------------------------------------------------
    def pending(self, thread_id: str | None = None) -> list[dict[str, Any]]:
        """Every action waiting for a person, over all campaigns (or one), oldest first."""
        now = self.clock()
        remind = self.policy.remind_before
        reminded = self.store.reminded()
        return [
            _inbox_item(row, now, remind, row["interrupt_id"] in reminded)
            for row in self.store.inbox(thread_id)
        ]

    # -- decide ---------------------------------------------------------------------------------
    def decide(
        self,
        interrupt_id: str,
        decision: dict[str, Any],
        *,
        by: str = "marketer",
        on_progress: Progress | None = None,
    ) -> dict[str, Any]:
        """Record one decision (first decider wins) and apply it. Returns the campaign summary.

        Raises InvalidDecision (nothing saved), AlreadyDecided, NotFound.
        """
        return self.decide_many({interrupt_id: decision}, by=by, on_progress=on_progress)[0]

    def decide_many(
        self,
        decisions: dict[str, dict[str, Any]],
        *,
        by: str = "marketer",
        on_progress: Progress | None = None,
    ) -> list[dict[str, Any]]:
        """Record several decisions at once and resume each thread once.

        Every decision is validated first: one invalid decision means nothing is saved. A decision
        on part of a batch is recorded and applied when the whole batch is decided.
        """
        if not decisions:
            raise InvalidInput("No decisions given; pass at least one pending id with a decision.")
        checked: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for interrupt_id, decision in decisions.items():
            item = self._pending_item(interrupt_id)
            checked.append((item, self._validate(item, decision)))
        threads: list[str] = []
        for item, valid in checked:
            self._record(item, valid, by)
            if item["thread_id"] not in threads:
                threads.append(item["thread_id"])
        for thread_id in threads:
            self.apply(thread_id, on_progress=on_progress)
        return [self.summary(t) for t in threads]

    def _pending_item(self, interrupt_id: str) -> dict[str, Any]:
        item = self.store.inbox_item(interrupt_id)
        earlier = self.store.decision(interrupt_id)
        if earlier:
            raise AlreadyDecided(
                interrupt_id, earlier["by"], earlier["at"], earlier["decision"]["type"]
            )
        if item is None:
            raise NotFound(
                f"No pending action with id {interrupt_id!r}. Run `signoff inbox` (or "
                "`signoff holds`) to list pending ids."
            )
        return item

    def _validate(self, item: dict[str, Any], decision: Any) -> dict[str, Any]:
        payload = item["payload"]
        allowed = list(payload["allowed_decisions"])
        if item["kind"] == "hold":
            allowed = [d for d in allowed if d != "release"]  # only the scheduler releases
        valid = validate_decision(
            payload["action"]["name"], payload["action"]["args"], decision, allowed
        )
        if valid["type"] == "edit":  # the limits of the connector in use (a network's length)
            try:
                get_tool(payload["action"]["name"]).validate_args(valid["args"], self.settings)
            except ValueError as exc:
                raise InvalidDecision(f"The edit cannot go out: {exc} Nothing was saved.") from exc
        if valid["type"] == "approve" and payload.get("needs_check") and not valid.get("checked"):
            claims = payload.get("unsupported_claims", [])
            raise InvalidDecision(
                f"This draft has {len(claims)} claim(s) the evidence does not support: "
                + "; ".join(f"'{clip(c, 90)}'" for c in claims[:5])
                + ". Check them and approve with checked=true ('I checked these'), or edit or "
                "send it back. Nothing was saved."
            )
        return valid

    def _record(self, item: dict[str, Any], valid: dict[str, Any], by: str) -> None:
        interrupt_id = item["interrupt_id"]
        payload = item["payload"]
        detail: dict[str, Any] = {
            "interrupt_id": interrupt_id,
            "action_id": item["action_id"],
            "action": payload["action"]["name"],
            "decision": valid,
            "route": payload.get("route"),
        }
        if valid["type"] == "edit":
            detail["diff"] = _diff(payload["action"]["args"], valid["args"])
        if valid.get("checked"):
            detail["checked_unsupported"] = payload.get("unsupported_claims", [])
        event = "hold." + valid["type"] if item["kind"] == "hold" else "decision.recorded"
        earlier = self.store.record_decision(
            interrupt_id,
            item["thread_id"],
            item["action_id"],
            valid,
            by,
            audit=(event, detail),
        )
        if earlier is not None:
            raise AlreadyDecided(
                interrupt_id, earlier["by"], earlier["at"], earlier["decision"]["type"]
            )
        if item["kind"] == "review" and valid["type"] in ("edit", "revise"):
            self._learn(item, valid, by)
        outcome = TRACKED.get(valid["type"]) if item["kind"] == "review" else None
        if outcome:
            channel = payload.get("channel") or get_tool(payload["action"]["name"]).channel
            self.store.set_proposal_outcome(item["thread_id"], item["action_id"], outcome)
            self._track(
                interrupt_id,
                payload["action"]["name"],
                channel,
                outcome,
                item["thread_id"],
                item["action_id"],
                by,
            )

    def _learn(self, item: dict[str, Any], valid: dict[str, Any], by: str) -> None:
        """Edits and send-backs become brand rules (graphs/learning.py); never fails a decision."""
        from graphs.learning import learn

        try:
            brief = (self.store.campaign(item["thread_id"]) or {}).get("brief") or {}
            rules = learn(self.home, brief, item["payload"]["action"]["args"], valid)
        except Exception:  # a broken brand file must not lose the decision
            log.warning("could not learn from the decision on %s", item["action_id"], exc_info=True)
            return
        if rules:
            self.store.audit(
                "brand.rules_learned",
                {"action_id": item["action_id"], "rules": rules},
                thread_id=item["thread_id"],
                actor=by,
            )

    def _track(
        self,
        ref: str,
        action: str,
        channel: str,
        outcome: str,
        thread_id: str,
        action_id: str,
        by: str,
    ) -> None:
        """Add to the track record; a rejection or a flag demotes the action type at once."""
        if not self.store.track(ref, action, channel, outcome, thread_id, action_id):
            return
        if outcome not in DEMOTING:
            return
        level = self._level(action, channel)
        if level != "supervised":
            self.store.set_autonomy(action, channel, "supervised", by)
            self.store.audit(
                "autonomy.demoted",
                {
                    "action": action,
                    "channel": channel,
                    "from": level,
                    "to": "supervised",
                    "because": f"{outcome} ({thread_id[:8]}/{action_id})",
                },
                thread_id=thread_id,
                actor=by,
            )

    def apply(self, thread_id: str, *, on_progress: Progress | None = None) -> list[str]:
        """Apply every recorded, unapplied decision of one thread in one resume, under its lease."""
        with self.store.lease(thread_id):
            todo = self.store.unapplied(thread_id)
            if not todo:
                return []
            live = {i.id for i in self.graph.get_state(self._config(thread_id)).interrupts}
            stale = [d["interrupt_id"] for d in todo if d["interrupt_id"] not in live]
            if stale:  # applied before a crash, or the thread moved on: nothing left to resume
                log.info("decisions %s no longer have a pending interrupt; marking applied", stale)
                self.store.mark_applied(stale)
            resume = {}
            for d in todo:
                if d["interrupt_id"] not in live:
                    continue
                item = self.store.inbox_item(d["interrupt_id"])
                batch = item["batch"] if item and item["kind"] == "review" else None
                if batch and self.store.batch_open(thread_id, batch):
                    continue  # nothing in a batch goes out until the whole batch is decided
                resume[d["interrupt_id"]] = d["decision"]
            if resume:
                self._run(thread_id, Command(resume=resume), on_progress)
                self.store.mark_applied(list(resume))
                self.store.audit(
                    "decision.applied", {"interrupt_ids": list(resume)}, thread_id=thread_id
                )
            else:
                self._sync(thread_id)
            return list(resume)

    def retry(self, thread_id: str, *, on_progress: Progress | None = None) -> dict[str, Any]:
        """Carry on a campaign whose run stopped part-way (an error, or the process died)."""
        if self.store.campaign(thread_id) is None:
            raise NotFound(f"No campaign {thread_id!r}; list campaigns with `signoff campaigns`.")
        with self.store.lease(thread_id, wait=0):
            # With recorded decisions waiting, apply() below resumes with them instead.
            if (
                not self.store.unapplied(thread_id)
                and self.graph.get_state(self._config(thread_id)).next
            ):
                self.store.set_campaign_status(thread_id, "running")
                self.store.audit("campaign.retried", {}, thread_id=thread_id)
                self._run(thread_id, None, on_progress)
        self.apply(thread_id, on_progress=on_progress)
        return self.summary(thread_id)

    def recover(self) -> list[str]:
        """Apply decisions recorded before a crash (nothing approved is lost).

        Campaigns whose drafting stopped part-way are listed with status `running`/`error` and
        carried on by `retry()` (the page's Retry button, `signoff retry`).
        """
        applied: list[str] = []
        for thread_id in sorted({d["thread_id"] for d in self.store.unapplied()}):
            try:
                applied += self.apply(thread_id)
            except Exception:
                log.exception(
                    "could not apply the recorded decisions of %s; will retry on next start",
                    thread_id,
                )
        if applied:
            log.warning("recovered %d recorded decision(s) after a stop", len(applied))
        # A run that died while executing (past the drafting) is carried on: its approved or
        # auto-routed actions go through the outbox, which never repeats a finished send.
        for campaign in self.store.campaigns():
            if campaign["status"] != "running":
                continue
            thread_id = campaign["thread_id"]
            if self.graph.get_state(self._config(thread_id)).next != ("review",):
                continue
            try:
                self.retry(thread_id)
                log.warning("carried on campaign %s after a stop", thread_id)
            except Busy:
                continue  # another live process is running it
            except Exception:
                log.exception("could not carry on campaign %s; use Retry", thread_id)
        return applied

    # -- holds and the scheduler ------------------------------------------------------------------
    def holds(self) -> list[dict[str, Any]]:
        """Actions that may go out, waiting for their release time (soonest first)."""
        now = self.clock()
        result = []
        for row in sorted(self.store.inbox(kind="hold"), key=lambda r: r["due"] or 0):
            p = row["payload"]
            result.append(
                {
                    "id": row["interrupt_id"],
                    "thread_id": row["thread_id"],
                    "action_id": row["action_id"],
                    "action": p["action"]["name"],
                    "title": p.get("title"),
                    "text": p.get("text"),
                    "args": p["action"]["args"],
                    "release_at": p["release_at"],
                    "seconds_left": max(0.0, p["release_at"] - now),
                    "route": p.get("route"),
                    "approved_by": self._approver(row["thread_id"], row["action_id"]),
                }
            )
        return result

    def _approver(self, thread_id: str, action_id: str) -> str:
        for d in reversed(self.store.decisions(thread_id)):
            if d["action_id"] == action_id and d["decision"]["type"] in ("approve", "edit"):
                return str(d["by"])
        return "policy (no review needed)"

    def cancel(self, hold_id: str, *, by: str = "marketer", reason: str = "") -> dict[str, Any]:
        """Cancel a held action before it goes out (first of cancel/send now/release wins)."""
        return self._hold_decision(hold_id, {"type": "cancel", "reason": reason}, by)

    def send_now(self, hold_id: str, *, by: str = "marketer") -> dict[str, Any]:
        """Send a held action now instead of waiting for its release time."""
        return self._hold_decision(hold_id, {"type": "send_now"}, by)

    def _hold_decision(self, hold_id: str, decision: dict[str, Any], by: str) -> dict[str, Any]:
        item = self._pending_item(hold_id)
        if item["kind"] != "hold":
            raise InvalidInput(
                f"{hold_id} is a review, not a held action; decide it with approve/edit/revise/"
                "reject (`signoff decide`)."
            )
        return self.decide_many({hold_id: decision}, by=by)[0]

    def tick(self, now: float | None = None) -> dict[str, list[str]]:
        """One scheduler step: release due holds, expire overdue reviews, send reminders."""
        now = self.clock() if now is None else now
        done: dict[str, list[str]] = {"released": [], "expired": [], "reminded": []}
        threads: set[str] = set()
        for row in self.store.due(now):
            decision = {"type": "release"} if row["kind"] == "hold" else {"type": "expire"}
            try:
                self._record(row, decision, "scheduler")
            except AlreadyDecided:
                continue  # a person (or another scheduler) got there first
            done["released" if row["kind"] == "hold" else "expired"].append(row["interrupt_id"])
            threads.add(row["thread_id"])
        for thread_id in sorted(threads):
            try:
                self.apply(thread_id)
            except Exception:
                log.exception("scheduler: could not apply to %s; will retry", thread_id)
        for row in self.store.due(now + self.policy.remind_before, kind="review"):
            if self.store.remind_once(row["interrupt_id"]):
                p = row["payload"]
                left = max(0, int(row["due"] - now))
                self.store.notify(
                    f"remind:{row['interrupt_id']}",
                    kind="reminder",
                    title=f"Review expires soon: {p.get('title')}",
                    message=f"Expires in {duration(left)} unless someone decides it.",
                    thread_id=row["thread_id"],
                    action_id=row["action_id"],
                    action=p["action"]["name"],
                    channel=p.get("channel"),
                )
                self.store.audit(
                    "review.reminder",
                    {"interrupt_id": row["interrupt_id"], "expires_at": row["due"]},
                    thread_id=row["thread_id"],
                    actor="scheduler",
                )
                done["reminded"].append(row["interrupt_id"])
        return done

    def start_scheduler(self, interval: float = 1.0) -> None:
        """Release due holds in a background thread of this process (the app's server)."""
        if self._scheduler and self._scheduler.is_alive():
            return
        self._stop.clear()
        self._scheduler = threading.Thread(
            target=self.worker, kwargs={"interval": interval}, name="signoff-scheduler", daemon=True
        )
        self._scheduler.start()

    def stop_scheduler(self) -> None:
        self._stop.set()
        if self._scheduler and self._scheduler.is_alive():
            self._scheduler.join(timeout=30)
        self._scheduler = None

    def worker(self, interval: float = 1.0, stop: threading.Event | None = None) -> None:
        """The scheduler loop (`signoff worker`, or the app's background thread)."""
        stop = stop or self._stop
        log.info("scheduler started (every %.1f s)", interval)
        while not stop.is_set():
            try:
                done = self.tick()
                for kind, ids in done.items():
                    if ids:
                        log.info("scheduler %s %s", kind, ids)
            except Exception:
                log.exception("scheduler step failed; trying again")
            stop.wait(interval)
        log.info("scheduler stopped")

    # -- the feed: actions that ran without review ------------------------------------------------
    def notifications(self, status: str | None = None) -> list[dict[str, Any]]:
        return self.store.notifications(status)

    def acknowledge(self, notification_id: int, *, by: str = "marketer") -> dict[str, Any]:
        return self._close_notification(notification_id, "acknowledged", by, None)

    def flag(self, notification_id: int, *, by: str = "marketer", reason: str) -> dict[str, Any]:
        """Flag an action that ran: it counts against the track record and demotes at once."""
        if not reason or not reason.strip():
            raise InvalidInput("A flag needs a reason: say what was wrong with it.")
        return self._close_notification(notification_id, "flagged", by, reason.strip())

    def _close_notification(
        self, notification_id: int, status: str, by: str, reason: str | None
    ) -> dict[str, Any]:
        note = self.store.notification(int(notification_id))
        if note is None:
            raise NotFound(
                f"No notification {notification_id}; list them with `signoff notifications`."
            )
        if not self.store.close_notification(int(notification_id), status, by, reason):
            raise AlreadyDecided(
                str(notification_id), note["by"] or "?", note["at"] or "?", note["status"]
            )
        self.store.audit(
            f"notification.{status}",
            {"notification": notification_id, "action_id": note["action_id"], "reason": reason},
            thread_id=note["thread_id"],
            actor=by,
        )
        if note["kind"] == "ran" and note["action"]:
            outcome = "flagged" if status == "flagged" else "acknowledged"
            if note["thread_id"] and note["action_id"]:
                if outcome == "flagged":
                    self.store.set_proposal_outcome(note["thread_id"], note["action_id"], outcome)
                self._track(
                    f"note:{notification_id}",
                    note["action"],
                    note["channel"] or get_tool(note["action"]).channel,
                    outcome,
                    note["thread_id"],
                    note["action_id"],
                    by,
                )
        return cast(dict[str, Any], self.store.notification(int(notification_id)))

    # -- audit ------------------------------------------------------------------------------------
    def activity(
        self,
        *,
        thread_id: str | None = None,
        event: str | None = None,
        actor: str | None = None,
        limit: int = 500,
    ) -> list[dict[str, Any]]:
        return self.store.audit_log(thread_id, limit, event=event, actor=actor)

    def audit_verify(self) -> dict[str, Any]:
        return self.store.verify_audit()

    def audit_csv(self, dest: Path | str | IO[str]) -> int:
        rows = self.store.audit_log(limit=10**9, oldest_first=True)
        fields = ["seq", "at", "thread_id", "actor", "event", "policy_version", "detail", "hash"]

        def write(out: IO[str]) -> None:
            writer = csv.DictWriter(out, fieldnames=fields)
            writer.writeheader()
            for r in rows:
                writer.writerow({**r, "detail": json.dumps(r["detail"], sort_keys=True)})

        if isinstance(dest, str | Path):
            with open(dest, "w", newline="", encoding="utf-8") as out:
                write(out)
        else:
            write(dest)
        return len(rows)

    # -- executed actions: undo, in doubt, failed -------------------------------------------------
    def undoable(self) -> list[dict[str, Any]]:
        """Executed actions whose connector can undo them (likes, follows, reposts, pages…)."""
        result = []
        for row in reversed(self.store.outbox()):
            tool = get_tool(row["name"])
            if tool.undo is None or row["status"] not in ("done", "undoing", "undone"):
                continue
            result.append(
                {
                    "key": row["key"],
                    "thread_id": row["thread_id"],
                    "action_id": row["action_id"],
                    "action": row["name"],
                    "title": tool.title,
                    "args": row["args"],
                    "at": row["updated_at"],
                    "undone": row["status"] == "undone",
                }
            )
        return result

    def undo(self, key: str, *, by: str = "marketer") -> dict[str, Any]:
        """Undo an executed reversible action (unlike, unfollow, unpublish…), once."""
        with _outbox_errors("The undo did not go through"):
            return cast(dict[str, Any], self.executor.undo(key, by))

    def _outbox_items(self, status: str) -> list[dict[str, Any]]:
        items = []
        for row in self.store.outbox():
            if row["status"] != status:
                continue
            result = row["result"] or {}
            items.append(
                {
                    "key": row["key"],
                    "thread_id": row["thread_id"],
                    "action_id": row["action_id"],
                    "action": row["name"],
                    "title": get_tool(row["name"]).title,
                    "args": row["args"],
                    "error": result.get("error", ""),
                    "retryable": result.get("retryable", True),
                    "at": row["updated_at"],
                }
            )
        return items

    def in_doubt(self) -> list[dict[str, Any]]:
        """Sends a crash left undecided on a connector that cannot tell: mark sent or send again."""
        return self._outbox_items("in_doubt")

    def failed(self) -> list[dict[str, Any]]:
        return self._outbox_items("failed")

    def settle(self, key: str, choice: str, *, by: str = "marketer") -> dict[str, Any]:
        with _outbox_errors("Sending it again did not go through"):
            return cast(dict[str, Any], self.executor.settle(key, choice, by))

    def retry_action(self, key: str, *, by: str = "marketer") -> dict[str, Any]:
        with _outbox_errors("The retry did not go through"):
            return cast(dict[str, Any], self.executor.retry_failed(key, by))

    # -- earned autonomy ---------------------------------------------------------------------------
    def _level(self, action: str, channel: str) -> str:
        row = self.store.autonomy_row(action, channel)
        return self.policy.level_for(action, row["level"] if row else None)

    def autonomy(self) -> list[dict[str, Any]]:
        """Per action type × channel: level, cap, track record and a promotion suggestion."""
        rows = []
        for name, spec in self.policy.actions.items():
            tool = get_tool(name)
            row = self.store.autonomy_row(name, tool.channel)
            level = self._level(name, tool.channel)
            since_id = row["track_from"] if row else 0
            record = self.store.track_record(name, tool.channel)
            everything = [r["outcome"] for r in record]
            recent = [r["outcome"] for r in record if r["id"] > since_id]  # since the last change
            suggestion, why = suggest(self.policy, name, level, recent)
            rows.append(
                {
                    "action": name,
                    "channel": tool.channel,
                    "title": tool.title,
                    "tier": spec.risk,
                    "level": level,
                    "meaning": describe_level(level),
                    "max_autonomy": spec.max_autonomy,
                    "since": row["since"] if row else None,
                    "by": row["decided_by"] if row else "policy",
                    "record": record_counts(everything),
                    "suggestion": suggestion,
                    "why": why,
                }
            )
        return rows

    def track_record(
        self, action: str | None = None, channel: str | None = None
    ) -> list[dict[str, Any]]:
        return [
            {k: r[k] for k in ("at", "action", "channel", "outcome", "thread_id", "action_id")}
            for r in self.store.track_record(action, channel)
        ]

    def promote(self, action: str, channel: str, *, by: str = "marketer") -> dict[str, Any]:
        """A person confirms the suggested promotion (never above the policy's max_autonomy)."""
        row = next(
            (r for r in self.autonomy() if r["action"] == action and r["channel"] == channel), None
        )
        if row is None:
            known = [f"{r['action']} {r['channel']}" for r in self.autonomy()]
            raise InvalidInput(
                f"Unknown action type {action!r} on channel {channel!r}; expected one of {known}."
            )
        if row["suggestion"] is None:
            raise InvalidInput(
                f"No promotion is suggested for {action} on {channel} (level '{row['level']}'): "
                f"{row['why']}"
            )
        to = row["suggestion"]["to"]
        if LEVELS.index(to) > LEVELS.index(row["max_autonomy"]):  # pragma: no cover - guarded
            raise InvalidInput(
                f"'{to}' is above the policy's max_autonomy '{row['max_autonomy']}'."
            )
        self.store.set_autonomy(action, channel, to, by)
        self.store.audit(
            "autonomy.promoted",
            {
                "action": action,
                "channel": channel,
                "from": row["level"],
                "to": to,
                "evidence": row["suggestion"],
            },
            actor=by,
        )
        return {**row, "level": to, "suggestion": None}

    def simulate(self, candidate: str | Path, *, last: int = 200) -> dict[str, Any]:
        """Replay the last recorded routings through a candidate policy (YAML text or a path)."""
        text = str(candidate)
        if "\n" not in text and Path(text).expanduser().is_file():
            where = str(Path(text).expanduser())
            text = Path(where).read_text(encoding="utf-8")
        else:
            where = "<candidate policy>"
        policy = parse_policy(text, where)
        replayed = reviews_now = reviews_candidate = 0
        let_through = []
        for p in self.store.proposals(last):
            facts = dict(p["facts"])
            if facts["action"] not in policy.actions:
                continue
            replayed += 1
            now_route = p["route"]  # facts["level"]: the level recorded then (None: the start)
            new_route = route(policy, facts)["route"]  # type: ignore[arg-type]
            reviews_now += now_route == "review"
            reviews_candidate += new_route == "review"
            if new_route != "review" and p["outcome"] in ("rejected", "flagged", "revised"):
                let_through.append(
                    {
                        "thread_id": p["thread_id"],
                        "action_id": p["action_id"],
                        "action": p["action"],
                        "outcome": p["outcome"],
                        "route_now": now_route,
                        "route_candidate": new_route,
                    }
                )
        return {
            "policy_version": policy.version,
            "replayed": replayed,
            "reviews_now": reviews_now,
            "reviews_candidate": reviews_candidate,
            "saved": reviews_now - reviews_candidate,
            "let_through": let_through,
        }

    # -- read -----------------------------------------------------------------------------------
    def summary(self, thread_id: str) -> dict[str, Any]:
        campaign = self.store.campaign(thread_id)
        if campaign is None:
            raise NotFound(f"No campaign {thread_id!r}. list campaigns with `signoff campaigns`.")
        return {
            "thread_id": thread_id,
            "status": campaign["status"],
            "pending": self.pending(thread_id),
        }

    def campaign(self, thread_id: str) -> dict[str, Any]:
        """Status, brief, proposed actions, decisions, outcomes, executed actions (outbox) and pending."""
        campaign = self.store.campaign(thread_id)
        if campaign is None:
            raise NotFound(f"No campaign {thread_id!r}; list campaigns with `signoff campaigns`.")
        values = self.graph.get_state(self._config(thread_id)).values
        return {
            **campaign,
            "evidence": values.get("evidence", []),
            "actions": values.get("actions", []),
            "outcomes": values.get("outcomes", []),
            "decisions": self.store.decisions(thread_id),
            "executed": self.store.outbox(thread_id),
            "pending": self.pending(thread_id),
            "holds": [h for h in self.holds() if h["thread_id"] == thread_id],
            "audit": self.store.audit_log(thread_id),
        }

    def check_draft(self, thread_id: str, args: dict[str, Any]) -> list[dict[str, Any]]:
        """Each sentence of a draft's text, as it would go out, checked against all of the
        campaign product's passages (graphs/checks/facts.py): for a card and for an edit."""
        from graphs.checks.facts import as_dict, check_args
        from graphs.checks.sources import product_passages

        values = self.graph.get_state(self._config(thread_id)).values
        brief = values.get("brief") or {}
        passages = product_passages(self.kb, brief, values.get("evidence", []))
        brand = values.get("brand") if isinstance(values.get("brand"), dict) else None
        return [as_dict(c) for c in check_args(args, passages, brief, brand)]

    def campaigns(self) -> list[dict[str, Any]]:
        return self.store.campaigns()

    def reindex(self) -> int:
        """Rebuild the inbox index (derived data) from the checkpoints of every campaign."""
        threads = self.store.thread_ids()
        for thread_id in threads:
            self._sync(thread_id)
        return len(threads)

    def graph_dot(self) -> str:
        return graph_dot(self.graph)

    def model_description(self) -> str:
        """Which model drafts (an injected one, or what the seam would build). Starts nothing."""
        if self.context.model is not None:
            return f"{type(self.context.model).__name__} (set by the caller)"
        from graphs.model import describe_model

        return describe_model()


@contextmanager
def _outbox_errors(what: str) -> Iterator[None]:
    """The executor's errors on an outbox key, as the facade's: unknown key, refused request,
    a connector that failed (the row is unchanged and can be tried again)."""
    try:
        yield
    except KeyError as exc:
        raise NotFound(str(exc).strip("'")) from exc
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    except ConnectorError as exc:
        raise InvalidInput(f"{what}: {exc} The action is unchanged; try again later.") from exc


def _to_csv(contacts: list[dict[str, str]]) -> str:
    """Contacts given as dicts go through the same validation as an uploaded file."""
    columns: list[str] = []
    for c in contacts:
        columns += [k for k in c if k not in columns]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(contacts)
    return out.getvalue()


def graph_dot(graph: Any) -> str:
    """Graphviz DOT of the graph, drawn offline; each subgraph is a labelled cluster.

    A subgraph's own start and end are folded into its edges, so the picture reads
    `writer ⇢ gate` rather than `writer ⇢ start ⇢ gate`.
    """
    drawable = graph.get_graph(xray=True)
    inner_start = {n: n for n in drawable.nodes if n.endswith(":__start__")}
    for edge in drawable.edges:
        if edge.source in inner_start:
            inner_start[edge.source] = edge.target
    inner_end = {n for n in drawable.nodes if n.endswith(":__end__")}
    outer_end = next((n for n in drawable.nodes if n == "__end__"), "__end__")

    def resolve(node_id: str) -> str:
        if node_id in inner_start:
            return inner_start[node_id]
        return outer_end if node_id in inner_end else node_id

    lines = [
        "digraph campaign {",
        '  rankdir=TB; fontname="Helvetica"; node [shape=box, style="rounded,filled", fillcolor="#f2f0ff",'
        ' fontname="Helvetica"]; edge [fontname="Helvetica", fontsize=10];',
    ]
    clusters: dict[str, list[str]] = {}
    for node_id in drawable.nodes:
        if node_id in inner_start or node_id in inner_end:
            continue
        prefix, _, name = node_id.rpartition(":")
        label = {"__start__": "start", "__end__": "end"}.get(name, name)
        shape = ', shape=oval, fillcolor="#ffffff"' if name in ("__start__", "__end__") else ""
        line = f'  "{node_id}" [label="{label}"{shape}];'
        clusters.setdefault(prefix, []).append(line)
    lines += clusters.pop("", [])
    for prefix, members in clusters.items():
        lines.append(f'  subgraph "cluster_{prefix}" {{')
        lines.append(f'    label="{prefix} · one per proposed action"; style="rounded,dashed";')
        lines += ["  " + m for m in members]
        lines.append("  }")
    drawn: set[tuple[str, str]] = set()
    for edge in drawable.edges:
        source, target = resolve(edge.source), resolve(edge.target)
        if edge.source in inner_start or source == target or (source, target) in drawn:
            continue
        drawn.add((source, target))
        style = " [style=dashed]" if edge.conditional else ""
        lines.append(f'  "{source}" -> "{target}"{style};')
    lines.append("}")
    return "\n".join(lines)


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


def _inbox_item(
    row: dict[str, Any], now: float, remind_before: int, reminded: bool
) -> dict[str, Any]:
    p = row["payload"]
    expires_at = row["due"]
    return {
        "id": row["interrupt_id"],
        "thread_id": row["thread_id"],
        "action": p["action"]["name"],
        "risk": p["risk"],
        "reasons": p["reasons"],
        "args": p["action"]["args"],
        "confidence": p["confidence"],
        "created_at": row["created_at"],
        "action_id": row["action_id"],
        "channel": p.get("channel"),
        "title": p.get("title"),
        "text": p.get("text"),
        "route": p.get("route"),
        "level": p.get("level"),
        "claims": p.get("claims", []),
        "claim_checks": p.get("claim_checks", []),
        "evidence": p.get("evidence", []),
        "unsupported_claims": p.get("unsupported_claims", []),
        "needs_check": p.get("needs_check", False),
        "flagged_sources": p.get("flagged_sources", []),
        "allowed_decisions": p["allowed_decisions"],
        "revision": p.get("revision", 0),
        "feedback": p.get("feedback", []),
        "review_notes": p.get("review_notes", []),
        "review_rounds": p.get("review_rounds", 0),
        "changes": p.get("changes", ""),
        "hold_seconds": p.get("hold_seconds", 0),
        "batch": row["batch"],
        "batch_size": p.get("batch_size", 1),
        "expires_at": expires_at,
        "reminder": reminded or (expires_at is not None and expires_at - remind_before <= now),
    }


def _diff(before: dict[str, Any], after: dict[str, Any]) -> str:
    import difflib

    a = json.dumps(before, indent=1, sort_keys=True).splitlines()
    b = json.dumps(after, indent=1, sort_keys=True).splitlines()
    return "\n".join(difflib.unified_diff(a, b, "proposed", "approved", lineterm=""))
