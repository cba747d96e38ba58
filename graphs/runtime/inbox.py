"""The inbox a page at a time: entries (single reviews, and each batch once) read from the index
with filters, counts from COUNT queries, and a whole batch decided in one submission without the
page ever holding its items (`decide_batch`)."""

from __future__ import annotations

import logging
import math
from typing import Any

from graphs.authority import Decidable, decidable
from graphs.binding import content_hash
from graphs.errors import InvalidInput, NotFound
from graphs.humanize import count
from graphs.runtime.review_items import inbox_item
from graphs.runtime.reviews import Reviews
from graphs.runtime.runs import Progress

log = logging.getLogger(__name__)

MAX_PER_PAGE = 500
CHUNK = 500  # batch members read this many at a time when a whole batch is decided


def needs_check(item: dict[str, Any]) -> bool:
    """Approving this item needs `checked=true` (claims the evidence does not support)."""
    return bool(
        item.get("needs_check")
        or item.get("unsupported_claims")
        or any(c.get("supported") is False for c in item.get("claim_checks") or [])
    )


class InboxPages(Reviews):
    """Paged reads of the inbox and whole-batch decisions."""

    def _items(self, rows: list[dict[str, Any]], person: str | None = None) -> list[dict[str, Any]]:
        now = self.clock()
        ids = [r["interrupt_id"] for r in rows]
        reminded = self.store.reminded_among(ids)
        endorsed = self.approvals.endorsers_of(ids)  # one query for the page, not one per item
        self.approvals.authors_of([r["thread_id"] for r in rows])  # the same for their authors
        remind = self.policy.remind_before
        return [
            {
                **inbox_item(r, now, remind, r["interrupt_id"] in reminded),
                **({"open": r["open"]} if "open" in r else {}),
                "content_hash": content_hash(r["payload"]),
                "authority": self.approvals.view(r, person, endorsed[r["interrupt_id"]]),
            }
            for r in rows
        ]

    def inbox_page(
        self,
        page: int = 1,
        per_page: int = 50,
        *,
        campaign: str | None = None,
        channel: str | None = None,
        risk: str | None = None,
        action: str | None = None,
        person: str | None = None,
        decider: str | None = None,
    ) -> dict[str, Any]:
        """One page of the inbox, oldest first: `items` (a batch appears once, as its oldest open
        draft with `open` = its undecided count), `page`, `pages`, `entries` (singles + batches),
        `pending` (every undecided draft) and `products` (campaign → product, for this page).

        `decider`: only the drafts this person may decide (the policy's authority), from the
        same queries (a page, and counts), never a filtered list."""
        _check_page(page, per_page)
        filters: dict[str, Any] = {
            "thread_id": campaign,
            "channel": channel,
            "risk": risk,
            "action": action,
            "decider": self._decidable(decider),
        }
        entries = self.store.inbox_entries(**filters)
        rows = self.store.inbox_page(limit=per_page, offset=(page - 1) * per_page, **filters)
        items = self._items(rows, person)
        return {
            "items": items,
            "page": page,
            "per_page": per_page,
            "pages": max(1, math.ceil(entries / per_page)),
            "entries": entries,
            "pending": self.store.inbox_count(**filters),
            "products": self.store.products(sorted({i["thread_id"] for i in items})),
        }

    def pending_page(
        self,
        page: int = 1,
        per_page: int = 50,
        *,
        campaign: str | None = None,
        channel: str | None = None,
        risk: str | None = None,
        action: str | None = None,
        person: str | None = None,
        decider: str | None = None,
    ) -> dict[str, Any]:
        """One page of undecided drafts one by one (each contact of a batch is its own item),
        oldest first: `items`, `page`, `pages`, `pending` (the count over every page);
        `decider`: only what this person may decide."""
        _check_page(page, per_page)
        filters: dict[str, Any] = {
            "thread_id": campaign,
            "channel": channel,
            "risk": risk,
            "action": action,
            "decider": self._decidable(decider),
        }
        pending = self.store.inbox_count(**filters)
        rows = self.store.inbox_items(limit=per_page, offset=(page - 1) * per_page, **filters)
        return {
            "items": self._items(rows, person),
            "page": page,
            "per_page": per_page,
            "pages": max(1, math.ceil(pending / per_page)),
            "pending": pending,
        }

    def pending_count(
        self,
        *,
        campaign: str | None = None,
        channel: str | None = None,
        risk: str | None = None,
        action: str | None = None,
        decider: str | None = None,
    ) -> int:
        """Undecided drafts (each contact of a batch counts), from one COUNT query; `decider`:
        only those this person may decide."""
        return self.store.inbox_count(
            thread_id=campaign,
            channel=channel,
            risk=risk,
            action=action,
            decider=self._decidable(decider),
        )

    def _decidable(self, person: str | None) -> Decidable | None:
        """The "who can decide" filter for `person` (None: no filter; local mode: everything)."""
        return None if person is None else decidable(self.policy.authority, person)

    def counts(self) -> dict[str, int]:
        """pending, holds, notifications (open), in_doubt, failed; any_campaign (1 or 0)."""
        return self.store.counts()

    def batch_items(
        self, thread_id: str, batch: str, *, limit: int | None = 25, offset: int = 0
    ) -> list[dict[str, Any]]:
        """A slice of a batch's undecided drafts, in the order they were drafted."""
        return self._items(self.store.batch_members(thread_id, batch, limit=limit, offset=offset))

    def batch_ids(self, thread_id: str, batch: str) -> list[str]:
        return self.store.batch_member_ids(thread_id, batch)

    def batch_foreign_ids(self, thread_id: str, batch: str) -> list[str]:
        """Undecided drafts of a batch that carry links or contacts nobody gave (from the
        audience file or a source): always in a sample, never approved in bulk."""
        found: list[str] = []
        offset = 0
        while rows := self.store.batch_members(thread_id, batch, limit=CHUNK, offset=offset):
            offset += len(rows)
            found += [r["interrupt_id"] for r in rows if r["payload"].get("foreign_contacts")]
        return found

    def batch_needing_check(self, thread_id: str, batch: str) -> int:
        return self.store.batch_needing_check(thread_id, batch)

    def items(self, ids: list[str]) -> list[dict[str, Any]]:
        """Undecided drafts by id (a sample of a batch), in the order given; decided ones drop."""
        rows = [self.store.inbox_item(i) for i in ids]
        undecided = [
            r for r in rows if r is not None and self.store.decision(r["interrupt_id"]) is None
        ]
        return self._items(undecided)

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
        """Decide every undecided draft of a batch (but `exclude`) in one `decide_many`: validated
        first, all or nothing. With `checked`, approvals of drafts with unsupported claims carry
        `checked=true` ('I checked these'); the others are plain approvals.

        Drafts that carry links or contacts nobody gave are never approved in bulk: they stay
        pending for a person to open one by one (`held_back`).

        Returns {"decisions": {id: decision}, "summaries": [...], "held_back": [ids]}."""
        skip = set(exclude)
        decisions: dict[str, dict[str, Any]] = {}
        held_back: list[str] = []
        offset = 0
        while True:
            rows = self.store.batch_members(thread_id, batch, limit=CHUNK, offset=offset)
            if not rows:
                break
            offset += len(rows)
            for row in rows:
                if row["interrupt_id"] in skip:
                    continue
                if decision.get("type") in ("approve", "edit") and row["payload"].get(
                    "foreign_contacts"
                ):
                    held_back.append(row["interrupt_id"])
                    continue
                one = dict(decision)
                if one.get("type") == "approve" and checked and needs_check(row["payload"]):
                    one["checked"] = True
                decisions[row["interrupt_id"]] = one
        if not decisions and held_back:
            raise InvalidInput(
                f"The {count(len(held_back), 'draft')} of batch {batch!r} still waiting carry links or "
                "contacts you did not give (from the audience file or a source); they are never "
                "approved in bulk. Open them one by one: `signoff inbox`."
            )
        if not decisions:
            raise NotFound(
                f"Nothing of batch {batch!r} in campaign {thread_id[:8]} is waiting for a "
                "decision; it was decided already. Run `signoff inbox` to see what is pending."
            )
        summaries = self.decide_many(decisions, by=by, on_progress=on_progress)
        return {"decisions": decisions, "summaries": summaries, "held_back": held_back}


def _check_page(page: int, per_page: int) -> None:
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(
            f"Page {page} of {per_page} per page: expected a page from 1 and 1 to "
            f"{MAX_PER_PAGE} per page."
        )
