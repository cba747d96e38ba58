"""One contact taken out of an audience's hold, while the rest stays held.

An audience approved as one waits out ONE hold (graphs/batch.py `batch_hold`). A person can
take one contact out of it ("don't send to Priya, she unsubscribed by phone") without touching
the others. Exactly once, on both databases:

- a contact's cancel is a row of `decisions` keyed `<hold interrupt id>-<n>` (first wins: a
  second cancel of the same contact is told who took it out and when); it is written in ONE
  write transaction with a check that the hold itself has no decision yet (every `tx()` holds
  the one write lock, SQLite's BEGIN IMMEDIATE or PostgreSQL's advisory lock, so the check and
  the insert cannot interleave with the scheduler's release or a person's cancel / send now);
- so either the contact's cancel commits first, and the hold's decision, recorded after it, is
  applied with it (the resume carries `members`: {"email-<n>": {"type": "cancel", …}}, and the
  publisher skips that contact); or the hold's decision commits first, and the contact's cancel
  is refused with what happened (released by the scheduler at T, sent now by X, cancelled by X);
- the row is written applied (`applied_at` set): it is never a resume of its own, it goes with
  the hold's decision whenever that one is applied (again after a crash: it is read each time);
- taking out the last contact still held cancels the audience's hold in the same transaction
  (a hold decision `cancel`, recorded by the same person, with its own audit entry);
- every cancel is audited (`hold.contact_cancelled`: who, which contact, when, why).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from graphs.errors import AlreadyDecided, NotFound
from graphs.humanize import duration

log = logging.getLogger(__name__)

CONTACT_CANCELLED = "hold.contact_cancelled"
LAST_ONE = "Every contact of the audience was taken out one by one."


class TooLate(AlreadyDecided):
    """A contact's cancel after its audience's hold was released, sent now or cancelled: what
    happened, in words (an AlreadyDecided, so every caller that handles one handles this)."""

    def __init__(self, ref: str, by: str, at: str, decision: str, message: str) -> None:
        super().__init__(ref, by, at, decision)
        Exception.__init__(self, message)


def contact_ref(hold_id: str, action_id: str) -> str:
    """The id of one contact in a held audience: `<hold interrupt id>-<n>` (for email-<n>)."""
    return f"{hold_id}-{action_id.rpartition('-')[2]}"


def contact_label(contact: Mapping[str, Any] | None, n: int) -> str:
    """'Priya Shah <priya@example.com>' or 'contact 3'."""
    if not contact:
        return f"contact {n}"
    name = str(contact.get("name") or contact.get("first_name") or "").strip()
    email = str(contact.get("email") or "")
    return f"{name} <{email}>" if name else email or f"contact {n}"


def too_late(ref: str, label: str, hold: Mapping[str, Any]) -> TooLate:
    """The refusal of a contact's cancel once the hold has a decision (`hold`: its row)."""
    kind = hold["decision"]["type"]
    by = "the scheduler" if hold["by"] == "scheduler" else str(hold["by"])
    at = str(hold["at"])
    if kind == "cancel":
        what = (
            f"the whole audience's hold was cancelled by {by} at {at}: none of its emails goes "
            f"out, {label}'s included"
        )
    elif kind == "send_now":
        what = f"{by} sent the whole audience now at {at}: {label}'s email went out with the rest"
    else:
        what = (
            f"the audience's hold was released by {by} at {at}: its emails, {label}'s "
            "included, went out or are going out now"
        )
    return TooLate(
        ref,
        str(hold["by"]),
        at,
        kind,
        f"Too late to take {label} out: {what}. Nothing was changed.",
    )


