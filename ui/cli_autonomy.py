"""`signoff policy`, `autonomy` and `simulate`: the routing table, earned autonomy, and a
candidate policy replayed over past decisions."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from graphs.humanize import count, duration
from ui.cli_common import (
    EXIT_NOT_FOUND,
    EXIT_OK,
    AddParser,
    CliError,
    _by,
    _done,
    _emit,
    _json_flag,
    _open,
    _positive_int,
    _who,
)
from ui.cli_format import _table


def add_parsers(add: AddParser) -> None:
    """`signoff policy`, `autonomy` and `simulate`."""
    p = add(
        "policy",
        "the policy's routing table: per action and autonomy level, run / notify / wait",
    )
    _json_flag(p)
    p = add(
        "autonomy",
        "autonomy level per action type and channel, its track record and any suggestion",
        "List the autonomy level of each action type on each channel with its track record. A "
        "promotion is only suggested by the track record; --promote ACTION CHANNEL confirms one "
        "(exit 2, with the numbers, when none is suggested or it is above the policy's maximum).",
    )
    p.add_argument(
        "--promote", nargs=2, metavar=("ACTION", "CHANNEL"), help="confirm a suggested promotion"
    )
    _by(p)
    _json_flag(p)
    p = add(
        "simulate",
        "replay recent decisions under a candidate policy: reviews saved, what it lets through",
    )
    p.add_argument("file", metavar="FILE", help="the candidate policy (YAML)")
    p.add_argument(
        "--last",
        type=_positive_int,
        default=200,
        metavar="N",
        help="replay the last N decisions (default 200)",
    )
    _json_flag(p)


def cmd_policy(args: argparse.Namespace, home: Path) -> int:
    with _open(home) as s:
        policy = s.policy
        routes = policy.routing_table()
        info = {
            "version": policy.version,
            "path": str(policy.path) if policy.path else None,
            "digest": policy.digest,
            "routes": routes,
        }
    if args.json:
        _emit(info)
        return EXIT_OK
    print(f"Policy {info['version']}  ({info['path'] or 'shipped default'}, {info['digest']})\n")
    header = [
        "ACTION",
        "CHANNEL",
        "TIER",
        "UNDO",
        "HOLD",
        "MAX",
        "SUPERVISED",
        "EARNED",
        "MONITORED",
    ]
    table = [
        [
            r["action"],
            r["channel"],
            r["tier"],
            "yes" if r.get("reversible") else "no",
            duration(r.get("hold_seconds") or 0) if r.get("hold_seconds") else "-",
            r.get("max_autonomy", ""),
            r["routes"].get("supervised", ""),
            r["routes"].get("earned", ""),
            r["routes"].get("monitored", ""),
        ]
        for r in routes
    ]
    print(_table(header, table))
    limits = [(r["action"], r["limits"]) for r in routes if r.get("limits")]
    if limits:
        print("\nHard limits (no autonomy level lifts them):")
        for action, lim in limits:
            print(f"  {action}: " + ", ".join(f"{k} {v}" for k, v in lim.items()))
    print(
        "\nWhatever the level, a person still sees: low confidence, claims without evidence, "
        "over-budget actions and a first contact with a new audience."
    )
    return EXIT_OK


def cmd_autonomy(args: argparse.Namespace, home: Path) -> int:
    with _open(home) as s:
        if args.promote:
            action, channel = args.promote
            done = s.promote(action, channel, by=_who(args))
            level = done.get("level") or done.get("to") if isinstance(done, dict) else None
            return _done(
                args,
                done,
                f"Promoted {action} on {channel}"
                + (f" to {level}" if level else "")
                + f", confirmed by {_who(args)}. A rejection or a flag drops it back at once.",
            )
        rows = s.autonomy()
    if args.json:
        _emit(rows)
        return EXIT_OK
    if not rows:
        print("No action types in the policy.")
        return EXIT_OK
    header = ["ACTION", "CHANNEL", "LEVEL", "MAX", "RECORD", "SUGGESTION"]
    table = [
        [
            r["action"],
            r["channel"],
            r["level"],
            r["max_autonomy"],
            _record_text(r.get("record") or {}),
            _suggestion_text(r.get("suggestion")),
        ]
        for r in rows
    ]
    print(_table(header, table))
    for r in rows:
        if r.get("suggestion"):
            print(
                f"\n{r['action']} on {r['channel']}: {r['suggestion'].get('why', '')}\n"
                f"  confirm with: signoff autonomy --promote {r['action']} {r['channel']}"
            )
    return EXIT_OK


def _record_text(record: dict[str, Any]) -> str:
    if not record.get("total"):
        return "no decisions yet"
    parts = [f"{record.get('approved', 0)}/{record['total']} approved as drafted"]
    for key in ("edited", "rejected", "flagged"):
        if record.get(key):
            parts.append(f"{record[key]} {key}")
    return ", ".join(parts)


def _suggestion_text(suggestion: dict[str, Any] | None) -> str:
    if not suggestion:
        return "-"
    rate = suggestion.get("rate")
    bound = suggestion.get("lower_bound")
    numbers = []
    if isinstance(rate, int | float):
        numbers.append(f"{rate:.0%} clean")
    if isinstance(bound, int | float):
        numbers.append(f"≥{bound:.0%} likely")
    if suggestion.get("n") is not None:
        numbers.append(f"n={suggestion['n']}")
    return f"→ {suggestion.get('to')}" + (f" ({', '.join(numbers)})" if numbers else "")


def cmd_simulate(args: argparse.Namespace, home: Path) -> int:
    candidate = Path(args.file).expanduser()
    if not candidate.is_file():
        raise CliError(
            f"No policy file {str(candidate)!r}: expected a YAML policy (see `signoff policy`).",
            EXIT_NOT_FOUND,
            "not_found",
        )
    with _open(home) as s:
        result = s.simulate(candidate, last=args.last)
    if args.json:
        _emit(result)
        return EXIT_OK
    print(
        f"Replayed the last {count(result['replayed'], 'decided action')} under {candidate.name} "
        f"(against policy {result.get('policy_version', '?')}):"
    )
    print(f"  reviews now:             {result['reviews_now']}")
    print(f"  reviews with candidate:  {result['reviews_candidate']}")
    print(f"  reviews saved:           {result['saved']}")
    through = result.get("let_through") or []
    if not through:
        print("\nIt lets nothing through that a person reviews today.")
        return EXIT_OK
    print(f"\nIt would have let {count(len(through), 'action')} through without a person:")
    header = ["CAMPAIGN", "ACTION", "WHAT A PERSON DID", "NOW", "CANDIDATE"]
    table = [
        [
            str(r["thread_id"])[:8],
            f"{r['action']} ({r['action_id']})",
            ("! " if r.get("outcome") not in ("approved", "approve") else "") + str(r["outcome"]),
            r.get("route_now", ""),
            r.get("route_candidate", ""),
        ]
        for r in through
    ]
    print(_table(header, table))
    risky = [r for r in through if r.get("outcome") not in ("approved", "approve")]
    if risky:
        print(
            f"\n! {len(risky)} of them were edited, sent back or rejected by a person: "
            "the candidate would have let those out as drafted."
        )
    return EXIT_OK
