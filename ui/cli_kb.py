"""`signoff kb`: the knowledge base the researcher quotes from (tools/kb.py), from the shell.

    signoff kb add PATH_OR_URL...   files (.md .txt .html .pdf), folders, or web addresses
    signoff kb add --text TEXT --product NAME [--name NAME]   pasted text ('-': stdin)
    signoff kb passages ID          how a source was split into passages
    signoff kb list                 every source, with its flags
    signoff kb search QUERY [--k N] the passages a campaign would find
    signoff kb remove ID            a source and its passages

Each takes `--json` and `--home` like every other command. Exit codes follow `ui/cli.py`:
2 for input the knowledge base cannot take (the message says what to do), 4 for an unknown id
or a file or folder that is not there.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from pathlib import Path
from typing import Any

from graphs.humanize import clip, count
from tools.kb import SUPPORTED_HELP, KnowledgeBase, SourceInfo
from ui import cli_common

DESCRIPTION = (
    "The knowledge base the researcher quotes from: product facts, pricing, customer quotes, "
    "style guides. Add files, folders or web pages; re-adding a source replaces it. Passages "
    "that carry instructions for an AI are flagged and shown to the reviewer as data."
)


def register(subparsers: Any) -> dict[str, Any]:
    """Add `kb` and its subcommands to the `signoff` parser's subparsers."""

    def parser(parent: Any, name: str, help_: str, description: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = parent.add_parser(
            name,
            help=help_,
            description=textwrap.fill(description, 90),
            epilog=cli_common.EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        cli_common._common(p, top=False)
        return p

    kb = parser(
        subparsers, "kb", "the knowledge base: add, list, search, remove sources", DESCRIPTION
    )
    kb.set_defaults(handler=run)
    sub = kb.add_subparsers(dest="kb_command", metavar="KB_COMMAND")

    p = parser(
        sub,
        "add",
        "add files, folders or web pages",
        f"Add {SUPPORTED_HELP} files, every such file in a folder, or a web page (http/https). "
        "Re-adding the same file or address replaces its passages.",
    )
    p.add_argument("sources", nargs="*", metavar="PATH_OR_URL")
    p.add_argument(
        "--text", metavar="TEXT", help="paste a fact sheet's text instead of a file ('-': stdin)"
    )
    p.add_argument(
        "--name", metavar="NAME", help="--text: the source's name (default: the product)"
    )
    p.add_argument(
        "--product",
        metavar="NAME",
        default="",
        help="the product these facts are about (campaigns for other products never use them)",
    )
    cli_common._json_flag(p)

    p = parser(
        sub,
        "passages",
        "how a source was split into passages",
        "The passages of one source (ID from `signoff kb list`), in order, as the researcher sees them.",
    )
    p.add_argument("id", metavar="ID")
    cli_common._json_flag(p)

    p = parser(sub, "list", "list the sources and their flags", "List every source, oldest first.")
    cli_common._json_flag(p)

    p = parser(
        sub,
        "search",
        "search the passages",
        "The passages that best match QUERY (any text: punctuation is fine), best first.",
    )
    p.add_argument("query", nargs="+", metavar="QUERY")
    p.add_argument(
        "--k", type=cli_common._positive_int, default=5, metavar="N", help="how many (5)"
    )
    cli_common._json_flag(p)

    p = parser(sub, "remove", "remove a source", "Remove a source (ID from `signoff kb list`).")
    p.add_argument("id", metavar="ID")
    cli_common._json_flag(p)
    return {"kb": run}


def _home(args: argparse.Namespace) -> Path:
    home = getattr(args, "home", None) or os.environ.get("SIGNOFF_HOME") or ".signoff"
    return Path(home).expanduser().resolve()


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def run(args: argparse.Namespace, home: Path | None = None) -> int:
    """Run one `signoff kb ...` command; returns the exit code (errors reported like `cli`)."""
    as_json = bool(getattr(args, "json", False))
    command = getattr(args, "kb_command", None)
    if not command:
        _err(
            "signoff kb: expected one of add, list, search, passages, remove "
            "(see `signoff kb --help`)"
        )
        if as_json:
            cli_common._emit({"error": "usage", "message": "expected a kb command", "exit_code": 2})
        return cli_common.EXIT_INVALID
    home = home or _home(args)
    if command in ("add", "remove"):  # the policy's authority: who may change the knowledge
        from graphs.errors import NotAllowed

        try:
            with cli_common._open(home) as runtime:
                runtime.authorize(
                    cli_common._identity(), "add_knowledge", "change the knowledge base"
                )
        except NotAllowed as exc:
            return cli_common._fail(as_json, cli_common.EXIT_NOT_ALLOWED, "not_allowed", str(exc))
    try:
        with KnowledgeBase.open(home / "signoff.db") as kb:
            handler = {
                "add": _add,
                "list": _list,
                "search": _search,
                "remove": _remove,
                "passages": _passages,
            }[command]
            return handler(kb, args, as_json)
    except cli_common.CliError as exc:
        return cli_common._fail(as_json, exc.code, exc.kind, str(exc), **exc.extra)
    except ValueError as exc:  # the knowledge base refused the input and said why
        return cli_common._fail(as_json, cli_common.EXIT_INVALID, "invalid_input", str(exc))


def _is_url(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))


def _add(kb: KnowledgeBase, args: argparse.Namespace, as_json: bool) -> int:
    quiet = bool(getattr(args, "quiet", False))
    added: list[SourceInfo] = []
    errors: list[str] = []
    missing: list[str] = []  # files or folders that are not there: exit 4, like every unknown file

    def progress(info: SourceInfo) -> None:
        added.append(info)
        if not quiet:
            _err(f"  added {info.name} ({count(info.passages, 'passage')}){_flag_note(info)}")

    def refused(exc: ValueError) -> None:  # said at once; the others are still added
        errors.append(str(exc))
        _err(f"signoff: {' '.join(str(exc).split())}")

    product = " ".join(str(getattr(args, "product", "") or "").split())
    text = getattr(args, "text", None)
    if text is None and not args.sources:
        raise cli_common.CliError(
            "Give files, folders or web addresses to add, or --text TEXT --product NAME."
        )
    if text is not None:
        if text == "-":
            text = sys.stdin.read()
        if not product:
            raise cli_common.CliError(
                "--text needs --product NAME: the product these facts are about (campaigns for "
                "other products never use them)."
            )
        name = getattr(args, "name", None) or f"{product} facts"
        try:
            progress(kb.add_text(name, text, kind="md", product=product))
        except ValueError as exc:
            refused(exc)
    for item in args.sources:
        try:
            if _is_url(item):
                if not quiet:
                    _err(f"  fetching {item} …")
                progress(kb.add_url(item, product=product))
            else:
                kb.add_path(Path(item), on_progress=progress, product=product)
        except ValueError as exc:
            if not _is_url(item) and not Path(item).expanduser().exists():
                missing.append(item)
            refused(exc)
    code = (
        cli_common.EXIT_NOT_FOUND
        if missing
        else cli_common.EXIT_INVALID
        if errors
        else cli_common.EXIT_OK
    )
    if as_json:
        result: dict[str, Any] = {"added": [s.as_dict() for s in added]}
        if errors:
            result.update(
                error="not_found" if missing else "invalid_input",
                message=" ".join(errors),
                exit_code=code,
            )
        cli_common._emit(result)
    else:
        if added:
            _out(_sources_table(added))
        flagged = [s for s in added if s.flags]
        _out(
            f"\nAdded {count(len(added), 'source')}"
            + (f"; {len(flagged)} flagged (see `signoff kb list`)" if flagged else "")
            + (f"; {len(errors)} could not be added" if errors else "")
            + "."
        )
    return code


def _list(kb: KnowledgeBase, args: argparse.Namespace, as_json: bool) -> int:
    sources = kb.sources()
    if as_json:
        cli_common._emit([s.as_dict() for s in sources])
        return cli_common.EXIT_OK
    if not sources:
        _out(
            "The knowledge base is empty: your first campaign will use the sample brand kit "
            "(tools/brand_kit/).\nAdd your own with: signoff kb add PATH_OR_URL"
        )
        return cli_common.EXIT_OK
    _out(_sources_table(sources))
    for s in sources:
        for reason in s.reasons:
            _out(f"  ! {s.id} {s.name}: {reason}")
    return cli_common.EXIT_OK


def _search(kb: KnowledgeBase, args: argparse.Namespace, as_json: bool) -> int:
    query = " ".join(args.query)
    hits = kb.search(query, k=args.k)
    if as_json:
        cli_common._emit(
            [
                {
                    "ref": p.ref,
                    "source": p.source,
                    "location": p.location,
                    "text": p.text,
                    "flags": list(dict.fromkeys([*p.flags, *p.source_flags])),
                    "score": round(p.score, 3),
                }
                for p in hits
            ]
        )
        return cli_common.EXIT_OK
    if not hits:
        hint = " (the knowledge base is empty)" if kb.is_empty() else ""
        _out(f"No passage matches {query!r}{hint}.")
        return cli_common.EXIT_OK
    for n, p in enumerate(hits, start=1):
        flags = list(dict.fromkeys([*p.flags, *p.source_flags]))
        _out(f"[{n}] {p.source} › {p.location}" + (f"  ! {', '.join(flags)}" if flags else ""))
        _out(textwrap.indent(textwrap.fill(clip(p.text, 400), 96), "    "))
    return cli_common.EXIT_OK


def _source_id(args: argparse.Namespace) -> int:
    """The source id of `kb remove ID` / `kb passages ID`, or CliError (exit 2)."""
    try:
        return int(str(args.id).strip())
    except ValueError:
        raise cli_common.CliError(
            f"Source id must be a number, got {args.id!r}. Run `signoff kb list` to see the ids."
        ) from None


def _no_source(source_id: int) -> cli_common.CliError:
    return cli_common.CliError(
        f"No source {source_id} in the knowledge base. Run `signoff kb list` to see the ids.",
        cli_common.EXIT_NOT_FOUND,
        "not_found",
    )


def _remove(kb: KnowledgeBase, args: argparse.Namespace, as_json: bool) -> int:
    source_id = _source_id(args)
    removed = kb.remove(source_id)
    if removed is None:
        raise _no_source(source_id)
    if as_json:
        cli_common._emit({"removed": removed.as_dict()})
    else:
        _out(f"Removed source {removed.id}: {removed.name} ({count(removed.passages, 'passage')}).")
    return cli_common.EXIT_OK


def _passages(kb: KnowledgeBase, args: argparse.Namespace, as_json: bool) -> int:
    source_id = _source_id(args)
    info = kb.source(source_id)
    if info is None:
        raise _no_source(source_id)
    passages = kb.passages(source_id)
    if as_json:
        cli_common._emit(
            {
                "source": info.as_dict(),
                "passages": [
                    {"ref": p.ref, "location": p.location, "text": p.text, "flags": p.flags}
                    for p in passages
                ],
            }
        )
        return cli_common.EXIT_OK
    about = f"about {info.product}" if info.product else "about any product it names"
    role = "a style guide (never evidence)" if info.role == "voice" else about
    _out(f"{info.name}: {count(len(passages), 'passage')}, {role}")
    for n, p in enumerate(passages, start=1):
        flags = f"  ! {', '.join(p.flags)}" if p.flags else ""
        _out(f"[{n}] {p.location}{flags}")
        _out(textwrap.indent(textwrap.fill(p.text, 96), "    "))
    return cli_common.EXIT_OK


def _flag_note(info: SourceInfo) -> str:
    return f"  ! flagged: {', '.join(info.flags)}" if info.flags else ""


def _sources_table(sources: list[SourceInfo]) -> str:
    header = ["ID", "KIND", "PASSAGES", "ADDED", "SOURCE", "PRODUCT", "FLAGS"]
    rows = [
        [
            str(s.id),
            s.kind,
            str(s.passages),
            s.added_at[:16].replace("T", " "),
            clip(s.name, 50),
            "(style guide)" if s.role == "voice" else clip(s.product, 30) or "-",
            ", ".join(s.flags) or "-",
        ]
        for s in sources
    ]
    widths = [max(len(r[k]) for r in [header, *rows]) for k in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in [header, *rows]
    )
