"""Holds and the scheduler: release due holds, expire overdue reviews, send reminders."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from graphs.batch_holds import cancelled_contacts
from graphs.errors import AlreadyDecided, InvalidInput, NotFound
from graphs.humanize import duration
from graphs.record import DRIVER as REMOTE_DRIVER
from graphs.runtime.batches import contact_hold
from graphs.runtime.held_contacts import HOLD_DECISIONS, HeldContacts
from graphs.runtime.reviews import apply_reads
from graphs.storage.chunked import read_in
from graphs.storage.decisions import decision_taken
from graphs.storage.guesses import guessing_first
from graphs.waiting_turn import approvals_waiting

log = logging.getLogger(__name__)

__all__ = ["HOLD_DECISIONS", "Holds"]


class Holds(HeldContacts):
    """Held actions (cancel, send now) and the scheduler loop that releases them."""

    def holds(self) -> list[dict[str, Any]]:
        """Actions that may go out, waiting for their release time (soonest first)."""
        now = self.clock()
        result = []
        rows = sorted(self.store.inbox(kind="hold"), key=lambda r: r["due"] or 0)
        approvers = self._approvers({(r["thread_id"], r["action_id"]) for r in rows})
        batches = {r["thread_id"] for r in rows if r["payload"].get("batch_key")}
        audiences = self._audience_approvers(batches) if batches else {}
        for row in rows:
            p = row["payload"]
            key = (row["thread_id"], row["action_id"])
            approved_by = approvers.get(key) or audiences.get(row["thread_id"])
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
                    "approved_by": approved_by or "policy (no review needed)",
                    "batch_size": p.get("batch_size") if p.get("batch_key") else None,
                    # an audience's contacts taken out one by one (cancel_contact)
                    "taken_out": len(
                        cancelled_contacts(self.store, row["thread_id"], row["interrupt_id"])
                    )
                    if p.get("batch_key")
                    else 0,
                }
            )
        return result

    def approvals_waiting(self, thread_id: str | None = None) -> list[dict[str, Any]]:
        """Approvals recorded while another run of their campaign was going (a send-back's
        redraft): kept, and scheduled as soon as that run ends (graphs/waiting_turn.py)."""
        return approvals_waiting(self.store, thread_id)

    def _approvers(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """Who approved (or edited) each held (thread, action): one read for them all, not one
        per hold (the Scheduled page asks every second); the latest decision wins."""
        found: dict[tuple[str, str], str] = {}
        rows = read_in(  # an action's decisions stay in one statement, in their order
            self.store,
            "SELECT thread_id, action_id, decision, decided_by FROM decisions WHERE action_id"
            " IN ({marks}) ORDER BY decided_at, rowid",
            sorted({a for _, a in keys}),
        )
        for r in rows:
            key = (r["thread_id"], r["action_id"])
            if key in keys and json.loads(r["decision"])["type"] in ("approve", "edit"):
                found[key] = str(r["decided_by"])
        return found

    def _audience_approvers(self, threads: set[str]) -> dict[str, str]:
        """Who approved an audience's emails, per campaign: the batch's own approval ("approve
        all") or the people who approved contacts one by one (the batch's record of their
        decisions, `members`, is the graph's, not a person's)."""
        names: dict[str, set[str]] = {}
        rows = read_in(
            self.store,
            "SELECT thread_id, decision, decided_by FROM decisions WHERE thread_id IN ({marks})",
            sorted(threads),
        )
        for r in rows:
            if json.loads(r["decision"])["type"] in ("approve", "edit"):
                names.setdefault(r["thread_id"], set()).add(str(r["decided_by"]))
        return {thread: ", ".join(sorted(who)) for thread, who in names.items()}

    def cancel(self, hold_id: str, *, by: str = "marketer", reason: str = "") -> dict[str, Any]:
        """Cancel a held action before it goes out (first of cancel/send now/release wins).

        With one contact's id of a held audience (`<batch interrupt id>-<n>` as the inbox
        listed it, or `<hold id>-<n>`): only that contact is taken out (`cancel_contact`). The
        audience's own hold id (`holds()`) cancels the whole audience."""
        if self.names_contact(hold_id):
            return self.cancel_contact(hold_id, by=by, reason=reason)
        return self._hold_decision(hold_id, {"type": "cancel", "reason": reason}, by)

    def send_now(self, hold_id: str, *, by: str = "marketer") -> dict[str, Any]:
        """Send a held action now instead of waiting for its release time."""
        return self._hold_decision(hold_id, {"type": "send_now"}, by)

    def resolve_hold(self, ref: str) -> str:
        """The hold id for `ref`: a hold's id, the id of the review that approved the held
        action (the id the person just used with `decide`), or the action's own id."""
        item = self.store.inbox_item(ref)
        if item is not None and item["kind"] == "hold":
            return ref
        audience = contact_hold(self.store, ref)  # one contact of a held audience: its one hold
        if audience is not None:
            if (audience["own"] or {}).get("type") in ("reject", "revise"):
                raise InvalidInput(
                    f"{ref} (contact {audience['contact']}) was rejected on its own: it is not in "
                    "the audience's hold and will not go out. To cancel or send the rest of the "
                    f"audience, use its hold: {audience['hold']['interrupt_id']}."
                )
            return str(audience["hold"]["interrupt_id"])
        # a review: waiting (in the inbox) or decided (its decision names thread and action)
        if item is None:
            item = self.store.decision(ref)
            if item is not None and item["decision"]["type"] in HOLD_DECISIONS:
                return ref  # a hold that was decided: _pending_item says by whom
        thread_id = item["thread_id"] if item is not None else None
        action_id = item["action_id"] if item is not None else ref
        holds = [h for h in self.store.inbox(thread_id, kind="hold") if h["action_id"] == action_id]
        if len(holds) == 1:
            return str(holds[0]["interrupt_id"])
        if len(holds) > 1:
            raise InvalidInput(
                f"{ref!r} names {len(holds)} held actions (in different campaigns); use one of "
                "their hold ids: " + ", ".join(h["interrupt_id"] for h in holds) + "."
            )
        if item is None:
            return ref  # unknown: _pending_item says so, or who decided it
        if self.store.decision(ref) is None:
            raise InvalidInput(
                f"{ref} is a review still waiting for a decision, not a held action. Approve it "
                f"first (`signoff decide {ref} approve`); an approved send then waits in its hold."
            )
        raise NotFound(
            f"The action approved in review {ref} is not held any more: it went out, was "
            f"cancelled, or had no hold window. See `signoff show {item['thread_id']}`."
        )

    def _hold_decision(self, hold_id: str, decision: dict[str, Any], by: str) -> dict[str, Any]:
        resolved = self.resolve_hold(hold_id)
        item = self._pending_item(resolved)
        if item["kind"] != "hold":
            raise InvalidInput(
                f"{hold_id} is a review, not a held action; decide it with approve/edit/revise/"
                "reject (`signoff decide`)."
            )
        return self.decide_many({resolved: decision}, by=by)[0]

    def _releases(
        self, due: list[dict[str, Any]], done: dict[str, list[str]], *, raising: bool
    ) -> tuple[set[str], set[str], dict[str, Callable[[], str | None]]]:
        """`tick`'s releases and expiries of `due` in one transaction, with the leases of their
        threads' resumes: the rows recorded or found decided, the threads to carry on, and
        the leases' `take_within`. `raising`: a decision there first is not looked for; it
        fails the transaction (`decision_taken`), nothing of it written or added to `done`."""
        decided: set[str] = set()  # due rows this step recorded, or found decided already
        threads: set[str] = set()
        taken: dict[str, Callable[[], str | None]] = {}
        recorded: dict[str, list[str]] = {"released": [], "expired": []}
        with self.store.tx() if due else nullcontext():
            for row in due:
                if row["payload"].get("driver") == REMOTE_DRIVER:
                    continue  # the server's threads: `signoff worker --langgraph-url URL`
                decision = {"type": "release"} if row["kind"] == "hold" else {"type": "expire"}
                try:
                    self._record(row, decision, "scheduler", conflict_raises=raising)
                except AlreadyDecided:
                    decided.add(row["interrupt_id"])
                    continue  # a person (or another scheduler) got there first
                decided.add(row["interrupt_id"])
                kind = "released" if row["kind"] == "hold" else "expired"
                recorded[kind].append(row["interrupt_id"])
                threads.add(row["thread_id"])
            if self._leases_ahead:
                taken = {t: self.store.take_within(t, reads=apply_reads(t)) for t in threads}
        for kind, ids in recorded.items():  # committed
            done[kind] += ids
        return decided, threads, taken

    def tick(self, now: float | None = None) -> dict[str, list[str]]:
        """One scheduler step: release due holds, expire overdue reviews, send reminders."""
        now = self.clock() if now is None else now
        done: dict[str, list[str]] = {
            "released": [],
            "expired": [],
            "reminded": [],
            "notified": [],
        }
        threads: set[str] = set()
        ahead: dict[str, str] = {}  # the leases taken with the releases, until handed over
        taken: dict[str, Callable[[], str | None]] = {}
        soon = now + self.policy.remind_before  # reviews and an audience's one review, no holds
        by_soon = None  # on PostgreSQL: what is due by `soon`, read with what is due now
        if self.store.dialect == "postgresql":  # one round trip for both reads
            by_soon = self.store.due(max(now, soon))
            due = [r for r in by_soon if r["due"] <= now]
        else:
            due = self.store.due(now)
        try:
            # this step's releases, and the leases of their threads' resumes: one commit. On
            # PostgreSQL first without a wait per release: a decision there first (a person's,
            # another scheduler's) fails the whole step, which is then done again looking
            # before each release, as on SQLite
            # (graphs/storage/guesses.py: the guess is that nobody decided them)
            decided, threads, taken = guessing_first(
                lambda raising: self._releases(due, done, raising=raising),
                guess=self.store.dialect == "postgresql",
                what="scheduler's releases",
                missed_by=decision_taken,
            )
            for thread_id, take in taken.items():  # committed: each lease is ours, or not
                owner = take()
                if owner is not None:
                    ahead[thread_id] = owner
            for thread_id in sorted(threads):
                try:
                    self._carry_on(thread_id, leased=ahead.pop(thread_id, None))
                except Exception:
                    log.exception("scheduler: could not apply to %s; will retry", thread_id)
        finally:
            for thread_id, owner in ahead.items():  # not handed over (an error before)
                self.store.release(thread_id, owner)
        if by_soon is None:
            reviews = self.store.due(soon, kind=("review", "batch"))  # one read for both
        else:  # as that read would give them: the undecided ones (those due now are decided)
            reviews = [
                r
                for r in by_soon
                if r["kind"] in ("review", "batch")
                and r["due"] <= soon
                and r["interrupt_id"] not in decided
            ]
        for row in sorted(reviews, key=lambda r: r["due"]):
            if self.store.remind_once(row["interrupt_id"]):
                p = row["payload"]
                left = max(0, int(row["due"] - now))
                audience = (
                    f" to {p.get('batch_size', 0):,} contacts" if row["kind"] == "batch" else ""
                )
                self.store.notify(
                    f"remind:{row['interrupt_id']}",
                    kind="reminder",
                    title=f"Review expires soon: {p.get('title')}{audience}",
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
        try:  # reach the people who may decide what waits (graphs/notify.py)
            done["notified"] = self.reach.deliver(now)
        except Exception:
            log.exception("scheduler: notifying reviewers failed; will retry")
        return done

    def open_link(self, token: str) -> dict[str, Any]:
        """What a link from a notification opens (ok, stale, expired, decided, invalid)."""
        return self.reach.links.open(self.store, token, self.clock())

    def notify_preference(self, person: str) -> str:
        return self.reach.preference(person)

    def set_notify_preference(self, person: str, mode: str) -> None:
        try:
            self.reach.set_preference(person, mode)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from exc

    def start_scheduler(self, interval: float = 1.0, *, runs: bool = True) -> None:
        """Release due holds in a background thread of this process (the app's server; with
        `runs=False` it only records releases and queues their runs for a worker)."""
        if self._scheduler and self._scheduler.is_alive():
            return
        self._stop.clear()
        self._scheduler = threading.Thread(
            target=self.worker,
            kwargs={"interval": interval, "runs": runs},
            name="signoff-scheduler",
            daemon=True,
        )
        self._scheduler.start()

    def stop_scheduler(self) -> None:
        self._stop.set()
        if self._scheduler and self._scheduler.is_alive():
            self._scheduler.join(timeout=30)
        self._scheduler = None

    def run_queued(self, stop: threading.Event) -> int:
        """Queued graph runs this worker ran (none here; see RunQueue)."""
        return 0

    def worker(
        self, interval: float = 1.0, stop: threading.Event | None = None, *, runs: bool = True
    ) -> None:
        """The scheduler loop (`signoff worker`, or the app's background thread)."""
        stop = stop or self._stop
        log.info("scheduler started (every %.1f s)", interval)
        while not stop.is_set():
            try:
                done = self.tick()
                for kind, ids in done.items():
                    if ids:
                        log.info("scheduler %s %s", kind, ids)
                if runs:
                    self.run_queued(stop)
            except Exception:
                log.exception("scheduler step failed; trying again")
            stop.wait(interval)
        log.info("scheduler stopped")
