"""Reviews: the inbox, deciding (first decider wins) and applying decisions to a thread."""

from __future__ import annotations

import logging
from typing import Any

from langgraph.types import Command

from graphs.approvals import Plan
from graphs.autonomy import bulk_track
from graphs.binding import content_hash
from graphs.decisions import validate_decision
from graphs.errors import AlreadyDecided, InvalidDecision, InvalidInput, NotFound
from graphs.humanize import clip, count
from graphs.record import DRIVER as REMOTE_DRIVER
from graphs.runtime.recording import TRACKED, Recording, apply_reads
from graphs.runtime.review_items import inbox_item
from graphs.runtime.runs import Progress, pending_ids
from graphs.storage.decisions import decision_rows
from graphs.storage.fresh_rows import GUESS as ITEM_GUESS
from graphs.storage.guesses import guessing_first, missed
from graphs.storage.inbox import indexed_of, summary_of
from tools.registry import get_tool

log = logging.getLogger(__name__)


class Reviews(Recording):
    """List pending reviews, record decisions, resume each thread once under its lease."""

    def pending(
        self, thread_id: str | None = None, *, person: str | None = None
    ) -> list[dict[str, Any]]:
        """Every action waiting for a person, over all campaigns (or one), oldest first.

        Each item carries its `content_hash` (send it back as the decision's `seen`) and
        `authority`: who approved so far, who may decide it and, for `person`, whether they can.
        """
        return self._pending_of(self.store.inbox(thread_id, reminders=True), person)

    def _pending_of(
        self,
        rows: list[dict[str, Any]],
        person: str | None = None,
        endorsed: dict[str, list[str]] | None = None,
    ) -> list[dict[str, Any]]:
        """`pending()`'s items of inbox rows read with their reminders; `endorsed`: their
        approvals so far when the caller read them (else one read for all rows)."""
        now = self.clock()
        remind = self.policy.remind_before
        if endorsed is None:
            endorsed = self.approvals.endorsers_of([r["interrupt_id"] for r in rows])
        return [
            {
                **inbox_item(row, now, remind, row["reminded"]),
                "content_hash": content_hash(row["payload"]),
                "authority": self.approvals.view(
                    row, person, endorsed.get(row["interrupt_id"], [])
                ),
            }
            for row in rows
        ]

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
        return self.decide_many({interrupt_id: decision}, by=by, on_progress=on_progress)[0]

    def decide_many(
        self,
        decisions: dict[str, dict[str, Any]],
        *,
        by: str = "marketer",
        on_progress: Progress | None = None,
    ) -> list[dict[str, Any]]:
        """Record several decisions at once and resume each thread once.

        Every decision is validated first: one invalid decision means nothing is saved. A decision
        on part of a batch is recorded and applied when the whole batch is decided.

        A decision may carry `seen`: the `content_hash` of the version the person reviewed; if
        the content changed since, it is refused (DraftChanged). Each is checked against the
        policy's authority (NotAllowed, audited); an approval that needs more people (quorum,
        a role, someone other than the campaign's author) is recorded as an endorsement and the
        review stays pending (the summary's `waiting_for` says what it still needs).
        """
        if not decisions:
            raise InvalidInput("No decisions given; pass at least one pending id with a decision.")
        # one decision on PostgreSQL: its item is taken as this process indexed it when it did,
        # guarded in the decision's commit; a miss rolls that back and it is made again reading
        return guessing_first(
            lambda guess: self._decide_many(decisions, by, on_progress, guess),
            guess=len(decisions) == 1 and self.store.dialect == "postgresql",
            what="decision",
            missed_by=lambda exc: missed(exc, ITEM_GUESS),
        )

    def _decide_many(
        self,
        decisions: dict[str, dict[str, Any]],
        by: str,
        on_progress: Progress | None,
        guess: bool,
    ) -> list[dict[str, Any]]:
        """`decide_many`; `guess`: a pending item this process wrote is not read first."""
        checked: list[tuple[dict[str, Any], dict[str, Any], Plan]] = []
        for interrupt_id, raw in decisions.items():
            decision = dict(raw) if isinstance(raw, dict) else raw
            seen = decision.pop("seen", None) if isinstance(decision, dict) else None
            item = self._pending_item(interrupt_id, seen, guess=guess)
            valid = self._validate(item, decision)
            plan = self._authorize(item, valid, by, seen)
            if guess and not plan.complete:
                # an endorsement is written outside the guarded commit: its plan counts the
                # endorsements read, not guessed
                item = self._pending_item(interrupt_id, seen)
                valid = self._validate(item, decision)
                plan = self._authorize(item, valid, by, seen)
            checked.append((item, valid, plan))
        by = self.approvals.who(by)
        threads: list[str] = []
        waiting: dict[str, dict[str, list[str]]] = {}
        together = bulk_track(  # `approve all` is one decision in the track record
            [
                (
                    i["interrupt_id"],
                    i["payload"]["action"]["name"],
                    str(i["payload"].get("channel")),
                    TRACKED[v["type"]],
                )
                for i, v, p in checked
                if p.complete and i["kind"] == "review" and v["type"] in TRACKED
            ]
        )
        # each thread's last decision recorded takes its lease in the same commit, when its
        # resume runs here right after (`_leases_ahead`): handed to `apply`, else released
        last = {i["thread_id"]: n for n, (i, _v, p) in enumerate(checked) if p.complete}
        ahead: dict[str, str] = {}
        try:
            for n, (item, valid, plan) in enumerate(checked):
                if item["thread_id"] not in threads:
                    threads.append(item["thread_id"])
                if not plan.complete:
                    self.approvals.endorse(item, by, plan)
                    waiting.setdefault(item["thread_id"], {})[item["interrupt_id"]] = list(
                        plan.missing
                    )
                    continue
                owner = self._record(
                    item,
                    valid,
                    by,
                    plan,
                    track_as=together.get(item["interrupt_id"]),
                    lease=self._leases_ahead and last[item["thread_id"]] == n,
                    guarded=guess,  # its item may have been guessed: its commit checks it
                )
                if owner is not None:
                    ahead[item["thread_id"]] = owner
            with self.summaries_after_runs():  # each run's end reads the summary shown here
                jobs = {
                    t: self._carry_on(t, on_progress, leased=ahead.pop(t, None)) for t in threads
                }
                return [
                    {
                        **self.summary(t),
                        "waiting_for": waiting.get(t, {}),
                        **({"job": jobs[t]} if jobs[t] is not None else {}),
                    }
                    for t in threads
                ]
        finally:
            for thread_id, owner in ahead.items():  # not handed over (an error before)
                self.store.release(thread_id, owner)

    # the resume after recorded decisions runs here, right after them (not queued for a worker,
    # RunQueue): their transaction may take the thread's lease for it (`Leases.take_within`)
    _leases_ahead = True

    def _carry_on(
        self, thread_id: str, on_progress: Progress | None = None, leased: str | None = None
    ) -> int | None:
        """The run after recorded decisions: here (None), or a queued job's id (RunQueue).
        `leased`: the owner of the thread's lease the decisions' commit took (handed over)."""
        self.apply(thread_id, on_progress=on_progress, leased=leased)
        return None

    def _authorize(
        self, item: dict[str, Any], valid: dict[str, Any], by: str, seen: str | None
    ) -> Plan:
        if item["kind"] == "hold":
            current = self.approvals.check_seen(item, seen)
            what = {"cancel": "cancel a held action", "send_now": "send a held action now"}
            self.approvals.require(
                by,
                valid["type"],
                what.get(valid["type"], valid["type"]),
                thread_id=item["thread_id"],
                interrupt_id=item["interrupt_id"],
            )
            return Plan(True, (self.approvals.who(by),), (), current)
        return self.approvals.plan(item, valid, by, seen)

    def _changed_since(self, interrupt_id: str, earlier: dict[str, Any] | None, seen: str) -> None:
        """A decision on a version that is gone, while a newer version of the same action waits."""
        if earlier is None:
            return
        for row in self.store.inbox(earlier["thread_id"]):
            if row["action_id"] == earlier["action_id"] and row["interrupt_id"] != interrupt_id:
                self.approvals.check_seen(row, seen)

    def _pending_item(
        self, interrupt_id: str, seen: str | None = None, *, guess: bool = False
    ) -> dict[str, Any]:
        # one round trip, or none (`guess`: graphs/storage/fresh_rows.py)
        item, earlier = self.store.item_and_decision(interrupt_id, guess=guess)
        if seen and (earlier or item is None):
            self._changed_since(interrupt_id, earlier, seen)
        if earlier:
            raise AlreadyDecided(
                interrupt_id, earlier["by"], earlier["at"], earlier["decision"]["type"]
            )
        if item is None:
            raise NotFound(
                f"No pending action with id {interrupt_id!r}. Run `signoff inbox` (or "
                "`signoff holds`) to list pending ids."
            )
        if item["payload"].get("driver") == REMOTE_DRIVER:
            raise InvalidInput(
                "This action is waiting in LangGraph's server (Studio, Agent Inbox), which runs "
                "its campaign: decide it there. From code: langgraph_sdk "
                f"client.runs.wait({item['thread_id']!r}, 'campaign', command="
                f"{{'resume': {{{interrupt_id!r}: {{'type': 'approve'}}}}}}). Nothing was saved."
            )
        return item

    def _validate(self, item: dict[str, Any], decision: Any) -> dict[str, Any]:
        payload = item["payload"]
        allowed = list(payload["allowed_decisions"])
        if item["kind"] == "hold":
            allowed = [d for d in allowed if d != "release"]  # only the scheduler releases
        valid = validate_decision(
            payload["action"]["name"], payload["action"]["args"], decision, allowed
        )
        if valid["type"] == "edit":  # the limits of the connector in use (a network's length)
            try:
                get_tool(payload["action"]["name"]).validate_args(valid["args"], self.settings)
            except ValueError as exc:
                raise InvalidDecision(f"The edit cannot go out: {exc} Nothing was saved.") from exc
            self._check_edit(item, valid["args"])
        if valid["type"] == "approve" and payload.get("needs_check") and not valid.get("checked"):
            claims = payload.get("unsupported_claims", [])
            raise InvalidDecision(
                f"This draft has {count(len(claims), 'claim')} the evidence does not support: "
                + "; ".join(f"'{clip(c, 90)}'" for c in claims[:5])
                + ". Check them and approve with checked=true ('I checked these'), or edit or "
                "send it back. Nothing was saved."
            )
        return valid

    def _check_edit(self, item: dict[str, Any], args: dict[str, Any]) -> None:
        """An edit meets the same hard rules as a draft: budgets, recipients, links, contacts
        (the same rules the interrupt's response schema holds for every other driver)."""
        from graphs.assess import _over_budget
        from graphs.response_schema import EditRules

        payload = item["payload"]
        name = payload["action"]["name"]
        rules = EditRules(
            tuple(payload.get("contacts_allowed", [])),
            (lambda a: _over_budget(self.policy, self.context, item["thread_id"], a))
            if name == "spend_ads"
            else None,
        )
        refused = rules.refusal(name, payload["action"]["args"], args)
        if refused:
            raise InvalidDecision(refused)

    def apply(
        self, thread_id: str, *, on_progress: Progress | None = None, leased: str | None = None
    ) -> list[str]:
        """Apply every recorded, unapplied decision of one thread in one resume, under its lease.
        `leased`: the owner of the lease the caller took ahead (`take_within`), handed over."""
        # its recorded decisions and its inbox rows (the run's start needs them, and the
        # audience batches among them): one round trip on PostgreSQL, with the lease
        reads = apply_reads(thread_id)
        with self.store.lease_reading(thread_id, reads, owner=leased) as (undecided, rows):
            todo = decision_rows(undecided)
            if not todo:
                return []
            index = indexed_of(rows)
            batches = index.batches
            # read once: the run starts from this read (graphs/runtime/handoff.py)
            saved = self.checkpointer.get_tuple(self._config(thread_id))
            live = pending_ids(saved)
            resume, applied = self._resumes(thread_id, todo, live, batches)
            if resume:
                # marked applied (and audited) with the sync that ends the run, once it went
                # through; a run that fails leaves them unapplied for `recover()`
                # the recorded decisions go along, so the gate and the hold need not read them
                # back (graphs/record.py `settle`): exactly the rows this resume applies
                recorded = {
                    d["interrupt_id"]: d["decision"]
                    for d in todo
                    if d["interrupt_id"] in resume and resume[d["interrupt_id"]] == d["decision"]
                }
                self._run(
                    thread_id,
                    Command(resume=resume),
                    on_progress,
                    applied=applied,
                    recorded=recorded,
                    saved=saved,
                    index=index,
                )
            else:
                self._sync(thread_id)
            return applied if resume else []

    def _resumes(
        self,
        thread_id: str,
        todo: list[dict[str, Any]],
        live: set[str],
        batches: dict[str, str] | None = None,
    ) -> tuple[dict[str, Any], list[str]]:
        """The resume value of each live interrupt with a recorded decision, and the ids of the
        decisions it applies; decisions whose interrupt is gone are marked applied (an audience
        batch's: graphs/runtime/batches.py, with `batches` the thread's indexed batches when
        the caller read them)."""
        stale = [d["interrupt_id"] for d in todo if d["interrupt_id"] not in live]
        if stale:  # applied before a crash, or the thread moved on: nothing left to resume
            log.info("decisions %s no longer have a pending interrupt; marking applied", stale)
            self.store.mark_applied(stale)
        resume = {d["interrupt_id"]: d["decision"] for d in todo if d["interrupt_id"] in live}
        return resume, list(resume)

    def authorize(self, by: str, permission: str, what: str) -> str:
        """Check a permission of the policy's authority (NotAllowed, audited); the recorded name."""
        self.approvals.require(by, permission, what)
        return self.approvals.who(by)

    def identity(self, by: str) -> dict[str, Any]:
        """Who `by` is to the policy: recorded name, roles, and whether Signoff runs single-user."""
        auth = self.policy.authority
        return {
            "name": auth.canonical(by),
            "roles": sorted(auth.roles(by) - {"*"}) if not auth.open else ["every role"],
            "known": auth.open or auth.person(by) is not None,
            "local": auth.open,
        }

    def summary(self, thread_id: str) -> dict[str, Any]:
        # the campaign, its pending rows and their approvals so far: one round trip, or none
        # when its run just read them (`summaries_after_runs`)
        ahead = self._summaries_wanted()
        read = ahead.pop(thread_id, None) if ahead is not None else None
        campaign, rows, endorsed = (
            summary_of(read) if read is not None else self.store.summary_reads(thread_id)
        )
        if campaign is None:
            raise NotFound(f"No campaign {thread_id!r}. list campaigns with `signoff campaigns`.")
        return {
            "thread_id": thread_id,
            "status": campaign["status"],
            "pending": self._pending_of(rows, None, endorsed),
        }
