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

import logging
from typing import Any

from graphs.batch import TEMPLATE_ID
from graphs.batch_holds import cancelled_contacts, fold
from graphs.binding import content_hash
from graphs.decisions import HOLD_DECISIONS
from graphs.errors import AlreadyDecided, InvalidInput, NotFound
from graphs.humanize import count
from graphs.runtime.batch_index import BatchIndex
from graphs.runtime.batch_index import contact_hold as contact_hold  # importable from here
from graphs.runtime.batch_index import member_row_id as member_row_id
from graphs.runtime.batch_index import split_member as split_member
from graphs.runtime.inbox import needs_check
from graphs.runtime.reviews import TRACKED
from graphs.runtime.runs import Progress
from graphs.runtime.stored import stored_values
from tools.registry import get_tool

log = logging.getLogger(__name__)


class Batches(BatchIndex):
    """The inbox rows of batch interrupts, whole-batch decisions and the batch's one resume."""

    # -- deciding -------------------------------------------------------------------------
    def _pending_item(
        self, interrupt_id: str, seen: str | None = None, *, guess: bool = False
    ) -> dict[str, Any]:
        try:
            item = self._hydrate([super()._pending_item(interrupt_id, seen, guess=guess)])[0]
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
        guarded: bool = False,
    ) -> str | None:
        owner = super()._record(
            item, valid, by, plan, track_as, lease, conflict_raises, guarded=guarded
        )
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
