"""`signoff reindex`, `recover` and `prune`: repairing and trimming the data directory."""

from __future__ import annotations

import argparse
from pathlib import Path

from graphs.humanize import count as counted
from ui.cli_common import EXIT_OK, AddParser, _by, _emit, _json_flag, _open, _who


def add_parsers(add: AddParser) -> None:
    """`signoff reindex`, `recover` and `prune`."""
    p = add("reindex", "rebuild the inbox index from the checkpoints; prints the count")
    _json_flag(p)

    p = add("recover", "apply decisions that were recorded but not applied (after a crash)")
    _json_flag(p)

    p = add(
        "prune",
        "remove finished campaigns' checkpoints older than an age; audit and outbox stay",
        "Remove the checkpoints of campaigns that are done and were last updated more than "
        "--older-than ago. The audit log and the outbox stay, and `signoff show` and the "
        "Campaign page still show a pruned campaign's drafts, decisions and outcomes.",
    )
    p.add_argument("--older-than", required=True, metavar="AGE", help="e.g. 90d, 12h, 30m or 3600s")
    p.add_argument("--dry-run", action="store_true", help="list what would be pruned")
    _by(p)
    _json_flag(p)


def cmd_reindex(args: argparse.Namespace, home: Path) -> int:
    with _open(home) as s:
        count = s.reindex()
        pending = len(s.pending())
    if args.json:
        _emit({"reindexed": count, "pending": pending})
    else:
        print(f"reindexed {counted(count, 'campaign')}; {counted(pending, 'action')} pending")
    return EXIT_OK


def cmd_recover(args: argparse.Namespace, home: Path) -> int:
    with _open(home, queued=False) as s:  # the operator's explicit repair runs here
        applied = s.recover()
    if args.json:
        _emit({"applied": applied})
    elif applied:
        print(f"applied {counted(len(applied), 'recorded decision')}: {' '.join(applied)}")
    else:
        print("nothing to recover: every recorded decision has been applied")
    return EXIT_OK


def cmd_prune(args: argparse.Namespace, home: Path) -> int:
    with _open(home) as s:
        pruned = s.prune(args.older_than, by=_who(args), dry_run=args.dry_run)
    if args.json:
        _emit({"pruned": pruned, "dry_run": args.dry_run})
        return EXIT_OK
    verb = "would prune" if args.dry_run else "pruned"
    print(f"{verb} the checkpoints of {counted(len(pruned), 'finished campaign')}")
    for thread_id in pruned:
        print(f"  {thread_id}")
    return EXIT_OK
