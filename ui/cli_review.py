"""After the fact: `signoff notifications`, `undo` and `audit`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from graphs.humanize import clip
from ui.cli_common import (
    EXIT_AUDIT_BROKEN,
    EXIT_NOT_FOUND,
    EXIT_OK,
    AddParser,
    CliError,
    _by,
    _campaign_id,
    _done,
    _emit,
    _json_flag,
    _open,
    _outbox_key,
    _positive_int,
    _who,
)
from ui.cli_format import _clock, _detail_text, _headline, _table


def add_parsers(add: AddParser) -> None:
    """`signoff notifications`, `undo` and `audit`."""
    p = add(
        "notifications",
        "actions that ran and told you afterwards; acknowledge or flag them",
        "List notifications (actions that ran on their own and told you). --ack marks one as "
        "seen; --flag says it should not have run: that action type's autonomy drops back at "
        "once.",
    )
    p.add_argument(
        "--status", choices=("open", "acknowledged", "flagged"), help="only these notifications"
    )
    one = p.add_mutually_exclusive_group()
    one.add_argument("--ack", type=int, metavar="ID", help="acknowledge notification ID")
    one.add_argument("--flag", type=int, metavar="ID", help="flag notification ID (needs --reason)")
    p.add_argument("--reason", metavar="TEXT", help="--flag: what was wrong")
    _by(p)
    _json_flag(p)

    p = add(
        "undo",
        "undo an executed reversible action (e.g. unpublish a post); without KEY: list them",
    )
    p.add_argument("key", nargs="?", metavar="KEY", help="the action's key (from `signoff undo`)")
    _by(p)
    _json_flag(p)

    p = add(
        "audit",
        "the audit log, newest first; --verify checks its hash chain, --csv exports it",
        "Show the audit log (newest first), filtered by campaign, event or actor. --verify "
        "checks the hash chain and exits 6 naming the first bad entry when it is broken. --csv "
        "FILE writes the whole log as CSV ('-' for stdout).",
    )
    p.add_argument("--verify", action="store_true", help="check the hash chain (exit 6 if broken)")
    p.add_argument("--csv", metavar="FILE", help="write the log as CSV to FILE ('-': stdout)")
    p.add_argument(
        "--thread",
        metavar="THREAD_ID",
        help="only this campaign (its id, or its first characters: the 8 shown in CAMPAIGN columns)",
    )
    p.add_argument("--event", metavar="EVENT", help="only this event, e.g. decision.recorded")
    p.add_argument("--actor", metavar="NAME", help="only entries by this person or process")
    p.add_argument(
        "--limit", type=_positive_int, default=50, metavar="N", help="at most N entries (50)"
    )
    _json_flag(p)


def cmd_notifications(args: argparse.Namespace, home: Path) -> int:
    if args.reason is not None and args.flag is None:
        raise CliError("--reason goes with --flag ID. Nothing was saved.")
    with _open(home) as s:
        if args.ack is not None:
            done = s.acknowledge(args.ack, by=_who(args))
            return _done(args, done, f"Acknowledged notification {args.ack} as {_who(args)}.")
        if args.flag is not None:
            reason = (args.reason or "").strip()
            if not reason:
                raise CliError(
                    "--flag needs --reason TEXT: say what was wrong (it is recorded, and that "
                    "action type goes back to needing approval). Nothing was saved."
                )
            done = s.flag(args.flag, by=_who(args), reason=reason)
            return _done(
                args,
                done,
                f"Flagged notification {args.flag} as {_who(args)}: {reason}. "
                "Its action type now waits for a person again (see `signoff autonomy`).",
            )
        rows = s.notifications(args.status)
    if args.json:
        _emit(rows)
        return EXIT_OK
    if not rows:
        print(
            "No notifications"
            + (f" with status {args.status}" if args.status else "")
            + ". Actions that run on their own and tell you afterwards are listed here."
        )
        return EXIT_OK
    header = ["ID", "STATUS", "WHEN", "ACTION", "CHANNEL", "CAMPAIGN", "MESSAGE"]
    table = [
        [
            str(n["id"]),
            n["status"] + (f" by {n['by']}" if n.get("by") else ""),
            _clock(n["created_at"]),
            n["action"],
            n["channel"],
            str(n.get("thread_id") or "")[:8],
            clip(n.get("message") or n.get("title") or "", 56),
        ]
        for n in rows
    ]
    print(_table(header, table))
    open_ = [n for n in rows if n["status"] == "open"]
    if open_:
        first = open_[0]["id"]
        print(
            f"\n{len(open_)} open. `signoff notifications --ack {first}` if it is fine; "
            f"`signoff notifications --flag {first} --reason '...'` if it should not have run."
        )
    return EXIT_OK


def cmd_undo(args: argparse.Namespace, home: Path) -> int:
    with _open(home) as s:
        if args.key:
            with _outbox_key("Run `signoff undo` (no key) to list the keys of what can be undone."):
                done = s.undo(args.key, by=_who(args))
            return _done(args, done, f"Undone {args.key} as {_who(args)}.")
        rows = s.undoable()
    if args.json:
        _emit(rows)
        return EXIT_OK
    if not rows:
        print(
            "Nothing to undo: executed actions the policy marks reversible (likes, follows, "
            "reposts, pages) show here."
        )
        return EXIT_OK
    header = ["KEY", "CAMPAIGN", "ACTION", "WHEN", "STATE", "WHAT"]
    table = [
        [
            r["key"],
            str(r["thread_id"])[:8],
            r["action"],
            _clock(r["at"]),
            "undone" if r.get("undone") else "live",
            clip(r.get("title") or _headline(r), 48),
        ]
        for r in rows
    ]
    print(_table(header, table))
    live = [r for r in rows if not r.get("undone")]
    if live:
        print(f"\nUndo one with: signoff undo {live[0]['key']}")
    return EXIT_OK


def cmd_audit(args: argparse.Namespace, home: Path) -> int:
    with _open(home) as s:
        if args.csv:
            if args.csv == "-":
                n = s.audit_csv(sys.stdout)
                sys.stdout.flush()
            else:
                dest = Path(args.csv).expanduser()
                if not dest.parent.is_dir():
                    raise CliError(
                        f"Cannot write {str(dest)!r}: the folder {str(dest.parent)!r} does not "
                        "exist.",
                        EXIT_NOT_FOUND,
                        "not_found",
                    )
                n = s.audit_csv(dest)
            where = "stdout" if args.csv == "-" else str(Path(args.csv).expanduser())
            print(f"wrote {n} audit entries to {where}", file=sys.stderr)
            if not args.verify:
                if args.json and args.csv != "-":
                    _emit({"rows": n, "path": where})
                return EXIT_OK
        if args.verify:
            check = s.audit_verify()
            if not check["ok"]:
                raise CliError(
                    f"The audit chain is broken at entry {check.get('first_bad')}: "
                    f"{check.get('problem') or 'its hash does not match'}. {check.get('checked', 0)} "
                    "entries were checked; entries from there on cannot be trusted.",
                    EXIT_AUDIT_BROKEN,
                    "audit_broken",
                    checked=check.get("checked"),
                    first_bad=check.get("first_bad"),
                    problem=check.get("problem"),
                )
            if args.json and args.csv != "-":
                _emit(check)
            elif args.csv != "-":
                n = check["checked"]
                print(f"audit chain OK: {n} {'entry' if n == 1 else 'entries'} checked")
            return EXIT_OK
        rows = s.activity(
            thread_id=_campaign_id(s, args.thread, full_ids_elsewhere=True)
            if args.thread
            else None,
            event=args.event,
            actor=args.actor,
            limit=args.limit,
        )
    if args.json:
        _emit(rows)
        return EXIT_OK
    if not rows:
        print("No audit entries match.")
        return EXIT_OK
    header = ["SEQ", "WHEN", "ACTOR", "EVENT", "CAMPAIGN", "DETAIL"]
    table = [
        [
            str(r["seq"]),
            _clock(r["at"]),
            r["actor"],
            r["event"],
            str(r.get("thread_id") or "")[:8],
            clip(_detail_text(r.get("detail")), 60),
        ]
        for r in rows
    ]
    print(_table(header, table))
    return EXIT_OK
