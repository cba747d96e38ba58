"""An audience batch's rows in the inbox index (graphs/runtime/batches.py has the whole story):
one row for the batch's interrupt and one per contact, written once when the runtime first sees
the interrupt, each contact's row read back with the batch's shared fields (`_hydrate`)."""

from __future__ import annotations

import json
import logging
from typing import Any

from graphs.batch import TEMPLATE_ID, member_args, member_number
from graphs.runtime.inbox import InboxPages
from graphs.storage import chunked
from graphs.storage.inbox_rows import INSERT_ROW, NO_COLUMNS, inbox_columns
from graphs.store import now_iso
from tools.registry import get_tool

log = logging.getLogger(__name__)

# what a contact's row does not repeat from the batch's interrupt
NOT_PER_MEMBER = (
    "sample",
    "flagged_members",
    "member_decisions",
    "description",
    "batch_key",
    "action_request",
    "action_requests",
    "review_configs",
    "config",
)
# the same for every contact and big: read from the batch's row when a contact's row is read
# (`_hydrate`), never stored 10,000 times
SHARED = (
    "evidence",
    "claims",
    "claim_checks",
    "checks",
    "flagged_sources",
    "contacts_allowed",
    "exceptions",
    "review_notes",
    "changes",
    "feedback",
    "response_schema",
)


_DUE = "\x00due"  # the batch's expiry, beside its shared fields in `_hydrate`'s cache


def member_row_id(interrupt_id: str, action_id: str) -> str:
    """A contact's id in the inbox: `<batch interrupt id>-<n>` (for email-<n>)."""
    return f"{interrupt_id}-{member_number(action_id)}"


def split_member(row_id: str) -> tuple[str, str] | None:
    """(batch interrupt id, action id) of a contact's inbox id, or None."""
    head, _, n = row_id.rpartition("-")
    return (head, f"email-{n}") if head and n.isdigit() else None


def contact_hold(store: Any, ref: str) -> dict[str, Any] | None:
    """The held audience `ref` belongs to, when `ref` is one contact's id (`<batch interrupt
    id>-<n>`, what the inbox lists for each contact, or `<hold interrupt id>-<n>`, what the
    Scheduled page and `signoff holds --contacts` list) and its batch waits out its one hold:
    {"hold": the hold's inbox row, "contact": n, "action_id": email-<n>, "own": the contact's
    own decision in the review or None}. None for anything else (a hold's id, a review's, an
    unknown id)."""
    split = split_member(ref)
    if split is None:
        return None
    batch_interrupt, action_id = split
    direct = store.inbox_item(batch_interrupt)
    if direct is not None and direct["kind"] == "hold":  # `<hold interrupt id>-<n>`
        if direct["action_id"] != TEMPLATE_ID:
            return None
        return {
            "hold": direct,
            "contact": member_number(action_id),
            "action_id": action_id,
            "own": None,
        }
    row = store.inbox_item(ref)
    whole = store.decision(batch_interrupt)
    thread_id = row["thread_id"] if row else whole["thread_id"] if whole else None
    if thread_id is None:
        return None
    holds = [h for h in store.inbox(thread_id, kind="hold") if h["action_id"] == TEMPLATE_ID]
    if not holds:
        return None
    own = store.decision(ref)
    return {
        "hold": holds[0],
        "contact": member_number(action_id),
        "action_id": action_id,
        "own": own["decision"] if own else None,
    }


