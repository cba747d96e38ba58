"""`signoff holds`, `cancel` and `send-now`: approved actions waiting out their hold window."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from graphs.humanize import clip, duration
from ui.cli_common import EXIT_OK, AddParser, _await, _by, _emit, _json_flag, _open, _who
from ui.cli_format import _clock, _headline, _outcome_detail, _table


def add_parsers(add: AddParser) -> None:
    """`signoff holds`, `cancel` and `send-now`."""
    p = add("holds", "approved actions waiting out their hold window, with time left")
    _json_flag(p)
    for name, what in (
        ("cancel", "cancel a held action: it will not go out"),
        ("send-now", "send a held action now instead of at its release time"),
    ):
        p = add(name, what)
        p.add_argument(
            "hold_id",
            metavar="ID",
            help="the hold's id (from `signoff holds`), or the id of the review that approved it",
        )
        _by(p)
        _json_flag(p)


def cmd_holds(args: argparse.Namespace, home: Path) -> int:
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
            h["action"],
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


def _hold_command(args: argparse.Namespace, home: Path, verb: str) -> int:
    with _open(home) as s:
        hold_id = s.resolve_hold(args.hold_id)
        note = s.hold_note(args.hold_id, verb)  # one contact of an audience: its whole hold
        hold = next((h for h in s.holds() if h["id"] == hold_id), None)
        call = s.cancel if verb == "cancel" else s.send_now
        summary = _await(s, call(hold_id, by=_who(args)), args)
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
    if verb == "cancel":
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
