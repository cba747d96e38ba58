"""Audience batches in the runtime: one interrupt, its contacts in the inbox index.

The graph pauses once per audience batch (graphs/batch.py). For the person the inbox still lists
the batch's contacts one by one, a page at a time: when the runtime first sees a batch interrupt
it writes one index row for the batch (kind `batch`: its decision, its expiry) and one row per
contact (kind `review`, `batch` = the batch's key, id `<interrupt id>-<n>`), each with the
contact's own email derived from the template. The rows are written once, in one transaction,
and removed when the interrupt is gone; a sync in between leaves them alone.

Deciding:
- one contact (a sample's card, "approve selected"): a decision row of its own, first wins;
- the whole batch, or the rest of it (`decide_batch`: "approve all", "after a sample, the rest"):
  ONE decision row on the batch's interrupt; the contacts it covers are marked decided in the
  index in the same step (not one decision each), those it leaves out (the sample, the drafts
  that carry links nobody gave) stay open;
- the scheduler expires the batch as a whole.
When no contact is open any more, the graph is resumed once for the batch: the batch's decision
with the contacts' own decisions as exceptions (`members`, graphs/batch_schema.py).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from graphs.batch import TEMPLATE_ID, member_args, member_number
from graphs.batch_holds import cancelled_contacts, fold
from graphs.binding import content_hash
from graphs.decisions import HOLD_DECISIONS
from graphs.errors import AlreadyDecided, InvalidInput, NotFound
from graphs.humanize import count
from graphs.runtime.inbox import InboxPages, needs_check
from graphs.runtime.reviews import TRACKED
from graphs.runtime.runs import Progress
from graphs.runtime.stored import stored_values
from graphs.storage import chunked
from graphs.storage.inbox import INSERT_ROW, NO_COLUMNS, inbox_columns
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


class Batches(InboxPages):
    """The inbox rows of batch interrupts, whole-batch decisions and the batch's one resume."""

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

    # -- deciding -------------------------------------------------------------------------
    def _pending_item(self, interrupt_id: str, seen: str | None = None) -> dict[str, Any]:
        try:
            item = self._hydrate([super()._pending_item(interrupt_id, seen)])[0]
        except NotFound:
            split = split_member(interrupt_id)
            whole = self.store.decision(split[0]) if split else None
            if whole is not None:  # a contact the batch's decision covered
                raise AlreadyDecided(
                    interrupt_id, whole["by"], whole["at"], whole["decision"]["type"]
                ) from None
            raise
        batch_interrupt = item["payload"].get("batch_interrupt")
        if batch_interrupt and item["kind"] == "review":
            rows = self.store.query(
                "SELECT decided FROM inbox WHERE interrupt_id = ?", (interrupt_id,)
            )
            whole = self.store.decision(str(batch_interrupt))
            if rows and rows[0]["decided"] and whole is not None:
                raise AlreadyDecided(
                    interrupt_id, whole["by"], whole["at"], whole["decision"]["type"]
                )
        return item

    def _record(
        self,
        item: dict[str, Any],
        valid: dict[str, Any],
        by: str,
        plan: Any = None,
        track_as: tuple[str, str] | None = None,
        lease: bool = False,
        conflict_raises: bool = False,
    ) -> str | None:
        owner = super()._record(item, valid, by, plan, track_as, lease, conflict_raises)
        if item["kind"] == "batch":  # the whole batch (or its rest): its contacts are decided
            try:
                self._cover(item["thread_id"], str(item["batch"]), list(valid.get("exclude") or []))
            except BaseException:
                if owner is not None:  # the lease taken with the decision: not handed over
                    self.store.release(item["thread_id"], owner)
                raise
        return owner

    def decide_batch(
        self,
        thread_id: str,
        batch: str,
        decision: dict[str, Any],
        *,
        exclude: list[str] | tuple[str, ...] = (),
        checked: bool = False,
        by: str = "marketer",
        on_progress: Progress | None = None,
    ) -> dict[str, Any]:
        """Decide every undecided contact of a batch (but `exclude`) in ONE decision on the
        batch's interrupt; the contacts decided one by one keep their own decisions. Drafts that
        carry links or contacts nobody gave are never approved in bulk (`held_back`).

        Returns {"decisions": {id: decision}, "summaries": [...], "held_back": [ids]}."""
        row = self._batch_row(thread_id, batch)
        if row is None or self.store.decision(row["interrupt_id"]) is not None:
            # no batch interrupt, or the batch was decided and only the drafts it left out
            # wait: those (a few) are decided one by one, in one submission
            return super().decide_batch(
                thread_id,
                batch,
                decision,
                exclude=exclude,
                checked=checked,
                by=by,
                on_progress=on_progress,
            )
        interrupt_id = row["interrupt_id"]
        payload = row["payload"]
        open_ids = self._open_ids(thread_id, batch)
        if not open_ids:
            raise NotFound(
                f"Nothing of batch {batch!r} in campaign {thread_id[:8]} is waiting for a "
                "decision; it was decided already. Run `signoff inbox` to see what is pending."
            )
        one = dict(decision)
        if one.get("type") == "approve" and checked and needs_check(payload):
            one["checked"] = True
        skip = set(exclude)
        held_back: list[str] = []
        if one.get("type") in ("approve", "edit"):
            flagged = {member_row_id(interrupt_id, a) for a in payload.get("flagged_members", {})}
            held_back = [i for i in open_ids if i in flagged and i not in skip]
        left_open = skip | set(held_back)
        covered = [i for i in open_ids if i not in left_open]
        if not covered and held_back:
            raise InvalidInput(
                f"The {count(len(held_back), 'draft')} of batch {batch!r} still waiting carry links or "
                "contacts you did not give (from the audience file or a source); they are never "
                "approved in bulk. Open them one by one: `signoff inbox`."
            )
        if not covered:
            raise NotFound(
                f"Nothing of batch {batch!r} in campaign {thread_id[:8]} is waiting for a "
                "decision but the drafts you left out. Decide those one by one."
            )
        valid = self._validate(row, one)
        plan = self._authorize(row, valid, by, None)
        who = self.approvals.who(by)
        if not plan.complete:
            self.approvals.endorse(row, who, plan)
            return {
                "decisions": {},
                "summaries": [
                    {**self.summary(thread_id), "waiting_for": {interrupt_id: list(plan.missing)}}
                ],
                "held_back": held_back,
            }
        kept = sorted(i for i in left_open if i in set(open_ids))
        recorded = {**valid, "exclude": kept} if kept else dict(valid)
        self._record(row, recorded, who, plan)
        outcome = TRACKED.get(valid["type"])
        if outcome:  # `approve all` is one decision in the track record
            name = payload["action"]["name"]
            channel = payload.get("channel") or get_tool(name).channel
            self.store.set_proposal_outcome(thread_id, TEMPLATE_ID, outcome)
            self._track(interrupt_id, name, channel, outcome, thread_id, TEMPLATE_ID, who)
        job = self._carry_on(thread_id, on_progress)
        summary = {**self.summary(thread_id), "waiting_for": {}}
        if job is not None:
            summary["job"] = job
        return {
            "decisions": dict.fromkeys(covered, valid),
            "summaries": [summary],
            "held_back": held_back,
        }

    # -- its one hold -----------------------------------------------------------------------
    def hold_note(self, ref: str, verb: str = "cancel") -> str | None:
        """What cancel / send now on one contact's id does, in words, or None when `ref` is no
        contact of a held audience (`verb`: cancel, send-now). Cancel takes that contact out
        alone; send now sends the whole audience (its one hold)."""
        found = contact_hold(self.store, ref)
        if found is None:
            return None
        hold = found["hold"]
        size = hold["payload"].get("batch_size") or 0
        if verb == "cancel":
            return (
                f"{ref} is contact {found['contact']} of an audience held as one: only their "
                f"email is taken out; the others of the {size:,} stay held. To cancel the whole "
                f"audience instead: `signoff cancel {hold['interrupt_id']}`."
            )
        return (
            f"{ref} is contact {found['contact']} of an audience approved as one: its "
            f"{size:,} emails wait out ONE hold ({hold['interrupt_id']}). The whole "
            "audience's hold is sent now."
        )

    # -- reads for the page -----------------------------------------------------------------
    def batch_foreign_ids(self, thread_id: str, batch: str) -> list[str]:
        row = self._batch_row(thread_id, batch)
        if row is None:
            return super().batch_foreign_ids(thread_id, batch)
        flagged = {
            member_row_id(row["interrupt_id"], a) for a in row["payload"].get("flagged_members", {})
        }
        return [i for i in self._open_ids(thread_id, batch) if i in flagged] if flagged else []

    def batch_needing_check(self, thread_id: str, batch: str) -> int:
        """Every contact's email carries the template's claims: all open ones, or none."""
        row = self._batch_row(thread_id, batch)
        if row is None:
            return super().batch_needing_check(thread_id, batch)
        if not needs_check(row["payload"]):
            return 0
        rows = self.store.query(
            "SELECT COUNT(*) AS n FROM inbox WHERE decided = 0 AND kind = 'review' AND "
            "thread_id = ? AND batch = ?",
            (thread_id, batch),
        )
        return int(rows[0]["n"])

    def batch_template(self, thread_id: str, batch: str) -> dict[str, Any] | None:
        """The batch's template as an inbox item (its draft, claim checks, size, sample), or None."""
        row = self._batch_row(thread_id, batch)
        if row is None:
            return None
        item = self._items([{**row, "kind": "review"}])[0]
        p = row["payload"]
        return {
            **item,
            "kind": "batch",
            "sample": p.get("sample", []),
            "flagged_members": p.get("flagged_members", {}),
            "batch_size": p.get("batch_size", 0),
            "content_hash": content_hash(p),
        }

    def batch_result(self, thread_id: str) -> dict[str, Any]:
        """What became of a campaign's batch: its hold (or None), the batch's outcome (counts
        of executed, failed, in doubt; or None while it waits) and its open drafts."""
        # from the checkpoints: the Inbox's report of a batch decision never builds the graph
        values = stored_values(self.checkpointer, self.store, thread_id)
        outcome = next(
            (o for o in values.get("outcomes", []) if o["action_id"] == TEMPLATE_ID), None
        )
        hold = next(
            (h for h in self.store.inbox(thread_id, kind="hold") if h["action_id"] == TEMPLATE_ID),
            None,
        )
        return {
            "outcome": outcome,
            "hold": hold,
            "open": len(self.store.batch_member_ids(thread_id, "audience")),
        }

    # -- the one resume ---------------------------------------------------------------------
    def _resumes(
        self,
        thread_id: str,
        todo: list[dict[str, Any]],
        live: set[str],
        batches: dict[str, str] | None = None,
    ) -> tuple[dict[str, Any], list[str]]:
        if batches is None:
            batches = {
                r["interrupt_id"]: r["batch"]
                for r in self.store.query(
                    "SELECT interrupt_id, batch FROM inbox WHERE thread_id = ? AND kind = 'batch'",
                    (thread_id,),
                )
            }
        whole: dict[str, dict[str, Any]] = {}
        members: dict[str, dict[str, dict[str, Any]]] = {}
        ids: dict[str, list[str]] = {}
        others = []
        for d in todo:
            interrupt_id = d["interrupt_id"]
            split = split_member(interrupt_id)
            if interrupt_id in batches:
                whole[interrupt_id] = d["decision"]
                ids.setdefault(interrupt_id, []).append(interrupt_id)
            elif split is not None and interrupt_id not in live:  # one contact's own
                members.setdefault(split[0], {})[split[1]] = d["decision"]
                ids.setdefault(split[0], []).append(interrupt_id)
            else:
                others.append(d)
        resume, applied = super()._resumes(thread_id, others, live)
        for d in others:  # an audience's hold: with the contacts taken out of it (batch_holds)
            hold_id = d["interrupt_id"]
            if (
                hold_id in resume
                and d["action_id"] == TEMPLATE_ID
                and d["decision"].get("type") in HOLD_DECISIONS
            ):
                cancels = cancelled_contacts(self.store, thread_id, hold_id)
                resume[hold_id] = fold(resume[hold_id], cancels)
        for batch_interrupt, decided in ids.items():
            if batch_interrupt not in live:  # applied before a crash: nothing left to resume
                self.store.mark_applied(decided)
                continue
            key = str(batches.get(batch_interrupt))
            top = whole.get(batch_interrupt)
            if top is not None:  # its cover, again (idempotent): a crash may have cut it
                self._cover(thread_id, key, list(top.get("exclude") or []))
            if self.store.batch_member_ids(thread_id, key):
                continue  # contacts left out of the batch's decision still wait for a person
            value: dict[str, Any] = {k: v for k, v in (top or {}).items() if k != "exclude"}
            value["members"] = members.get(batch_interrupt, {})
            resume[batch_interrupt] = value
            applied += decided
        return resume, applied
