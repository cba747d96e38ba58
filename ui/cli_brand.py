"""`signoff brand`: the brand settings the writer assembles emails from (graphs/brand.py).

    signoff brand [show] [NAME]                     the brand(s): sender, signature, footer, rules
    signoff brand set NAME [--sender-name ...] [--from ...] [--signature ...] [--postal-address ...]
                      [--unsubscribe ...] [--avoid 'a, b'] [--tone ...] [--link URL] [--products 'A, B']
    signoff brand rule add NAME TEXT                a rule the next drafts follow
    signoff brand rule edit NAME RULE_ID TEXT
    signoff brand rule remove NAME RULE_ID

Each takes `--json` and `--home`. Exit code 2 for settings that are not valid (the message says
which field and what to do), 4 for an unknown brand or rule.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import textwrap
from pathlib import Path
from typing import Any

from graphs.brand import Brand, BrandBook, brand_from_dict
from graphs.errors import InvalidInput
from ui import cli_common

FIELDS = {
    "sender_name": ("--sender-name", "the name emails are from, e.g. 'Northpeak'"),
    "from_address": ("--from", "the From address, e.g. news@northpeak.example"),
    "signature": ("--signature", "how emails are signed, e.g. 'The Northpeak team'"),
    "postal_address": ("--postal-address", "the postal address in every email's footer"),
    "unsubscribe": ("--unsubscribe", "the unsubscribe line in every email's footer"),
    "avoid": ("--avoid", "words to avoid, comma-separated"),
    "tone": ("--tone", "the tone, e.g. 'warm, plain, confident'"),
    "link": ("--link", "the default page to send people to"),
    "products": ("--products", "the products this brand sells, comma-separated"),
}


def register(subparsers: Any) -> dict[str, Any]:
    def parser(parent: Any, name: str, help_: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = parent.add_parser(
            name,
            help=help_,
            description=help_,
            epilog=cli_common.EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        cli_common._common(p, top=False)
        cli_common._json_flag(p)
        return p

    brand = parser(subparsers, "brand", "brand settings: sender, signature, footer, words, rules")
    brand.set_defaults(handler=run)
    sub = brand.add_subparsers(dest="brand_command", metavar="BRAND_COMMAND")
    p = parser(sub, "show", "show the brands")
    p.add_argument("name", nargs="?", metavar="NAME")
    p = parser(sub, "set", "add a brand or change its settings")
    p.add_argument("name", metavar="NAME")
    for key, (flag, help_) in FIELDS.items():
        p.add_argument(flag, dest=key, metavar="TEXT", help=help_)
    rule = parser(sub, "rule", "the rules learned from edits and send-backs")
    rules = rule.add_subparsers(dest="rule_command", metavar="RULE_COMMAND")
    p = parser(rules, "add", "add a rule the next drafts follow")
    p.add_argument("name", metavar="BRAND")
    p.add_argument("text", nargs="+", metavar="TEXT")
    p = parser(rules, "edit", "change a rule's words")
    p.add_argument("name", metavar="BRAND")
    p.add_argument("rule_id", metavar="RULE_ID")
    p.add_argument("text", nargs="+", metavar="TEXT")
    p = parser(rules, "remove", "delete a rule")
    p.add_argument("name", metavar="BRAND")
    p.add_argument("rule_id", metavar="RULE_ID")
    return {"brand": run}


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def describe(brand: Brand) -> str:
    lines = [
        f"{brand.name}",
        f"  From:        {brand.sender}",
        f"  Signature:   {brand.signature}",
        f"  Address:     {brand.postal_address or '-'}",
        f"  Unsubscribe: {brand.unsubscribe or '-'}",
        f"  Tone:        {brand.tone}",
        f"  Avoid:       {', '.join(brand.avoid) or '-'}",
        f"  Link:        {brand.link or '-'}",
        f"  Products:    {', '.join(brand.products) or '-'}",
        f"  Rules:       {'-' if not brand.rules else ''}",
    ]
    lines += [f"    {r.id}  {r.text}  ({r.origin})" for r in brand.rules]
    return "\n".join(lines)


def run(args: argparse.Namespace, home: Path | None = None) -> int:
    as_json = bool(getattr(args, "json", False))
    from ui.cli_kb import _home

    book = BrandBook(home or _home(args))
    command = getattr(args, "brand_command", None) or "show"
    try:
        if command == "show":
            brands = [book.get(args.name)] if getattr(args, "name", None) else book.all()
            if as_json:
                cli_common._emit([b.as_dict() for b in brands])
            else:
                _out("\n\n".join(describe(b) for b in brands))
            return cli_common.EXIT_OK
        if command == "set":
            try:
                current = book.get(args.name)
            except InvalidInput:
                current = Brand(name=args.name.strip())
            changes = {k: getattr(args, k) for k in FIELDS if getattr(args, k, None) is not None}
            saved = book.save(brand_from_dict({**current.as_dict(), **changes}))
            if as_json:
                cli_common._emit(saved.as_dict())
            else:
                _out("Saved.\n" + describe(saved))
            return cli_common.EXIT_OK
        rule_command = getattr(args, "rule_command", None)
        if rule_command == "add":
            rule = book.add_rule(args.name, " ".join(args.text))
            result: dict[str, Any] = dataclasses.asdict(rule)
        elif rule_command in ("edit", "remove"):
            brand = book.get(args.name)
            if args.rule_id not in {r.id for r in brand.rules}:
                raise cli_common.CliError(
                    f"No rule {args.rule_id!r} in {brand.name}; `signoff brand show` lists them.",
                    cli_common.EXIT_NOT_FOUND,
                    "not_found",
                )
            if rule_command == "edit":
                book.update_rule(args.name, args.rule_id, " ".join(args.text))
            else:
                book.remove_rule(args.name, args.rule_id)
            result = {"brand": brand.name, "rule": args.rule_id, "done": rule_command}
        else:
            raise cli_common.CliError("signoff brand rule: expected add, edit or remove.")
        if as_json:
            cli_common._emit(result)
        else:
            _out(textwrap.fill(f"{rule_command}: {result}", 96))
        return cli_common.EXIT_OK
    except cli_common.CliError as exc:
        return cli_common._fail(as_json, exc.code, exc.kind, str(exc), **exc.extra)
    except InvalidInput as exc:
        code = cli_common.EXIT_NOT_FOUND if "Unknown brand" in str(exc) else cli_common.EXIT_INVALID
        return cli_common._fail(as_json, code, "invalid_input", str(exc))