def cancelled_contacts(store: Any, thread_id: str, hold_id: str) -> dict[str, dict[str, Any]]:
    """The contacts taken out of a hold: action id (email-<n>) → {type: cancel, reason, by, at}."""
    rows = store.query(
        "SELECT action_id, decision, decided_by, decided_at FROM decisions "
        "WHERE thread_id = ? AND interrupt_id LIKE ?",
        (thread_id, f"{hold_id}-%"),
    )
    return {
        str(r["action_id"]): {
            **json.loads(r["decision"]),
            "by": str(r["decided_by"]),
            "at": str(r["decided_at"]),
        }
        for r in rows
    }


def record_contact_cancel(
    store: Any,
    *,
    hold_id: str,
    thread_id: str,
    action_id: str,
    label: str,
    reason: str,
    by: str,
    going: int,
    action_name: str = "send_email",
    template_id: str = "email-batch",
    release_at: float | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """Take one contact out of a hold (see the module docstring), in one write transaction.

    `going`: how many contacts the hold held when it was raised. Returns {"ref", "left" (still
    held after this one), "audience_cancelled" (this was the last one)}. Raises TooLate when the
    hold has a decision already, AlreadyDecided when this contact was taken out already."""
    from graphs.store import now_iso

    ref = contact_ref(hold_id, action_id)
    n = int(action_id.rpartition("-")[2])
    with store.tx() as c:
        hold = c.execute("SELECT * FROM decisions WHERE interrupt_id = ?", (hold_id,)).fetchone()
        if hold is not None:
            raise too_late(
                ref,
                label,
                {
                    "decision": json.loads(hold["decision"]),
                    "by": hold["decided_by"],
                    "at": hold["decided_at"],
                },
            )
        mine = c.execute("SELECT * FROM decisions WHERE interrupt_id = ?", (ref,)).fetchone()
        if mine is not None:
            raise AlreadyDecided(ref, str(mine["decided_by"]), str(mine["decided_at"]), "cancel")
        taken = c.execute(
            "SELECT COUNT(*) AS n FROM decisions WHERE thread_id = ? AND interrupt_id LIKE ?",
            (thread_id, f"{hold_id}-%"),
        ).fetchone()["n"]
        left = max(0, going - int(taken) - 1)
        at = now_iso()
        decision = {"type": "cancel", "reason": reason}
        c.execute(
            "INSERT INTO decisions VALUES (?, ?, ?, ?, ?, ?, ?)",
            (ref, thread_id, action_id, json.dumps(decision), by, at, at),
        )
        detail: dict[str, Any] = {
            "interrupt_id": hold_id,
            "contact": n,
            "action_id": action_id,
            "to": label,
            "reason": reason,
            "left": left,
        }
        if release_at is not None and now is not None:
            detail["before_release"] = duration(max(0.0, release_at - now))
        store._append_audit(c, CONTACT_CANCELLED, detail, thread_id=thread_id, actor=by)
        if left == 0:  # the last one: the hold itself is cancelled, by the same person
            whole = {"type": "cancel", "reason": LAST_ONE}
            c.execute(
                "INSERT INTO decisions VALUES (?, ?, ?, ?, ?, ?, NULL)",
                (hold_id, thread_id, template_id, json.dumps(whole), by, at),
            )
            store._append_audit(
                c,
                "hold.cancel",
                {
                    "interrupt_id": hold_id,
                    "action_id": template_id,
                    "action": action_name,
                    "decision": whole,
                    "because": f"{label} was the last contact still held",
                },
                thread_id=thread_id,
                actor=by,
            )
    log.info("took %s out of hold %s (%d left)", action_id, hold_id, left)
    return {"ref": ref, "left": left, "audience_cancelled": left == 0}


def note_cancels(
    store: Any,
    hold_id: str,
    thread_id: str,
    cancels: Mapping[str, Mapping[str, Any]],
    by: str,
    dialect: str,
) -> None:
    """The contacts' cancels a hold's resume carried, recorded where the runtime did not record
    them first (another driver: `langgraph dev`, Studio, langgraph_sdk): one row and one audit
    entry each, once (the graph re-runs a node on every resume)."""
    from graphs.store import now_iso

    if not cancels:
        return
    known = cancelled_contacts(store, thread_id, hold_id)
    new = {a: d for a, d in cancels.items() if a not in known}
    if not new:
        return
    at = now_iso()
    with store.tx() as c:
        for action_id, d in new.items():
            decision = {"type": "cancel", "reason": str(d.get("reason") or "")}
            added = c.execute(
                "INSERT OR IGNORE INTO decisions VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    contact_ref(hold_id, action_id),
                    thread_id,
                    action_id,
                    json.dumps(decision),
                    by,
                    at,
                    at,
                ),
            ).rowcount
            if added:
                store._append_audit(
                    c,
                    CONTACT_CANCELLED,
                    {
                        "interrupt_id": hold_id,
                        "contact": int(action_id.rpartition("-")[2]),
                        "action_id": action_id,
                        "reason": decision["reason"],
                        "dialect": dialect,
                        "recorded_by": "graph",
                    },
                    thread_id=thread_id,
                    actor=by,
                )


