"""`signoff new`: start a campaign from a brief (and an audience CSV)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from graphs.errors import InvalidInput, RunStopped
from graphs.humanize import count
from ui.cli_allowed import decide_hints
from ui.cli_common import (
    BY_HELP,
    EXIT_NOT_FOUND,
    EXIT_OK,
    AddParser,
    CliError,
    _await,
    _emit,
    _json_flag,
    _open,
    _progress,
    _stopped,
    _who,
)
from ui.cli_format import _inbox_table


def add_parsers(add: AddParser) -> None:
    """`signoff new`."""
    p = add(
        "new",
        "start a campaign; runs until it waits for your sign-off",
        "Start a campaign from a brief. Research and drafting run in a worker (`signoff worker`, "
        "`make run`); this command waits and prints the worker's progress. With no worker alive "
        "it says so and runs them itself. Every outbound action then waits in the inbox for a "
        "decision.",
    )
    p.add_argument(
        "--brief",
        required=True,
        metavar="TEXT",
        help='JSON ({"product", "audience", "goal"}) or \'product: ...\' / \'audience: ...\' / '
        "'goal: ...' lines; '-' reads it from stdin",
    )
    p.add_argument("--to", metavar="ADDR", help="who the campaign email goes to")
    p.add_argument(
        "--audience",
        metavar="FILE.csv",
        dest="audience_csv",
        help="a CSV of recipients (an `email` column; optional name, company, ...); a bad row "
        "is named by line and column and nothing starts",
    )
    p.add_argument(
        "--channels",
        metavar="LIST",
        help="comma-separated channels to draft for: email, social, cms, ads (default email,social)",
    )
    p.add_argument(
        "--ad-budget", type=float, metavar="AMOUNT", help="what the ads channel may spend"
    )
    p.add_argument(
        "--engage",
        nargs="+",
        action="extend",
        metavar="URL_OR_HANDLE",
        help="posts to like (URL) or accounts to follow (@handle); repeatable",
    )
    p.add_argument("--offer", metavar="TEXT", help="the offer the copy must carry, word for word")
    p.add_argument("--link", metavar="URL", help="where the copy sends people (added, not written)")
    p.add_argument(
        "--tone", metavar="TEXT", help="the tone for this campaign (default: the brand's)"
    )
    p.add_argument("--brand", metavar="NAME", help="the brand settings to use (`signoff brand`)")
    p.add_argument("--by", default=None, metavar="NAME", help=BY_HELP)
    _json_flag(p)


def read_brief(
    text: str,
    to: str | None,
    engage: list[str] | None = None,
    channels: str | None = None,
    ad_budget: float | None = None,
    extras: dict[str, Any] | None = None,
) -> dict[str, Any]:
    from graphs.runtime import parse_brief_text, validate_brief

    if text == "-":
        text = sys.stdin.read()
    raw = parse_brief_text(text)
    if text.strip() and raw == {
        "product": text.strip(),
        "audience": "our customers",
        "goal": text.strip(),
    }:
        # one sentence without `product:` / `audience:` / `goal:`: say what a brief needs
        # (the library reads it as all three fields, which then fails later for want of facts)
        raise InvalidInput(_what_a_brief_needs(text.strip()))
    if to:
        raw["to"] = to
    if engage:
        raw["engage"] = [e.strip() for e in engage if e.strip()]
    if channels:
        raw["channels"] = [c.strip() for c in channels.split(",") if c.strip()]
    if ad_budget is not None:
        raw["ad_budget"] = ad_budget
    raw.update({k: v for k, v in (extras or {}).items() if v})
    validate_brief(raw)  # InvalidInput naming each missing field, before anything is opened
    return raw


def _what_a_brief_needs(text: str) -> str:
    from graphs.brief import BRIEF_FIELDS

    needs = "; ".join(f"'{name}: …' ({hint})" for name, hint in BRIEF_FIELDS.items())
    return (
        f"The brief is incomplete: {text[:80]!r} names no product, audience or goal. Give one "
        f"line each: {needs}; or JSON with those fields. Nothing was started."
    )


def read_audience(path: str) -> list[dict[str, Any]]:
    """The recipients of `--audience FILE.csv`; InvalidInput names the bad line and column."""
    from graphs.runtime import parse_audience_csv

    file = Path(path).expanduser()
    if not file.is_file():
        raise CliError(
            f"No audience file {str(file)!r}: expected a CSV with an `email` column.",
            EXIT_NOT_FOUND,
            "not_found",
        )
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CliError(
            f"The audience file {str(file)!r} is not UTF-8 text ({exc.reason}); save it as "
            "CSV UTF-8. Nothing was started."
        ) from exc
    try:
        return parse_audience_csv(text)
    except InvalidInput as exc:
        raise InvalidInput(f"{file.name}: {exc}") from exc


def cmd_new(args: argparse.Namespace, home: Path) -> int:
    brief = read_brief(
        args.brief,
        args.to,
        args.engage,
        args.channels,
        args.ad_budget,
        {k: getattr(args, k, None) for k in ("offer", "link", "tone", "brand")},
    )
    audience = read_audience(args.audience_csv) if getattr(args, "audience_csv", None) else None
    with _open(home) as s:
        if not args.quiet:
            print(f"Starting a campaign for {brief['product']!r}…", file=sys.stderr, flush=True)
            if audience is not None:
                print(
                    f"  audience: {count(len(audience), 'recipient')}", file=sys.stderr, flush=True
                )
        extra: dict[str, Any] = {"audience": audience} if audience is not None else {}
        try:
            result = s.start(brief, on_progress=_progress(args), by=_who(args), **extra)
            result = _await(s, result, args)
        except RunStopped as exc:  # the model or a connector failed part-way: say how to go on
            raise _stopped(exc, args.verbose) from exc
    if args.json:
        _emit(result)
        return EXIT_OK
    _print_summary(result)
    return EXIT_OK


def _print_summary(result: dict[str, Any]) -> None:
    tid = result["thread_id"]
    pending = result["pending"]
    if pending:
        print(f"Campaign {tid} is waiting for your sign-off on {count(len(pending), 'action')}:\n")
        print(_inbox_table(pending))
        print("")
        print("\n".join(decide_hints(pending[0])))
        print(f"  signoff show {tid}")
    else:
        print(f"Campaign {tid} is {result['status']}; nothing is waiting for you.")
        print(f"\nNext:\n  signoff show {tid}")
