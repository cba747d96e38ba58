"""An audience's contacts on the Scheduled page: each one can be taken out of the audience's
hold while the rest stays scheduled ("don't send to Priya, she unsubscribed by phone").

The list is read only when the person opens it (a toggle on the audience's card), a page of
PAGE_SIZE at a time with a search by name or email. A click only queues the request (a widget
callback); the page body applies it through the facade (`Signoff.cancel_contact`), which takes
the contact out exactly once, or says it is too late (the hold was released, sent or cancelled).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from graphs.batch_holds import TooLate
from graphs.errors import AlreadyDecided, InvalidInput
from ui.clicks import queue
from ui.state import clock, count, flash, plain, reviewer

PAGE_SIZE = 50  # contacts listed at once (an audience may be thousands): search for the rest


def _queue_take_out(contact: dict[str, Any]) -> None:
    queue(
        "hold-queue",
        {
            "id": contact["id"],
            "title": contact["name"] or contact["email"],
            "verb": "take_out",
            "by": reviewer(),
        },
    )


def take_out(runtime: Any, q: dict[str, Any]) -> None:
    """Apply one queued Take out; what happened goes to the next run's messages."""
    name = q["title"]
    try:
        done = runtime.cancel_contact(q["id"], by=q["by"])
    except TooLate as err:
        flash("warning", too_late(err, name))
        return
    except AlreadyDecided as err:
        flash(
            "warning",
            f"{name} was already taken out by {err.by} at {clock(err.at)}. Nothing was changed.",
        )
        return
    if done["audience_cancelled"]:
        flash(
            "success",
            f"Taken out — {name} was the last contact still scheduled, so the audience's email "
            "is cancelled: none of it goes out.",
        )
        return
    flash(
        "success",
        f"Taken out — {name}'s email will not go out. The other "
        f"{count(int(done['left']), 'contact')} stay scheduled for {clock(done['release_at'])}.",
    )


def too_late(err: TooLate, name: str) -> str:
    """'Too late to take Priya out: the scheduler released the audience at 14:05:09 UTC; …'"""
    who = "the scheduler" if err.by == "scheduler" else err.by
    at = clock(err.at)
    if err.decision == "cancel":
        what = f"{who} cancelled the whole audience at {at}: none of its emails goes out"
    elif err.decision == "send_now":
        what = f"{who} sent the whole audience now at {at}; {name}'s email went out with the rest"
    else:
        what = (
            f"{who} released the audience at {at}; {name}'s email went out (or is going out) "
            "with the rest"
        )
    return f"Too late to take {name} out: {what}. Nothing was changed."


def render_contacts(runtime: Any, hold: dict[str, Any]) -> None:
    """Inside an audience's card: who it goes to, each with Take out (read when opened)."""
    hold_id = hold["id"]
    taken = int(hold.get("taken_out") or 0)
    held = int(hold.get("batch_size") or 0) - taken
    label = f"Take someone out ({count(held, 'contact')} scheduled" + (
        f", {taken} taken out)" if taken else ")"
    )
    if not st.toggle(
        label,
        key=f"contacts-{hold_id}",
        help="List the contacts: take one out and only their email stays unsent; the others "
        "go out as scheduled.",
    ):
        return
    search = st.text_input(
        "Find a contact",
        key=f"contacts-search-{hold_id}",
        placeholder="Name or email",
    )
    try:
        listed = runtime.hold_contacts(hold_id, search=search, limit=PAGE_SIZE)
    except InvalidInput:  # held in LangGraph's server: its contacts are listed there
        st.info(
            "This audience is scheduled from LangGraph Studio or Agent Inbox: see its contacts "
            "and take someone out there."
        )
        return
    for contact in listed["contacts"]:
        name = contact["name"] or contact["email"]
        row, button = st.columns([4, 1], vertical_alignment="center")
        if contact["status"] == "held":
            row.markdown(f"**{plain(name)}** · {plain(contact['email'])}")
            button.button(
                "Take out",
                key=f"take-out-{contact['id']}",
                icon=":material/person_remove:",
                on_click=_queue_take_out,
                args=(contact,),
                help=f"{name}'s email will not go out; the others stay scheduled. Recorded in "
                "the audit log.",
            )
        else:
            row.markdown(f"~~{plain(name)}~~ · {plain(contact['email'])}")
            why = f": {plain(contact['reason'])}" if contact.get("reason") else ""
            row.caption(
                f":material/person_remove: Taken out by {plain(contact['by'])} at "
                f"{clock(contact['at'])}{why}"
            )
    shown = len(listed["contacts"])
    if not shown:
        st.caption("No contact matches.")
    elif listed["matching"] > shown:
        st.caption(
            f"Showing {shown} of {listed['matching']:,}: type a name or an email to find "
            "someone else."
        )