class BatchIndex(InboxPages):
    """Writing and reading a batch's rows; `Batches` decides them."""

    # -- the index ------------------------------------------------------------------------
    def _sync_batches(self, thread_id: str, state: Any, interrupts: list[Any]) -> None:
        live = {i.id: i for i in interrupts}
        indexed = {
            r["interrupt_id"]: r["batch"]
            for r in self.store.query(
                "SELECT interrupt_id, batch FROM inbox WHERE thread_id = ? AND kind = 'batch'",
                (thread_id,),
            )
        }
        gone = [i for i in indexed if i not in live]
        if gone:
            with self.store.tx() as c:
                for interrupt_id in gone:  # the batch row and its contacts' rows
                    c.execute(
                        "DELETE FROM inbox WHERE thread_id = ? AND batch = ?",
                        (thread_id, indexed[interrupt_id]),
                    )
        values: dict[str, Any] | None = None
        for interrupt_id, intr in live.items():
            if interrupt_id not in indexed:
                if values is None:  # the audience: read once, when a batch is new
                    found = getattr(state, "values", None)
                    if found is None:  # a run's end summary has no values: the checkpoint
                        found = self.graph.get_state(self._config(thread_id)).values
                    values = dict(found or {})
                self._index_batch(thread_id, values, interrupt_id, intr.value)

    def _index_batch(
        self, thread_id: str, values: dict[str, Any], interrupt_id: str, payload: dict[str, Any]
    ) -> None:
        audience = values.get("audience") or []
        key = str(payload.get("batch_key") or "audience")
        name = payload["action"]["name"]
        template_args = payload["action"]["args"]
        flagged = payload.get("flagged_members") or {}
        tool = get_tool(name)
        after = payload.get("expires_after")
        due = self.clock() + after if after else None
        created = now_iso()
        shared = {k: v for k, v in payload.items() if k not in NOT_PER_MEMBER + SHARED}
        shared.update(
            kind="review",
            batch=key,
            batch_size=len(audience),
            batch_interrupt=interrupt_id,
            allowed_decisions=payload.get("member_decisions") or ["approve", "edit", "reject"],
        )
        for k in ("action", "action_id", "text", "foreign_contacts"):
            shared.pop(k, None)
        common = json.dumps(shared)[1:-1]  # dumped once; each row adds its own fields
        # each row's filter columns, as its payload (the action, with `shared`) gives them
        probe = {"action": {"name": name}, "channel": shared.get("channel")}
        probe["risk"] = shared.get("risk")
        rows = []
        for n, contact in enumerate(audience, start=1):
            action_id = f"email-{n}"
            args = member_args(template_args, contact)
            own = json.dumps(
                {
                    "action": {"name": name, "args": args},
                    "action_id": action_id,
                    "text": tool.preview(args),
                    "foreign_contacts": flagged.get(action_id, []),
                }
            )
            rows.append(
                (
                    f"{interrupt_id}-{n}",
                    thread_id,
                    action_id,
                    "{" + own[1:-1] + "," + common + "}",
                    created,
                    "review",
                    None,
                    key,
                    *(inbox_columns(probe, args) or NO_COLUMNS),
                    f"{interrupt_id}-{n}",
                )
            )
        batch_payload = {**payload, "batch": key}
        with self.store.tx() as c:
            c.execute(
                INSERT_ROW,
                (
                    interrupt_id,
                    thread_id,
                    TEMPLATE_ID,
                    json.dumps(batch_payload),
                    created,
                    "batch",
                    due,
                    key,
                    *(inbox_columns(batch_payload) or NO_COLUMNS),
                    interrupt_id,
                ),
            )
            c.executemany(INSERT_ROW, rows)
            if self.store.decision(interrupt_id) is None:
                self.store._append_audit(
                    c,
                    "action.proposed",
                    {
                        "interrupt_id": interrupt_id,
                        "action_id": TEMPLATE_ID,
                        "action": payload["action"],
                        "risk": payload.get("risk"),
                        "reasons": payload.get("reasons"),
                        "confidence": payload.get("confidence"),
                        "route": payload.get("route"),
                        "level": payload.get("level"),
                        "expires_at": due,
                        "batch": key,
                        "contacts": len(audience),
                        "flagged": sorted(flagged),
                    },
                    thread_id=thread_id,
                )
        decided = self.store.decision(interrupt_id)
        if decided is not None:  # a reindex after the batch was decided: its cover again
            self._cover(thread_id, key, decided["decision"].get("exclude") or [])
        log.info("indexed batch %s of %d contacts", interrupt_id, len(audience))

    def _batch_row(self, thread_id: str, batch: str) -> dict[str, Any] | None:
        rows = self.store.query(
            "SELECT interrupt_id FROM inbox WHERE thread_id = ? AND batch = ? AND kind = 'batch'",
            (thread_id, batch),
        )
        return self.store.inbox_item(rows[0]["interrupt_id"]) if rows else None

    def _open_ids(self, thread_id: str, batch: str) -> list[str]:
        return self.store.batch_member_ids(thread_id, batch)

    def _cover(self, thread_id: str, batch: str, exclude: list[str]) -> None:
        """The batch's open contacts decided by the batch's decision (but `exclude`) leave the
        index at once: their decision is the batch's (one row), not one each.

        No statement carries more than `IN_CHUNK` ids, however many contacts are left out: the
        open ids are read in the same transaction and those covered are deleted chunk by chunk
        (an unbounded `NOT IN` list failed past 65,535 parameters on PostgreSQL)."""
        open_rows = (
            "FROM inbox WHERE thread_id = ? AND batch = ? AND kind = 'review' AND decided = 0"
        )
        with self.store.tx() as c:
            if not exclude:  # the whole batch: one statement, no list
                c.execute("DELETE " + open_rows, (thread_id, batch))
                return
            keep = set(exclude)
            found = c.execute("SELECT interrupt_id " + open_rows, (thread_id, batch)).fetchall()
            covered = [r[0] for r in found if r[0] not in keep]
            size = chunked.IN_CHUNK
            for part in (covered[i : i + size] for i in range(0, len(covered), size)):
                c.execute(
                    "DELETE " + open_rows + f" AND interrupt_id IN ({','.join('?' * len(part))})",
                    (thread_id, batch, *part),
                )

    def _hydrate(
        self, rows: list[dict[str, Any]], cache: dict[str, dict[str, Any]] | None = None
    ) -> list[dict[str, Any]]:
        """Contacts' rows with what they share from their batch's row (evidence, claims…) and
        its expiry (`due`: a contact's email expires with the batch's one review, and shows the
        same "expires soon" as a single review)."""
        cache = {} if cache is None else cache
        out = []
        for row in rows:
            batch_interrupt = row["payload"].get("batch_interrupt")
            if not batch_interrupt or row["kind"] != "review":
                out.append(row)
                continue
            if batch_interrupt not in cache:
                whole = self.store.inbox_item(str(batch_interrupt))
                cache[batch_interrupt] = (
                    {k: whole["payload"][k] for k in SHARED if k in whole["payload"]}
                    | {_DUE: whole["due"]}
                    if whole
                    else {}
                )
            shared = dict(cache[batch_interrupt])
            due = shared.pop(_DUE, None)
            out.append(
                {
                    **row,
                    "due": row["due"] if row["due"] is not None else due,
                    "payload": {**shared, **row["payload"]},
                }
            )
        return out

    def _items(self, rows: list[dict[str, Any]], person: str | None = None) -> list[dict[str, Any]]:
        return super()._items(self._hydrate(rows), person)

    def _pending_of(
        self,
        rows: list[dict[str, Any]],
        person: str | None = None,
        endorsed: dict[str, list[str]] | None = None,
    ) -> list[dict[str, Any]]:
        """Each contact of a batch is one item: its row hydrated with its own draft."""
        return super()._pending_of(self._hydrate(rows, {}), person, endorsed)