ASKED_AGAIN = "hold.asked_again"


def supersede(store: Any, thread_id: str, old_id: str, new_id: str) -> bool:
    """The audience's hold asked again under `new_id` after contacts were taken out alone under
    `old_id` (another driver: `langgraph dev`, Studio, Agent Inbox's `take_out`): the hold that
    asked before is no interrupt any more. In ONE transaction, once: its row leaves the inbox
    index (else `signoff holds` and the Scheduled page show a second hold of the same audience,
    which nobody can decide), the contacts' cancels move to the hold that asks now (so its
    contacts show who was taken out, and a later take-out sees them), and an audit entry
    (`hold.asked_again`) ties the old id, named by the `hold.contact_cancelled` entries, to the
    new one. False when there was nothing to move (the node re-ran)."""
    with store.tx() as c:
        gone = c.execute(
            "DELETE FROM inbox WHERE interrupt_id = ? AND thread_id = ? AND kind = 'hold'",
            (old_id, thread_id),
        ).rowcount
        if not gone:
            return False
        rows = c.execute(
            "SELECT interrupt_id FROM decisions WHERE thread_id = ? AND interrupt_id LIKE ?",
            (thread_id, f"{old_id}-%"),
        ).fetchall()
        for row in rows:
            old_ref = str(row["interrupt_id"])
            c.execute(
                "UPDATE decisions SET interrupt_id = ? WHERE interrupt_id = ?",
                (f"{new_id}-{old_ref.rpartition('-')[2]}", old_ref),
            )
        store._append_audit(
            c,
            ASKED_AGAIN,
            {"interrupt_id": new_id, "replaces": old_id, "taken_out": len(rows)},
            thread_id=thread_id,
            actor="graph",
        )
    log.info("hold %s asks again as %s (%d contacts taken out)", old_id, new_id, len(rows))
    return True


def fold(decision: dict[str, Any], cancels: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A hold's resume value with its contacts' cancels (`members`), as the batch hold takes it."""
    if not cancels:
        return decision
    return {
        **decision,
        "members": {
            a: {"type": "cancel", "reason": str(d.get("reason") or "")} for a, d in cancels.items()
        },
    }


def held(
    audience: Sequence[Mapping[str, Any]], decision: Mapping[str, Any]
) -> list[tuple[int, Mapping[str, Any]]]:
    """(n, contact) of each contact the audience's approval sends (its own reject left out)."""
    from graphs.batch import decision_for, member_id

    return [
        (n, contact)
        for n, contact in enumerate(audience, start=1)
        if decision_for(decision, member_id(n)).get("type") in ("approve", "edit")
    ]


def not_found(ref: str) -> NotFound:
    return NotFound(
        f"{ref} is no contact of an audience waiting in its hold. Run `signoff holds` to list "
        "what is held (an audience's contacts: `signoff holds --contacts HOLD_ID`)."
    )
