"""Recording a decision: the decision row, its audit entry, its proposal's outcome and its track
record in one commit (and the thread's lease for the resume that follows), then what an edit
or a send-back teaches the brand files. graphs/runtime/reviews.py decides what to record."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from graphs.approvals import Plan
from graphs.binding import content_hash
from graphs.errors import AlreadyDecided
from graphs.record import TRACKED as TRACKED  # importable from here (batches, reviews)
from graphs.record import edit_diff
from graphs.runtime.autonomy import AutonomyService
from graphs.storage.decisions import decision_taken, unapplied_read
from graphs.storage.inbox import inbox_ids_read
from tools.registry import get_tool

log = logging.getLogger(__name__)


class Recording(AutonomyService):
    """One decision's commit (`_record`), shared by single reviews, batches and holds."""

    def _record(
        self,
        item: dict[str, Any],
        valid: dict[str, Any],
        by: str,
        plan: Plan | None = None,
        track_as: tuple[str, str] | None = None,  # (ref, outcome) of a bulk decision
        lease: bool = False,
        conflict_raises: bool = False,
        guarded: bool = False,
    ) -> str | None:
        """Record one decision with its audit entry, its proposal's outcome and its track
        record: one commit. `lease`: take the thread's lease in that commit too (its resume
        follows); returns the lease's owner, or None (not asked, or held by another).
        `guarded`: the commit also checks that the item is still pending and nobody endorsed
        it (its item may have been guessed: graphs/storage/fresh_rows.py)."""
        interrupt_id = item["interrupt_id"]
        payload = item["payload"]
        detail: dict[str, Any] = {
            "interrupt_id": interrupt_id,
            "action_id": item["action_id"],
            "action": payload["action"]["name"],
            "decision": valid,
            "route": payload.get("route"),
            # the plan's: the hash it checked the decision against (`seen`), of this payload
            "content_hash": plan.content_hash if plan is not None else content_hash(payload),
        }
        if plan is not None and len(plan.approvers) > 1:
            detail["approvers"] = list(plan.approvers)
        if valid["type"] == "edit":
            detail["diff"] = edit_diff(payload["action"]["args"], valid["args"])
        if valid.get("checked"):
            detail["checked_unsupported"] = payload.get("unsupported_claims", [])
        event = "hold." + valid["type"] if item["kind"] == "hold" else "decision.recorded"
        outcome = TRACKED.get(valid["type"]) if item["kind"] == "review" else None
        # the decision, its proposal's outcome, its track record (and the lease): one commit.
        # A transaction of its own learns that a decision was there first at its COMMIT (one
        # round trip on PostgreSQL); inside another (the scheduler's releases) it looks at once
        # (`conflict_raises`: inside another too, whose caller tells it by `decision_taken`)
        own = not self.store.in_transaction()
        raises = own or conflict_raises
        try:
            taken = self._record_tx(
                item, valid, by, event, detail, outcome, track_as, lease, raises, guarded
            )
        except Exception as exc:
            if not (own and decision_taken(exc)):
                raise
            earlier = self.store.decision(interrupt_id)
            if earlier is None:
                raise
            raise AlreadyDecided(
                interrupt_id, earlier["by"], earlier["at"], earlier["decision"]["type"]
            ) from None
        owner = taken() if taken is not None else None  # committed: the lease is ours, or not
        self.store.forget_fresh(interrupt_id)
        if item["kind"] == "review" and valid["type"] in ("edit", "revise"):
            try:
                self._learn(item, valid, by)  # brand files: after the commit, never fails it
            except BaseException:
                if owner is not None:
                    self.store.release(item["thread_id"], owner)
                raise
        return owner

    def _record_tx(
        self,
        item: dict[str, Any],
        valid: dict[str, Any],
        by: str,
        event: str,
        detail: dict[str, Any],
        outcome: str | None,
        track_as: tuple[str, str] | None,
        lease: bool,
        conflict_raises: bool,
        guarded: bool = False,
    ) -> Callable[[], str | None] | None:
        """`_record`'s transaction; what `take_within` returned when `lease`."""
        interrupt_id = item["interrupt_id"]
        payload = item["payload"]
        with self.store.tx():
            if guarded:  # its item may have been guessed: still pending, endorsed by nobody
                self.store.guard_item(interrupt_id)
            earlier = self.store.record_decision(
                interrupt_id,
                item["thread_id"],
                item["action_id"],
                valid,
                by,
                audit=(event, detail),
                conflict_raises=conflict_raises,
            )
            if earlier is not None:
                raise AlreadyDecided(
                    interrupt_id, earlier["by"], earlier["at"], earlier["decision"]["type"]
                )
            if outcome:
                channel = payload.get("channel") or get_tool(payload["action"]["name"]).channel
                self.store.set_proposal_outcome(item["thread_id"], item["action_id"], outcome)
                ref, outcome = track_as or (interrupt_id, outcome)
                self._track(
                    ref,
                    payload["action"]["name"],
                    channel,
                    outcome,
                    item["thread_id"],
                    item["action_id"],
                    by,
                )
            if not lease:
                return None
            return self.store.take_within(item["thread_id"], reads=apply_reads(item["thread_id"]))

    def _learn(self, item: dict[str, Any], valid: dict[str, Any], by: str) -> None:
        """Edits and send-backs become brand rules (graphs/learning.py); never fails a decision."""
        from graphs.learning import learn

        try:
            brief = (self.store.campaign(item["thread_id"]) or {}).get("brief") or {}
            payload = item["payload"]
            quotes = [  # the knowledge the draft was written from: its words for the product
                str(source.get("quote") or "")
                for claim in payload.get("evidence") or []
                for source in claim.get("sources") or []
            ]
            rules = learn(self.home, brief, payload["action"]["args"], valid, quotes)
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


def apply_reads(thread_id: str) -> list[tuple[str, tuple[Any, ...]]]:
    """What `apply` reads under the thread's lease: its recorded, unapplied decisions and its
    inbox rows (`lease_reading`; `take_within` when the lease is taken with the decisions)."""
    return [unapplied_read(thread_id), inbox_ids_read(thread_id)]
