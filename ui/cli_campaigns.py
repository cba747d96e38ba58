"""`signoff show`, `retry` and `campaigns`: one campaign, carrying it on, the list of them."""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

from graphs.errors import NotFound, RunStopped
from graphs.humanize import clip
from ui.cli_common import (
    EXIT_OK,
    AddParser,
    _await,
    _campaign_id,
    _emit,
    _json_flag,
    _open,
    _progress,
    _stopped,
)
from ui.cli_format import _args_text, _clock, _inbox_table, _outcome_detail, _table
from ui.cli_new import _print_summary

ID_HELP = "the campaign's id, or its first characters (the 8 shown in CAMPAIGN columns)"


def add_parsers(add: AddParser) -> None:
    """`signoff show`, `retry` and `campaigns`."""
    p = add("show", "a campaign: status, decisions, executed actions and their outbox keys")
    p.add_argument("thread_id", metavar="THREAD_ID", help=ID_HELP)
    _json_flag(p)

    p = add(
        "retry",
        "carry on a campaign that stopped part-way (model error, crash)",
    )
    p.add_argument("thread_id", metavar="THREAD_ID", help=ID_HELP)
    p.add_argument(
        "--queue",
        action="store_true",
        help="queue the run for a worker (`signoff worker`) instead of running it here",
    )
    _json_flag(p)

    p = add("campaigns", "list campaigns, newest first")
    _json_flag(p)


def cmd_retry(args: argparse.Namespace, home: Path) -> int:
    if args.queue:
        with _open(home) as s:
            args.thread_id = _campaign_id(s, args.thread_id)
            s.summary(args.thread_id)  # NotFound for an unknown campaign
            job = s.enqueue_run("retry", args.thread_id)
        if args.json:
            _emit({"job": job, "thread_id": args.thread_id, "status": "queued"})
        else:
            print(f"Queued as job {job}; a worker (`signoff worker`) carries it on.")
        return EXIT_OK
    with _open(home) as s:
        args.thread_id = _campaign_id(s, args.thread_id)
        try:
            result = s.retry(args.thread_id, on_progress=_progress(args))
            result = _await(s, result, args)
        except RunStopped as exc:
            raise _stopped(exc, args.verbose) from exc
    if args.json:
        _emit(result)
        return EXIT_OK
    _print_summary(result)
    return EXIT_OK


def cmd_show(args: argparse.Namespace, home: Path) -> int:
    with _open(home) as s:
        args.thread_id = _campaign_id(s, args.thread_id)
        try:
            c = s.campaign(args.thread_id)
        except NotFound as exc:
            raise NotFound(
                f"No campaign {args.thread_id!r}. Run `signoff campaigns` to list them."
            ) from exc
    if args.json:
        _emit(c)
        return EXIT_OK
    b = c["brief"]
    print(f"Campaign {c['thread_id']}: {c['status']}  (started {c.get('created_at', '?')})")
    print(
        f"  product:  {b.get('product')}\n  audience: {b.get('audience')}\n  goal:     {b.get('goal')}"
    )
    print(f"  email to: {b.get('to')}")
    if c["actions"]:
        print("\nFirst drafts:")
        for a in c["actions"]:
            print(
                f"  {a['id']}  {a['name']}  confidence {a['confidence']:.2f}  revision {a['revision']}"
            )
            print(textwrap.indent(clip(_args_text(a["args"]), 300), "      "))
    print("\nDecisions:")
    for d in c["decisions"] or []:
        dec = d["decision"]
        extra = dec.get("feedback") or dec.get("reason") or ""
        applied = "applied" if d.get("applied_at") else "NOT APPLIED yet (run `signoff recover`)"
        print(
            f"  {d['at']}  {d['by']}: {dec['type']} {d['action_id']}  {clip(extra, 60)}  [{applied}]"
        )
    if not c["decisions"]:
        print("  (none yet)")
    print("\nExecuted (outbox):")
    for e in c["executed"] or []:
        print(f"  {e['action_id']}  {e['name']}  {e['status']}  key {e['key']}")
        result = e.get("result") or {}
        where = " ".join(
            f"{k}={result[k]}"
            for k in ("transport", "path", "file", "line", "message_id")
            if k in result
        )
        if where:
            print(f"      {where}")
    if not c["executed"]:
        print("  (nothing has been sent)")
    if c["outcomes"]:
        print("\nOutcomes:")
        for o in c["outcomes"]:
            print(f"  {o['action_id']}  {o['name']}: {o['status']}{_outcome_detail(o)}")
    if c["pending"]:
        print("\nWaiting for a decision:")
        print(_inbox_table(c["pending"]))
    return EXIT_OK


def cmd_campaigns(args: argparse.Namespace, home: Path) -> int:
    with _open(home) as s:
        rows = s.campaigns()
    if args.json:
        _emit(rows)
        return EXIT_OK
    if not rows:
        print("No campaigns yet. Start one with: signoff new --brief 'product: …'")
        return EXIT_OK
    header = ["CAMPAIGN", "STATUS", "STARTED", "LAST CHANGE", "PRODUCT"]
    table = [
        [
            r["thread_id"][:8],
            r["status"],
            _clock(r.get("created_at")),
            _clock(r.get("updated_at")),
            clip(str(r["brief"].get("product", "")), 50),
        ]
        for r in rows
    ]
    print(_table(header, table))
    print(
        f"\n{len(rows)} campaign{'s' if len(rows) != 1 else ''}, the latest first. "
        "`signoff show CAMPAIGN` for one (its first characters are enough)."
    )
    return EXIT_OK
