"""`signoff holds`, `cancel` and `send-now`: approved actions waiting out their hold window."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from graphs.errors import InvalidInput
from graphs.humanize import clip, duration
from ui.cli_common import EXIT_OK, AddParser, _await, _by, _emit, _json_flag, _open, _who
from ui.cli_format import _clock, _headline, _outcome_detail, _table


def add_parsers(add: AddParser) -> None:
    """`signoff holds`, `cancel` and `send-now`."""
    p = add("holds", "approved actions waiting out their hold window, with time left")
    p.add_argument(
        "--contacts",
        metavar="HOLD_ID",
        default=None,
        help="list the contacts of a held audience (held or taken out), with the id that "
        "takes one out (`signoff cancel ID`)",
    )
    p.add_argument("--search", default="", help="with --contacts: only names/emails with this")
    p.add_argument("--page", type=int, default=1, help="with --contacts: the page (100 a page)")
    p.add_argument(
        "--langgraph-url",
        metavar="URL",
        default=None,
        help="with --contacts: read the audience from LangGraph's server at URL (langgraph dev, "
        "a deployment) when it runs the campaign",
    )
    _json_flag(p)
    for name, what in (
        (
            "cancel",
            "cancel a held action: it will not go out. With one contact's id of a held audience, "
            "only that contact is taken out (the rest stays held)",
        ),
        ("send-now", "send a held action now instead of at its release time"),
    ):
        p = add(name, what)
        p.add_argument(
            "hold_id",
            metavar="ID",
            help="the hold's id (from `signoff holds`), or the id of the review that approved it"
            + (
                "; one contact's id (`<batch>-<n>` from the inbox, or from `signoff holds "
                "--contacts`) takes only that contact out"
                if name == "cancel"
                else ""
            ),
        )
        if name == "cancel":
            p.add_argument(
                "--whole-audience",
                action="store_true",
                help="with one contact's id: cancel the whole audience's hold (none goes out)",
            )
            p.add_argument("--reason", default="", help="why (kept in the audit log)")
        _by(p)
        _json_flag(p)


CONTACTS_PAGE = 100


def _contacts(args: argparse.Namespace, home: Path) -> int:
    """`signoff holds --contacts HOLD_ID`: a held audience's contacts, a page at a time."""
    page = max(1, int(args.page))
    held_state = None
    if args.langgraph_url:  # an audience held in LangGraph's server: its state is there
        import httpx
        from langgraph_sdk import get_sync_client

        from graphs.server_watch import server_held_state

        client = get_sync_client(url=args.langgraph_url.rstrip("/"))

        def held_state(thread_id: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
            try:
                return server_held_state(client, thread_id)
            except httpx.HTTPError as exc:
                raise InvalidInput(
                    f"Could not read campaign {thread_id[:8]} from LangGraph's server at "
                    f"{args.langgraph_url}: {exc}. Check that the server runs there (`langgraph "
                    "dev`) and that it runs this campaign. Nothing was changed."
                ) from None

    with _open(home) as s:
        listed = s.hold_contacts(
            args.contacts,
            search=args.search,
            offset=(page - 1) * CONTACTS_PAGE,
            limit=CONTACTS_PAGE,
            held_state=held_state,
        )
    if args.json:
        _emit(listed)
        return EXIT_OK
    rows = [
        [
            c["id"],
            c["name"],
            c["email"],
            "held" if c["status"] == "held" else f"taken out by {c['by']} at {c['at']}",
        ]
        for c in listed["contacts"]
    ]
    print(_table(["ID", "NAME", "EMAIL", "STATUS"], rows) if rows else "No contact matches.")
    print(
        f"\n{listed['held']:,} of {listed['total']:,} contacts held, {listed['taken_out']:,} "
        f"taken out; they go out at {_clock(listed['release_at'])}. `signoff cancel ID` takes "
        f"one out; `signoff cancel {listed['hold']}` cancels the whole audience."
    )
    return EXIT_OK


def cmd_holds(args: argparse.Namespace, home: Path) -> int:
    if getattr(args, "contacts", None):
        return _contacts(args, home)
    with _open(home) as s:
        holds = s.holds()
    if args.json:
        _emit(holds)
        return EXIT_OK
    if not holds:
        print("Nothing is held: approved actions with a hold window wait here until release.")
        return EXIT_OK
    header = ["ID", "CAMPAIGN", "ACTION", "RELEASES", "LEFT", "APPROVED BY", "WHAT"]
    rows = [
        [
            h["id"],
            h["thread_id"][:8],
            h["action"] + _audience(h),
            _clock(h["release_at"]),
            duration(h["seconds_left"]),
            h.get("approved_by") or "",
            clip(_headline(h), 48),
        ]
        for h in holds
    ]
    print(_table(header, rows))
    print(
        f"\n{len(holds)} held. `signoff cancel ID` stops one; `signoff send-now ID` sends it now; "
        "`signoff worker` (or the app) releases them on time."
    )
    return EXIT_OK


def _audience(hold: dict[str, Any]) -> str:
    """' × 6 (1 taken out)' for an audience's hold."""
    if not hold.get("batch_size"):
        return ""
    out = hold.get("taken_out") or 0
    return f" × {hold['batch_size'] - out:,}" + (f" ({out:,} taken out)" if out else "")


def _cancel_contact(args: argparse.Namespace, home: Path) -> int:
    """`signoff cancel <batch>-<n>`: one contact out of a held audience; the rest stays held."""
    with _open(home) as s:
        done = _await(s, s.cancel_contact(args.hold_id, by=_who(args), reason=args.reason), args)
    result = {**done, "cancel_contact": args.hold_id, "by": _who(args)}
    if args.json:
        _emit(result)
        return EXIT_OK
    label = done["contact"]["label"]
    print(
        f"Took {label} (contact {done['contact']['number']}) out of the held audience, as "
        f"{_who(args)}: their email will not go out."
    )
    if done["audience_cancelled"]:
        print(
            "They were the last contact still held: the audience's hold is cancelled too, none "
            "of its emails goes out."
        )
    else:
        print(
            f"The other {done['left']:,} stay held and go out at {_clock(done['release_at'])}. "
            f"To cancel the whole audience: `signoff cancel {done['hold']}`."
        )
    return EXIT_OK


def _hold_command(args: argparse.Namespace, home: Path, verb: str) -> int:
    whole = bool(getattr(args, "whole_audience", False))
    if verb == "cancel" and not whole:
        with _open(home) as s:
            one = s.names_contact(args.hold_id)
        if one:
            return _cancel_contact(args, home)
    with _open(home) as s:
        hold_id = s.resolve_hold(args.hold_id)
        note = s.hold_note(args.hold_id, verb) if verb != "cancel" else None  # send now: all
        hold = next((h for h in s.holds() if h["id"] == hold_id), None)
        if verb == "cancel":
            reason = getattr(args, "reason", "")
            summary = _await(s, s.cancel(hold_id, by=_who(args), reason=reason), args)
        else:
            summary = _await(s, s.send_now(hold_id, by=_who(args)), args)
        outcomes: list[dict[str, Any]] = []
        if hold is not None:
            campaign = s.campaign(hold["thread_id"])
            outcomes = [o for o in campaign["outcomes"] if o["action_id"] == hold["action_id"]]
    result = {
        **(summary if isinstance(summary, dict) else {"result": summary}),
        "hold": hold,
        verb.replace("-", "_"): hold_id,
        "by": _who(args),
        "outcomes": outcomes,
        **({"note": note} if note else {}),
    }
    if args.json:
        _emit(result)
        return EXIT_OK
    name = (hold or {}).get("title") or (hold or {}).get("action") or "the held action"
    if note:
        print(note)
    if verb == "cancel" and hold is not None and hold.get("batch_size"):
        n = hold["batch_size"] - (hold.get("taken_out") or 0)
        print(
            f"Cancelled the whole audience's hold ({n:,} contacts' emails, hold {hold_id}) as "
            f"{_who(args)}: none of them goes out."
        )
    elif verb == "cancel":
        print(f"Cancelled {name} ({hold_id}) as {_who(args)}: it will not go out.")
    else:
        print(f"Sent {name} ({hold_id}) now, as {_who(args)}.")
    for o in outcomes:
        print(f"  {o['name']}: {o['status']}{_outcome_detail(o)}")
    return EXIT_OK


def cmd_cancel(args: argparse.Namespace, home: Path) -> int:
    return _hold_command(args, home, "cancel")


def cmd_send_now(args: argparse.Namespace, home: Path) -> int:
    return _hold_command(args, home, "send-now")
