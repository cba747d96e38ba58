"""Authority at run time: every attempt checked against the policy's `authority:`, refusals audited.

`Approvals` sits between the runtime facade and the store. For a review it decides whether the
person may take part, whether their approval completes what the policy needs (roles, thresholds,
quorum, separation of duties) or is recorded as one of several (an *endorsement*), and binds each
approval to the hash of the content the person saw (graphs/binding.py). Everything else (send now,
cancel, settle, undo, promote, add knowledge…) is a permission check.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from graphs.authority import Authority, Requirement, assess, can_take_part, describe, requirement
from graphs.binding import content_hash
from graphs.errors import DraftChanged, InvalidDecision, NotAllowed
from graphs.storage.chunked import read_in
from graphs.store import Store, now_iso

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS endorsements (
    interrupt_id TEXT NOT NULL,
    person TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (interrupt_id, person)
)
"""
CHANGED = "this draft changed since you opened it"


@dataclass(frozen=True)
class Plan:
    """What one review decision does: apply now, or record an endorsement and wait for more."""

    complete: bool
    approvers: tuple[str, ...]
    missing: tuple[str, ...]
    content_hash: str


class Approvals:
    def __init__(self, store: Store, authority: Authority) -> None:
        self.store = store
        self.auth = authority
        # campaign → who started it: written once when it starts, never changed, and asked for
        # every item of every inbox page and every decision (the audit has no index on thread)
        self._authors: dict[str, str] = {}
        with store.tx() as c:
            c.execute(SCHEMA)

    # -- who ----------------------------------------------------------------------------------
    def who(self, identity: str) -> str:
        return self.auth.canonical(identity)

    def require(self, identity: str, permission: str, what: str, **detail: Any) -> None:
        """Raise NotAllowed (and audit the attempt) unless `identity` holds `permission`."""
        if self.auth.may(identity, permission):
            return
        why = (
            f"{self.who(identity)} may not {what}: the policy gives that to "
            f"{self.auth.who_may(permission)}."
        )
        self.refuse(identity, why, permission=permission, **detail)

    def refuse(
        self, identity: str, why: str, *, thread_id: str | None = None, **detail: Any
    ) -> None:
        self.store.audit(
            "authority.refused",
            {"why": why, **detail},
            thread_id=thread_id,
            actor=self.who(identity),
        )
        log.info("refused: %s", why)
        raise NotAllowed(why + " Nothing was changed.")

    # -- reviews ------------------------------------------------------------------------------
    def author(self, thread_id: str) -> str | None:
        known = self._authors.get(thread_id)
        if known is not None:
            return known
        rows = self.store.audit_log(thread_id, 1, event="campaign.started")
        if not rows:
            return None
        if len(self._authors) >= 10_000:  # a bound, not an LRU: a page asks for few campaigns
            self._authors.clear()
        self._authors[thread_id] = str(rows[0]["actor"])
        return self._authors[thread_id]

    def started(self, thread_id: str, author: str) -> None:
        """`author` started `thread_id` (its "campaign.started" entry just committed, with them
        as its actor): what `author` would read back."""
        if len(self._authors) >= 10_000:
            self._authors.clear()
        self._authors[thread_id] = author

    def authors_of(self, thread_ids: list[str]) -> None:
        """Read the authors of many campaigns (one inbox page) in one query into the cache that
        `author` reads, instead of one query per item."""
        wanted = sorted({t for t in thread_ids if t not in self._authors})
        if not wanted:
            return
        rows = read_in(  # IN lists of a bounded length (graphs/storage/chunked.py)
            self.store,
            "SELECT thread_id, actor FROM audit WHERE thread_id IN ({marks}) AND "
            "(event = 'campaign.started' OR event LIKE 'campaign.started.%') ORDER BY seq DESC",
            wanted,
        )
        if len(self._authors) + len(wanted) >= 10_000:
            self._authors.clear()
        for r in rows:  # newest first, as `author` reads them
            self._authors.setdefault(r["thread_id"], str(r["actor"]))

    def requirement(self, item: dict[str, Any], args: dict[str, Any] | None = None) -> Requirement:
        p = item["payload"]
        name = p["action"]["name"]
        return requirement(
            self.auth,
            name,
            p.get("channel") or "",
            p.get("risk") or "high",
            args if args is not None else p["action"]["args"],
            self.author(item["thread_id"]),
        )

    def endorsers(self, interrupt_id: str) -> list[str]:
        rows = self.store.query(
            "SELECT person FROM endorsements WHERE interrupt_id = ? ORDER BY at, rowid",
            (interrupt_id,),
        )
        return [r["person"] for r in rows]

    def check_seen(self, item: dict[str, Any], seen: str | None) -> str:
        """The current content hash; DraftChanged when the person saw another version."""
        current = content_hash(item["payload"])
        if seen is not None and len(str(seen).strip()) < 8:
            raise InvalidDecision(
                f"The version you saw is given as {seen!r}; expected its hash (at least 8 of its "
                "characters, as the inbox shows it). Nothing was saved."
            )
        if seen and not current.startswith(str(seen).strip().lower()):
            raise DraftChanged(
                f"Not recorded: {CHANGED} ({item['payload'].get('title') or 'the draft'} now "
                "reads differently). Open it again, read the new version and decide on that. "
                "Nothing was changed."
            )
        return current

    def plan(
        self, item: dict[str, Any], decision: dict[str, Any], identity: str, seen: str | None
    ) -> Plan:
        """Check one review decision; raise NotAllowed/DraftChanged (audited) or say what it does.
        The approvals so far are the item's `endorsed` when its reader read them along."""
        current = self.check_seen(item, seen)
        kind = decision["type"]
        me = self.who(identity)
        base = {
            "interrupt_id": item["interrupt_id"],
            "action": item["payload"]["action"]["name"],
            "decision": kind,
            "content_hash": current,
        }
        if kind == "approve":
            req = self.requirement(item)
            known = item.get("endorsed")
            earlier = list(known) if known is not None else self.endorsers(item["interrupt_id"])
            verdict = assess(self.auth, req, earlier, identity)
            if not verdict.allowed:
                self.refuse(identity, verdict.why, thread_id=item["thread_id"], **base)
            return Plan(verdict.complete, (*earlier, me), verdict.missing, current)
        if kind == "edit":
            # An edit is an approval of the edited version: it must be enough on its own.
            req = self.requirement(item, decision["args"])
            verdict = assess(self.auth, req, [], identity)
            if not verdict.allowed:
                self.refuse(identity, verdict.why, thread_id=item["thread_id"], **base)
            if not verdict.complete:
                self.refuse(
                    identity,
                    f"An edit is an approval of the edited version, and {me} is not enough alone "
                    f"for it ({'; '.join(verdict.missing)}). Send it back with your changes as "
                    "feedback, or approve it as it is",
                    thread_id=item["thread_id"],
                    **base,
                )
            return Plan(True, (me,), (), current)
        # revise, reject: anyone who may decide it may stop it or send it back.
        req = self.requirement(item)
        if not can_take_part(self.auth, req, identity):
            who = ", ".join(self.auth.holders(req.may)) or "nobody holds these roles"
            self.refuse(
                identity,
                f"{me} may not decide this: it {describe(self.auth, req)} ({who}).",
                thread_id=item["thread_id"],
                **base,
            )
        return Plan(True, (me,), (), current)

    def endorse(self, item: dict[str, Any], identity: str, plan: Plan) -> None:
        """Record one approval that does not complete the review yet (audited with the hash)."""
        me = self.who(identity)
        with self.store.tx() as c:
            c.execute(
                "INSERT OR IGNORE INTO endorsements VALUES (?, ?, ?, ?)",
                (item["interrupt_id"], me, plan.content_hash, now_iso()),
            )
        self.store.audit(
            "decision.endorsed",
            {
                "interrupt_id": item["interrupt_id"],
                "action_id": item["action_id"],
                "action": item["payload"]["action"]["name"],
                "content_hash": plan.content_hash,
                "approvers": list(plan.approvers),
                "still_needs": list(plan.missing),
            },
            thread_id=item["thread_id"],
            actor=me,
        )

    def endorsers_of(self, interrupt_ids: list[str]) -> dict[str, list[str]]:
        """`endorsers` of many items: id → approvers so far. One query for a page; for more ids
        (every pending item) one per `IN_CHUNK` ids, in one round trip on PostgreSQL: no
        statement carries more parameters than a database takes (graphs/storage/chunked.py)."""
        found: dict[str, list[str]] = {i: [] for i in interrupt_ids}
        rows = read_in(
            self.store,
            "SELECT interrupt_id, person FROM endorsements WHERE interrupt_id IN ({marks}) "
            "ORDER BY at, rowid",
            list(found),  # each id once: a chunk holds all of one id's rows, in their order
        )
        for r in rows:
            found[r["interrupt_id"]].append(r["person"])
        return found

    def view(
        self, item: dict[str, Any], identity: str | None, endorsed: list[str] | None = None
    ) -> dict[str, Any]:
        """For the inbox: can this person decide it, who approved so far, what it still needs.
        `endorsed`: its approvers so far when the caller read them for a whole page."""
        req = self.requirement(item)
        earlier = self.endorsers(item["interrupt_id"]) if endorsed is None else endorsed
        result: dict[str, Any] = {
            "approvals": earlier,
            "needs": describe(self.auth, req),
            "who": self.auth.holders(req.may),
            "local": self.auth.open,
        }
        if identity is not None:
            verdict = assess(self.auth, req, earlier, identity)
            result["can_decide"] = can_take_part(self.auth, req, identity)
            result["can_approve"] = verdict.allowed
            result["completes"] = verdict.complete
            result["still_needs"] = list(verdict.missing)
            result["why_not"] = verdict.why
        return result
