"""The one facade the page, the CLI and notebooks call: start, list pending, decide, show.

Exactly once (DESIGN.md §4):
- a decision is first written to `decisions` (unique per interrupt id); only the caller whose
  insert wins resumes, and a second decider is told who decided first;
- a thread is resumed under a lease, one resume at a time, with every recorded and not yet
  applied decision of that thread in one `Command(resume={id: decision, ...})`;
- on start-up, decisions that were recorded but never applied (a crash) are applied;
- the publisher goes through the outbox; graphs run with `durability="sync"`.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command

from graphs.campaign import build_graph
from graphs.decisions import validate_decision
from graphs.errors import AlreadyDecided, InvalidInput, NotFound, RunStopped, SignoffError
from graphs.executor import Executor
from graphs.state import Brief, Context
from graphs.store import Store, connect, default_home
from tools.base import Settings, strip_citations
from tools.registry import get_tool

log = logging.getLogger(__name__)

__all__ = ["Signoff", "parse_brief_text", "strip_citations", "validate_brief"]

Progress = Callable[[str, str], None]  # (step, message)

BRIEF_FIELDS = {
    "product": "what is being marketed, e.g. 'Brightloop 2 smart thermostat'",
    "audience": "who it is for, e.g. 'homeowners with high heating bills'",
    "goal": "what the campaign should achieve, e.g. 'pre-orders before winter'",
}
DEFAULT_TO = "customers@example.com"


def validate_brief(raw: Any) -> Brief:
    """A complete brief, or InvalidInput naming each missing or bad field."""
    if not isinstance(raw, dict):
        raise InvalidInput(
            f"A brief is a JSON object with {sorted(BRIEF_FIELDS)}; got {type(raw).__name__}."
        )
    problems = []
    for name, hint in BRIEF_FIELDS.items():
        value = raw.get(name)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"'{name}' is missing ({hint})")
        elif len(value) > 2000:
            problems.append(f"'{name}' is {len(value)} characters; keep it under 2000")
    unknown = sorted(set(raw) - set(BRIEF_FIELDS) - {"to"})
    if unknown:
        problems.append(
            f"unknown field(s) {unknown}; expected {sorted(BRIEF_FIELDS)} and optional 'to'"
        )
    to = str(raw.get("to") or DEFAULT_TO).strip()
    try:
        get_tool("send_email").validate_args({"to": to, "subject": "x", "body": "x"})
    except ValueError:
        problems.append(f"'to' must be an email address like {DEFAULT_TO}; got {to!r}")
    if problems:
        raise InvalidInput(
            "The brief is incomplete: " + "; ".join(problems) + ". Nothing was started."
        )
    return Brief(
        product=raw["product"].strip(),
        audience=raw["audience"].strip(),
        goal=raw["goal"].strip(),
        to=to,
    )


def parse_brief_text(text: str) -> dict[str, Any]:
    """`--brief` takes JSON, or `key: value` lines, or one sentence used for all three fields."""
    text = text.strip()
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"The brief looks like JSON but does not parse: {exc}.") from exc
        if not isinstance(parsed, dict):
            raise InvalidInput(
                'A JSON brief must be an object, e.g. {"product": ..., "audience": ..., "goal": ...}.'
            )
        return parsed
    fields: dict[str, Any] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() in (*BRIEF_FIELDS, "to"):
            fields[key.strip().lower()] = value.strip()
    if fields:
        return fields
    if not text:
        return {}
    return {"product": text, "audience": "our customers", "goal": text}


class Signoff:
    """One data directory: its database (checkpoints + app tables), graph and connectors."""

    def __init__(
        self,
        home: Path | str | None = None,
        *,
        model: Any = None,
        smtp_url: str | None = None,
        recover: bool = True,
    ) -> None:
        self.home = Path(home).expanduser().resolve() if home else default_home()
        self.home.mkdir(parents=True, exist_ok=True)
        self.db_path = self.home / "signoff.db"
        self._saver_conn = connect(self.db_path)
        self.checkpointer = SqliteSaver(self._saver_conn)
        self.checkpointer.setup()
        self.store = Store(connect(self.db_path))
        settings = Settings(home=self.home, smtp_url=smtp_url or os.environ.get("SIGNOFF_SMTP_URL"))
        self.executor = Executor(self.store, settings)
        self.graph = build_graph(self.checkpointer)
        self.context = Context(model=model, executor=self.executor)
        if recover:
            self.recover()

    def close(self) -> None:
        for conn in (self._saver_conn, self.store.conn):
            try:
                conn.close()
            except sqlite3.Error:  # pragma: no cover - closing twice
                pass

    def __enter__(self) -> Signoff:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- start --------------------------------------------------------------------------------
    def start(
        self, brief: dict[str, Any], *, on_progress: Progress | None = None, by: str = "marketer"
    ) -> dict[str, Any]:
        """Run a new campaign until it pauses or ends: `{"thread_id", "status", "pending"}`."""
        valid = validate_brief(brief)
        thread_id = uuid.uuid4().hex
        with self.store.lease(thread_id):
            self.store.add_campaign(thread_id, dict(valid))
            self.store.audit("campaign.started", {"brief": valid}, thread_id=thread_id, actor=by)
            self._run(
                thread_id,
                {"brief": valid, "evidence": [], "actions": [], "outcomes": []},
                on_progress,
            )
        return self.summary(thread_id)

    def _run(self, thread_id: str, payload: Any, on_progress: Progress | None) -> None:
        config = self._config(thread_id)
        seen = {item["interrupt_id"] for item in self.store.inbox(thread_id)}
        try:
            for chunk in self.graph.stream(
                payload,
                config,
                context=self.context,
                stream_mode="updates",
                subgraphs=True,
                durability="sync",
            ):
                namespace, update = cast(tuple[tuple[str, ...], dict[str, Any]], chunk)
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
        before = {i["interrupt_id"] for i in self.store.inbox(thread_id)}
        items = [(i.id, str(i.value.get("action_id", "")), i.value) for i in state.interrupts]
        self.store.replace_inbox(thread_id, items)
        for interrupt_id, action_id, payload in items:
            if interrupt_id not in before and self.store.decision(interrupt_id) is None:
                self.store.audit(
                    "action.proposed",
                    {
                        "interrupt_id": interrupt_id,
                        "action_id": action_id,
                        "action": payload["action"],
                        "risk": payload["risk"],
                        "reasons": payload["reasons"],
                        "confidence": payload["confidence"],
                    },
                    thread_id=thread_id,
                )
        if state.interrupts:
            status = "waiting"
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
        """Every pending action over all campaigns (or one), oldest first, from the inbox index."""
        return [_inbox_item(row) for row in self.store.inbox(thread_id)]

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
        item = self.store.inbox_item(interrupt_id)
        if item is None:
            earlier = self.store.decision(interrupt_id)
            if earlier:
                raise AlreadyDecided(
                    interrupt_id, earlier["by"], earlier["at"], earlier["decision"]["type"]
                )
            raise NotFound(
                f"No pending action with id {interrupt_id!r}. Run `signoff inbox` to list pending ids."
            )
        payload = item["payload"]
        valid = validate_decision(
            payload["action"]["name"],
            payload["action"]["args"],
            decision,
            payload["allowed_decisions"],
        )
        earlier = self.store.record_decision(
            interrupt_id, item["thread_id"], item["action_id"], valid, by
        )
        if earlier is not None:
            raise AlreadyDecided(
                interrupt_id, earlier["by"], earlier["at"], earlier["decision"]["type"]
            )
        detail: dict[str, Any] = {
            "interrupt_id": interrupt_id,
            "action_id": item["action_id"],
            "decision": valid,
        }
        if valid["type"] == "edit":
            detail["diff"] = _diff(payload["action"]["args"], valid["args"])
        self.store.audit("decision.recorded", detail, thread_id=item["thread_id"], actor=by)
        self.apply(item["thread_id"], on_progress=on_progress)
        return self.summary(item["thread_id"])

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
            resume = {d["interrupt_id"]: d["decision"] for d in todo if d["interrupt_id"] in live}
            if resume:
                self._run(thread_id, Command(resume=resume), on_progress)
                self.store.mark_applied(list(resume))
                for interrupt_id in resume:
                    self.store.audit(
                        "decision.applied", {"interrupt_id": interrupt_id}, thread_id=thread_id
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
            log.warning("recovering thread %s: applying recorded decisions", thread_id)
            try:
                applied += self.apply(thread_id)
            except Exception:
                log.exception(
                    "could not apply the recorded decisions of %s; will retry on next start",
                    thread_id,
                )
        return applied

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
            "audit": self.store.audit_log(thread_id),
        }

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
                yield "gate", f"Waiting for your decision: {v.get('title')} ({v.get('risk')} risk)"
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


def _inbox_item(row: dict[str, Any]) -> dict[str, Any]:
    p = row["payload"]
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
        "title": p.get("title"),
        "text": p.get("text"),
        "claims": p.get("claims", []),
        "evidence": p.get("evidence", []),
        "unsupported_claims": p.get("unsupported_claims", []),
        "allowed_decisions": p["allowed_decisions"],
        "revision": p.get("revision", 0),
        "feedback": p.get("feedback", []),
    }


def _diff(before: dict[str, Any], after: dict[str, Any]) -> str:
    import difflib

    a = json.dumps(before, indent=1, sort_keys=True).splitlines()
    b = json.dumps(after, indent=1, sort_keys=True).splitlines()
    return "\n".join(difflib.unified_diff(a, b, "proposed", "approved", lineterm=""))
