"""A held audience's contacts: list them a page at a time, take one out of the hold (the
rest stays held), and say in words why a contact's id names no held contact."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from graphs.batch import TEMPLATE_ID, decision_for, member_id, member_number
from graphs.batch_holds import (
    cancelled_contacts,
    contact_label,
    contact_ref,
    held,
    not_found,
    record_contact_cancel,
    too_late,
)
from graphs.decisions import validate_decision
from graphs.errors import InvalidInput, NotFound
from graphs.record import DRIVER as REMOTE_DRIVER
from graphs.runtime.batches import contact_hold, split_member
from graphs.runtime.reviews import Reviews
from graphs.runtime.stored import last_checkpoint, stored_values, waiting_branches

# the decisions that end a hold (a contact's id after one of them is too late)
HOLD_DECISIONS = frozenset({"cancel", "send_now", "release"})


class HeldContacts(Reviews):
    """The contacts of an audience waiting in its hold (graphs/batch_holds.py)."""

    def names_contact(self, ref: str) -> bool:
        """Does `ref` name one contact of an audience (`<interrupt id>-<n>`) that no longer waits
        for its review: what `cancel` takes out of the audience's hold on its own?"""
        split = split_member(ref)
        if split is None or self.store.inbox_item(ref) is not None:
            return False
        head = self.store.inbox_item(split[0])  # `<hold id>-<n>`
        if head is not None:
            return bool(head["kind"] == "hold" and head["action_id"] == TEMPLATE_ID)
        whole = self.store.decision(split[0])  # `<batch review id>-<n>`, or a decided hold's
        return whole is not None and whole["action_id"] == TEMPLATE_ID

    def cancel_contact(self, ref: str, *, by: str = "marketer", reason: str = "") -> dict[str, Any]:
        """Take one contact out of a held audience; the rest stays held (graphs/batch_holds.py).

        Refused with what happened (TooLate) once the hold was released, sent now or cancelled;
        AlreadyDecided when the contact was taken out already. Taking out the last contact
        still held cancels the audience's hold. Returns the campaign's summary with `contact`
        (number, name, email), `hold` (its id), `left` (still held) and `audience_cancelled`."""
        valid = validate_decision(
            "send_email", {}, {"type": "cancel", "reason": reason}, ["cancel"]
        )
        found = contact_hold(self.store, ref)
        if found is None:
            raise self._contact_gone(ref)
        hold = found["hold"]
        hold_id, thread_id = str(hold["interrupt_id"]), str(hold["thread_id"])
        if hold["payload"].get("driver") == REMOTE_DRIVER:
            raise InvalidInput(
                "This audience waits in LangGraph's server (Studio, Agent Inbox), which runs its "
                "campaign: take contacts out there, with the hold's release or send now "
                "({'type': 'send_now', 'members': {'email-3': {'type': 'cancel'}}}). Nothing was "
                "saved."
            )
        action_id = str(found["action_id"])
        n = int(found["contact"])
        audience, decision = self._held_state(thread_id)
        contact = audience[n - 1] if n <= len(audience) else None
        if contact is None:
            raise NotFound(
                f"{ref}: the audience has {len(audience)} contacts, no contact {n}. Run "
                f"`signoff holds --contacts {hold_id}` to list them."
            )
        label = contact_label(contact, n)
        own = found["own"] or {}
        if own.get("type") in ("reject", "revise") or decision_for(decision, action_id).get(
            "type"
        ) not in ("approve", "edit"):
            raise InvalidInput(
                f"{ref} ({label}, contact {n}) was rejected on its own: it is not in the "
                "audience's hold and will not go out. To cancel or send the rest of the "
                f"audience, use its hold: {hold_id}."
            )
        self.approvals.require(
            by,
            "cancel",
            "take a contact out of a held audience",
            thread_id=thread_id,
            interrupt_id=hold_id,
        )
        who = self.approvals.who(by)
        result = record_contact_cancel(
            self.store,
            hold_id=hold_id,
            thread_id=thread_id,
            action_id=action_id,
            label=label,
            reason=str(valid.get("reason") or ""),
            by=who,
            going=int(hold["payload"].get("batch_size") or len(audience)),
            action_name=str(hold["payload"]["action"]["name"]),
            release_at=float(hold["payload"]["release_at"]),
            now=self.clock(),
        )
        job = self._carry_on(thread_id) if result["audience_cancelled"] else None
        return {
            **self.summary(thread_id),
            **result,
            "hold": hold_id,
            "release_at": hold["payload"]["release_at"],
            "contact": {
                "number": n,
                "name": str(contact.get("name") or ""),
                "email": str(contact.get("email") or ""),
                "label": label,
            },
            **({"job": job} if job is not None else {}),
        }

    def hold_contacts(
        self,
        hold_id: str,
        *,
        search: str = "",
        offset: int = 0,
        limit: int = 50,
        held_state: Callable[[str], tuple[list[dict[str, Any]], dict[str, Any]]] | None = None,
    ) -> dict[str, Any]:
        """The contacts of a held audience (an audience's hold id, or one contact's id), each
        held or taken out (by whom, when, why), a page at a time; `search` matches name or
        email. {"hold", "thread_id", "total", "held", "taken_out", "matching", "contacts"}.

        An audience held in LangGraph's server lives in that server's checkpoints: `held_state`
        (thread id → (audience, batch decision), graphs/server_watch.py `server_held_state`)
        reads it there; without it such a hold is refused in words (InvalidInput)."""
        found = contact_hold(self.store, hold_id)
        hold = found["hold"] if found else self.store.inbox_item(hold_id)
        if hold is None or hold["kind"] != "hold" or hold["action_id"] != TEMPLATE_ID:
            raise NotFound(
                f"{hold_id} is not an audience waiting in its hold. Run `signoff holds`: an "
                "audience's hold shows its number of contacts."
            )
        real_id, thread_id = str(hold["interrupt_id"]), str(hold["thread_id"])
        if held_state is None and hold["payload"].get("driver") == REMOTE_DRIVER:
            raise InvalidInput(
                f"The audience of hold {real_id} waits in LangGraph's server (Studio, Agent "
                "Inbox): its contacts are in that server's checkpoints, not in this data "
                f"directory. List them from the server: `signoff holds --contacts {real_id} "
                "--langgraph-url URL` (the server's address, e.g. http://127.0.0.1:2024)."
            )
        audience, decision = (held_state or self._held_state)(thread_id)
        cancels = cancelled_contacts(self.store, thread_id, real_id)
        going = held(audience, decision)
        taken = sum(1 for n, _ in going if member_id(n) in cancels)
        needle = search.strip().lower()
        matching = (
            [
                (n, contact)
                for n, contact in going
                if needle in f"{contact.get('name') or ''} {contact.get('email') or ''}".lower()
            ]
            if needle
            else going
        )
        rows = []  # only the page's contacts are put in words
        for n, contact in matching[max(0, offset) : max(0, offset) + max(1, limit)]:
            action_id = member_id(n)
            c = cancels.get(action_id)
            rows.append(
                {
                    "id": contact_ref(real_id, action_id),
                    "number": n,
                    "name": str(contact.get("name") or ""),
                    "email": str(contact.get("email") or ""),
                    "status": "taken_out" if c else "held",
                    "by": c["by"] if c else None,
                    "at": c["at"] if c else None,
                    "reason": c.get("reason") if c else None,
                }
            )
        return {
            "hold": real_id,
            "thread_id": thread_id,
            "release_at": hold["payload"]["release_at"],
            "total": len(going),
            "held": len(going) - taken,
            "taken_out": taken,
            "matching": len(matching),
            "contacts": rows,
        }

    def _held_state(self, thread_id: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The audience and its batch's decision (with the contacts' own), read from the stored
        checkpoints (graphs/runtime/stored.py), not `graph.get_state`: the Scheduled page lists
        an audience's contacts without building the graph."""
        saved = last_checkpoint(self.checkpointer, thread_id)
        values = stored_values(self.checkpointer, self.store, thread_id, saved)
        audience = list(values.get("audience") or [])
        decision: dict[str, Any] = {}
        for node, branch in waiting_branches(self.checkpointer, thread_id, saved):
            if node == "batch" and branch.get("decision"):
                decision = dict(branch["decision"])
        return audience, decision

    def _contact_gone(self, ref: str) -> Exception:
        """Why a contact's id names no contact of a waiting hold: the hold was released, sent
        now or cancelled (TooLate, in words), or the id is unknown (NotFound)."""
        split = split_member(ref)
        head = self.store.decision(split[0]) if split else None
        if split is None or head is None:
            return not_found(ref)
        rows = self.store.query(
            "SELECT decision, decided_by, decided_at FROM decisions WHERE thread_id = ? AND "
            "action_id = ? ORDER BY decided_at DESC",
            (head["thread_id"], TEMPLATE_ID),
        )
        for r in rows:
            decision = json.loads(r["decision"])
            if decision.get("type") in HOLD_DECISIONS:
                n = member_number(split[1]) or 0
                values = stored_values(self.checkpointer, self.store, str(head["thread_id"]))
                audience = values.get("audience") or []
                label = contact_label(audience[n - 1] if 0 < n <= len(audience) else None, n)
                return too_late(
                    ref,
                    label,
                    {"decision": decision, "by": r["decided_by"], "at": r["decided_at"]},
                )
        return not_found(ref)
