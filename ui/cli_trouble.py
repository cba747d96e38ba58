"""Sends that went wrong: `signoff in-doubt`, `settle` and `failed`."""

from __future__ import annotations

import argparse
from pathlib import Path

from graphs.humanize import clip
from ui.cli_common import (
    EXIT_OK,
    AddParser,
    _by,
    _done,
    _emit,
    _json_flag,
    _open,
    _outbox_key,
    _who,
)
from ui.cli_format import _clock, _headline, _table

SETTLE_CHOICES = ("mark_sent", "send_again")


def add_parsers(add: AddParser) -> None:
    """`signoff in-doubt`, `settle` and `failed`."""
    p = add(
        "in-doubt",
        "sends that may or may not have gone out (a crash mid-send); settle each one",
    )
    _json_flag(p)
    p = add(
        "settle",
        "settle an in-doubt send: mark_sent (it did go out) or send_again",
    )
    p.add_argument("key", metavar="KEY", help="the in-doubt item's key (from `signoff in-doubt`)")
    p.add_argument("choice", choices=SETTLE_CHOICES, help="what to do with it")
    _by(p)
    _json_flag(p)
    p = add("failed", "actions whose connector failed; --retry KEY tries one again")
    p.add_argument("--retry", metavar="KEY", help="try this failed action again")
    _by(p)
    _json_flag(p)


def cmd_in_doubt(args: argparse.Namespace, home: Path) -> int:
    with _open(home) as s:
        rows = s.in_doubt()
    if args.json:
        _emit(rows)
        return EXIT_OK
    if not rows:
        print("Nothing is in doubt: every send is known to have gone out or not.")
        return EXIT_OK
    print(
        "These sends were under way when the process stopped; the channel cannot tell whether "
        "they went out. Check (e.g. the sent folder), then settle each one:\n"
    )
    header = ["KEY", "CAMPAIGN", "ACTION", "WHEN", "WHAT", "ERROR"]
    table = [
        [
            r["key"],
            str(r["thread_id"])[:8],
            r["action"],
            _clock(r["at"]),
            clip(r.get("title") or _headline(r), 40),
            clip(r.get("error") or "", 40),
        ]
        for r in rows
    ]
    print(_table(header, table))
    key = rows[0]["key"]
    print(f"\n  signoff settle {key} mark_sent    # it did go out: never send it again")
    print(f"  signoff settle {key} send_again   # it did not: send it once more")
    return EXIT_OK


def cmd_settle(args: argparse.Namespace, home: Path) -> int:
    with _open(home) as s:
        with _outbox_key("Run `signoff in-doubt` to list the keys of sends in doubt."):
            done = s.settle(args.key, args.choice, by=_who(args))
    words = {
        "mark_sent": "Marked as sent: it will not be sent again.",
        "send_again": "Sent again.",
    }
    return _done(args, done, f"{args.key}: {words[args.choice]}")


def cmd_failed(args: argparse.Namespace, home: Path) -> int:
    with _open(home) as s:
        if args.retry:
            with _outbox_key("Run `signoff failed` (no --retry) to list the failed keys."):
                done = s.retry_action(args.retry, by=_who(args))
            return _done(args, done, f"Tried {args.retry} again as {_who(args)}.")
        rows = s.failed()
    if args.json:
        _emit(rows)
        return EXIT_OK
    if not rows:
        print("No failed actions.")
        return EXIT_OK
    header = ["KEY", "CAMPAIGN", "ACTION", "WHEN", "RETRY?", "ERROR"]
    table = [
        [
            r["key"],
            str(r["thread_id"])[:8],
            r["action"],
            _clock(r["at"]),
            "yes" if r.get("retryable") else "no",
            clip(r.get("error") or "", 60),
        ]
        for r in rows
    ]
    print(_table(header, table))
    retryable = [r for r in rows if r.get("retryable")]
    if retryable:
        print(f"\nTry one again with: signoff failed --retry {retryable[0]['key']}")
    return EXIT_OK
