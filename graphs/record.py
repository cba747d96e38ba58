"""Decisions recorded and audited from inside the graph, whoever resumed it.

Signoff's runtime records a decision (first wins, keyed by interrupt id) before it resumes a
thread. A graph resumed by anyone else — `langgraph dev`, Studio, Agent Inbox, `langgraph_sdk` —
has no such caller, so the gate and the hold record it themselves, right after `interrupt()`
returns:

- the decision goes into `decisions` under the interrupt's id; if a decision is already there
  (the runtime's, or this node's own on a re-run) the one recorded first is the one applied;
- its audit entry commits with it, carrying the dialect it came in and the policy's version;
- the track record and the routing's outcome are updated as the runtime does.

Everything here is idempotent: LangGraph re-runs a node from its first line on every resume.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from langgraph.config import get_config
from langgraph.errors import GraphInterrupt
from langgraph.types import _interrupt_id, interrupt

from graphs.autonomy import DEMOTING
from graphs.state import Context
from tools.registry import get_tool

log = logging.getLogger(__name__)

TRACKED = {
    "approve": "approved",
    "edit": "edited",
    "revise": "revised",
    "reject": "rejected",
    "expire": "expired",
}


DRIVER = "langgraph"  # inbox rows of interrupts raised for another driver than the runtime

# The run's config key (configurable) under which Signoff's runtime passes the decisions it
# recorded and resumes with, by interrupt id: each is the first-wins row of `decisions`, which
# never changes once written, so `settle` takes it from there instead of reading the table.
# Keys starting with "__" never reach a checkpoint's metadata.
RECORDED = "__signoff_recorded"


def ask(
    ctx: Context,
    by_runtime: bool,
    kind: str,
    request: dict[str, Any],
    schema: Any,
) -> tuple[Any, str]:
    """`interrupt(request, response_schema=schema)`, safe under any driver: (value, its id).

    Signoff's runtime always resumes by interrupt id. Other clients may resume without one
    (Agent Inbox does), and LangGraph keeps such a value in the checkpoint when the schema
    refuses it; the next interrupt reached without an answer of its own (the hold after an
    approval, a redraft's review) would then take it — a refused `accept` would become a
    "send now" nobody gave. So for other drivers every interrupt is noted when it is raised
    (the inbox index, which also lets `signoff inbox`/`holds` list it), and a value arriving
    at an interrupt nobody was shown yet is set aside: the node asks again (a new id).
    """
    if by_runtime:
        return interrupt(request, response_schema=schema), current_interrupt_id()
    index = 0
    while True:
        interrupt_id = current_interrupt_id(index)
        shown = _shown(ctx, interrupt_id)
        try:
            # Not shown yet: any value now is a left-over; take it unvalidated (the JSON schema
            # still goes to the client) so it can never fail this node.
            value = interrupt(
                request, response_schema=schema if shown else schema.model_json_schema()
            )
        except GraphInterrupt:
            _note_shown(ctx, kind, interrupt_id, request)
            raise
        if shown:
            return value, interrupt_id
        log.warning(
            "a resume without an interrupt id reached %s before anyone saw it; set aside",
            interrupt_id,
        )
        index += 1


def _shown(ctx: Context, interrupt_id: str) -> bool:
    return bool(ctx.store.query("SELECT 1 FROM inbox WHERE interrupt_id = ?", (interrupt_id,)))


def _note_shown(ctx: Context, kind: str, interrupt_id: str, request: dict[str, Any]) -> None:
    """Index the interrupt (once) and audit it as proposed or held, as the runtime does."""
    from graphs.storage.inbox_rows import INSERT_ROW, NO_COLUMNS, inbox_columns
    from graphs.store import now_iso

    thread_id = str(get_config()["configurable"]["thread_id"])
    due = request.get("release_at") if kind == "hold" else request.get("expires_at")
    detail: dict[str, Any] = {
        "interrupt_id": interrupt_id,
        "action_id": request.get("action_id"),
        "action": request["action"],
        "risk": request.get("risk"),
    }
    if kind == "hold":
        detail["release_at"] = request.get("release_at")
    else:
        detail.update(
            reasons=request.get("reasons"),
            confidence=request.get("confidence"),
            route=request.get("route"),
            level=request.get("level"),
            expires_at=due,
        )
    event = "action.held" if kind == "hold" else "action.proposed"
    with ctx.store.tx() as c:  # the row and its audit entry commit together
        payload = {**request, "driver": DRIVER}
        added = c.execute(
            INSERT_ROW.replace("INSERT INTO", "INSERT OR IGNORE INTO", 1),
            (
                interrupt_id,
                thread_id,
                str(request.get("action_id", "")),
                json.dumps(payload),
                now_iso(),
                kind,
                due,
                request.get("batch"),
                *(inbox_columns(payload) or NO_COLUMNS),
                interrupt_id,
            ),
        ).rowcount
        if added:
            ctx.store._append_audit(c, event, detail, thread_id=thread_id)


def current_interrupt_id(index: int = 0) -> str:
    """The id of this node's `index`-th interrupt (as `get_state().interrupts` shows it)."""
    return _interrupt_id(str(get_config()["configurable"].get("checkpoint_ns", "")), index)


def actor(ctx: Context, dialect: str) -> str:
    """Who decided: the run's `signoff_user` (context), the server's authenticated user, or
    the dialect's client."""
    if ctx.signoff_user:
        return str(ctx.signoff_user)
    configurable = get_config().get("configurable", {})
    if configurable.get("langgraph_auth_user_id"):
        return str(configurable["langgraph_auth_user_id"])
    return {"langchain": "langchain-hitl", "agent-inbox": "agent-inbox"}.get(
        dialect, "langgraph-client"
    )


def settle(
    ctx: Context,
    kind: str,
    action: Mapping[str, Any],
    request: dict[str, Any],
    decision: dict[str, Any],
    dialect: str,
    interrupt_id: str,
) -> dict[str, Any]:
    """Record the decision on this node's interrupt (first wins) and return the one to apply."""
    store = ctx.store
    if store is None:  # pragma: no cover - services.complete() always gives one
        return decision
    configurable = get_config()["configurable"]
    recorded = (configurable.get(RECORDED) or {}).get(interrupt_id)
    if recorded is not None:  # the runtime recorded it (first wins) before this resume
        return dict(recorded)
    thread_id = str(configurable["thread_id"])
    by = actor(ctx, dialect)
    detail: dict[str, Any] = {
        "interrupt_id": interrupt_id,
        "action_id": action["id"],
        "action": action["name"],
        "decision": decision,
        "route": request.get("route"),
        "dialect": dialect,
        "recorded_by": "graph",
    }
    if decision["type"] == "edit":
        detail["diff"] = edit_diff(request["action"]["args"], decision["args"])
    if decision.get("checked"):
        detail["checked_unsupported"] = request.get("unsupported_claims", [])
    event = f"hold.{decision['type']}" if kind == "hold" else "decision.recorded"
    earlier = store.record_decision(
        interrupt_id, thread_id, action["id"], decision, by, audit=(event, detail), first_read=True
    )
    if earlier is not None:
        if earlier["decision"] != decision:
            log.warning(
                "%s was decided first by %s (%s); applying that, not %s",
                interrupt_id,
                earlier["by"],
                earlier["decision"]["type"],
                decision["type"],
            )
        return dict(earlier["decision"])
    store.mark_applied([interrupt_id])  # this run is applying it
    outcome = TRACKED.get(decision["type"]) if kind == "review" else None
    if outcome:
        channel = get_tool(action["name"]).channel
        store.set_proposal_outcome(thread_id, action["id"], outcome)
        track_outcome(
            store,
            ctx.policy,
            interrupt_id,
            action["name"],
            channel,
            outcome,
            thread_id,
            action["id"],
            by,
        )
    return decision


def track_outcome(
    store: Any,
    policy: Any,
    ref: str,
    action: str,
    channel: str,
    outcome: str,
    thread_id: str,
    action_id: str,
    by: str,
) -> None:
    """Add to the track record once per `ref` (with who decided); a rejection or a flag demotes
    the action type to `supervised` at once. The one place for it, whoever drives the graph."""
    if outcome not in DEMOTING or policy is None:  # nothing follows: the answer is not read
        store.track(ref, action, channel, outcome, thread_id, action_id, by=by, counted=False)
        return
    if not store.track(ref, action, channel, outcome, thread_id, action_id, by=by):
        return
    row = store.autonomy_row(action, channel)
    level = policy.level_for(action, row["level"] if row else None)
    if level != "supervised":
        store.set_autonomy(action, channel, "supervised", by)
        store.audit(
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


def edit_diff(before: dict[str, Any], after: dict[str, Any]) -> str:
    """An edit as the audit records it: a unified diff of the proposed and the approved
    arguments (keys sorted, so the diff shows what changed, not where)."""
    import difflib

    a = json.dumps(before, indent=1, sort_keys=True).splitlines()
    b = json.dumps(after, indent=1, sort_keys=True).splitlines()
    return "\n".join(difflib.unified_diff(a, b, "proposed", "approved", lineterm=""))
