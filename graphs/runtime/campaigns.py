"""Campaigns: start one, carry on a stopped one, recover after a crash, read them."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from graphs import retention
from graphs.brief import Brief, parse_audience_csv, validate_brief
from graphs.errors import Busy, InvalidInput, NotFound
from graphs.runtime.drawing import graph_dot
from graphs.runtime.holds import Holds
from graphs.runtime.runs import Progress
from graphs.runtime.stored import stored_campaign, stored_values

log = logging.getLogger(__name__)


class Campaigns(Holds):
    """Start, retry, recover and show campaigns."""

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
        self.approvals.require(by, "start", "start a campaign")
        by = self.approvals.who(by)
        from graphs.brand import BrandBook, snapshot

        brand = snapshot(BrandBook(self.home).for_brief(valid))
        # the facts checked here and the first run's reads: one version of the knowledge base
        pinned = getattr(self.context.kb, "pinned", None)
        with pinned() if pinned is not None else contextlib.nullcontext():
            return self._start(valid, brand, audience, on_progress, by)

    def _start(
        self,
        valid: Brief,
        brand: Any,
        audience: list[dict[str, str]] | None,
        on_progress: Progress | None,
        by: str,
    ) -> dict[str, Any]:
        self._require_facts(valid)
        if audience is not None:
            audience = parse_audience_csv(_to_csv(audience)) if audience else []
        thread_id = uuid.uuid4().hex
        detail: dict[str, Any] = {"brief": valid}
        if audience:
            detail["audience"] = len(audience)
        payload: dict[str, Any] = {
            "brief": valid,
            "evidence": [],
            "actions": [],
            "outcomes": [],
            "brand": brand,
        }
        if audience:
            payload["audience"] = audience
        # the run's end reads the summary shown here (`summaries_after_runs`)
        with self.summaries_after_runs():
            # the campaign's row and its lease: one commit
            with self.store.lease(
                thread_id,
                first=lambda: self.store.add_campaign(
                    thread_id, dict(valid), audit=("campaign.started", detail, by)
                ),
            ):
                self.approvals.started(thread_id, by)  # its author, as the entry just said
                job = self._launch(thread_id, payload, on_progress)
            return {**self.summary(thread_id), **({"job": job} if job is not None else {})}

    def _require_facts(self, brief: Mapping[str, Any]) -> None:
        """A campaign that drafts copy needs facts about its own product: say so before drafting
        instead of drafting from someone else's facts."""
        drafted = {"email", "social", "cms"} & set(brief.get("channels") or ["email", "social"])
        if drafted and not self.context.kb.product_sources(brief["product"]):
            raise InvalidInput(
                f"No facts about {brief['product']} yet: add a fact sheet (its prices, offers and "
                "features) on the Knowledge page, or with `signoff kb add --text ... --product "
                f"{json.dumps(brief['product'])}`. Nothing was started."
            )

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
            nxt = set(self.graph.get_state(self._config(thread_id)).next)
            if not nxt or not nxt <= {"review", "batch"}:  # the actions' branches
                continue
            try:
                self.retry(thread_id)
                log.warning("carried on campaign %s after a stop", thread_id)
            except Busy:
                continue  # another live process is running it
            except Exception:
                log.exception("could not carry on campaign %s; use Retry", thread_id)
        return applied

    def campaign(self, thread_id: str) -> dict[str, Any]:
        """Status, brief, proposed actions, decisions, outcomes, executed actions (outbox) and pending."""
        campaign = self.store.campaign(thread_id)
        if campaign is None:
            raise NotFound(f"No campaign {thread_id!r}; list campaigns with `signoff campaigns`.")
        # read from the checkpoints, not `graph.get_state`: showing a campaign must not build
        # the graph (graphs/runtime/stored.py); a pruned campaign: the audit's copy
        values, actions = stored_campaign(self.checkpointer, self.store, thread_id)
        return {
            **campaign,
            "evidence": values.get("evidence", []),
            "actions": actions,
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

        # read from the last checkpoint, not `graph.get_state`: a card's check must not build
        # the graph (importing the writer and the model's client costs the page seconds)
        values = stored_values(self.checkpointer, self.store, thread_id)
        brief = values.get("brief") or {}
        passages = product_passages(self.kb, brief, values.get("evidence", []))
        brand = values.get("brand") if isinstance(values.get("brand"), dict) else None
        return [as_dict(c) for c in check_args(args, passages, brief, brand)]

    def campaigns(self) -> list[dict[str, Any]]:
        return self.store.campaigns()

    def campaign_ids(self, prefix: str = "") -> list[str]:
        """The ids of the campaigns that start with `prefix` (every id with ""): how a short id
        (the 8 characters the CLI and the page show) finds its campaign."""
        return sorted(t for t in self.store.thread_ids() if t.startswith(prefix))

    def stopped(self, limit: int = 20) -> list[dict[str, Any]]:
        """Campaigns whose run stopped (status "error": the model timed out, the server went
        away) and that no queued or running run is carrying on yet, the latest first; each with
        `error`, what stopped it (the audit's last `campaign.error`). `retry()` carries one on."""
        found = []
        for campaign in self.store.stopped_campaigns(limit):
            thread_id = campaign["thread_id"]
            if self.store.thread_jobs(thread_id, open_only=True):
                continue  # a retry is queued or running: its progress is shown instead
            last = self.store.audit_log(thread_id, 1, event="campaign.error")
            error = str(last[0]["detail"].get("error", "")) if last else ""
            found.append({**campaign, "error": error})
        return found

    def prune(
        self, older_than: float | str, *, by: str = "marketer", dry_run: bool = False
    ) -> list[str]:
        """Remove finished campaigns' checkpoints older than `older_than` (seconds or '90d');
        audit and outbox stay (graphs/retention.py)."""
        seconds = retention.parse_age(older_than) if isinstance(older_than, str) else older_than
        return retention.prune(
            self.store, self.checkpointer, self.graph, seconds, by=by, dry_run=dry_run
        )

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
