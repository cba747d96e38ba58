"""`signoff`: the command line over the same runtime facade the Streamlit page uses.

stdout holds only the result (JSON with `--json`); progress, warnings and errors go to stderr.
Exit codes: 0 done · 1 other error · 2 malformed input (nothing saved) · 3 already decided ·
4 not found · 5 busy (another process is updating the campaign).
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from graphs.errors import AlreadyDecided, Busy, InvalidInput, NotFound, RunStopped, SignoffError

log = logging.getLogger("signoff.cli")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_INVALID = 2
EXIT_ALREADY_DECIDED = 3
EXIT_NOT_FOUND = 4
EXIT_BUSY = 5

# The CLI flags each decision takes; the facade (graphs.decisions) validates the values.
DECISION_FLAGS = {
    "approve": "no fields",
    "edit": '--args JSON (the fields to change, e.g. \'{"subject": "..."}\')',
    "revise": "--feedback TEXT (what the writer should change)",
    "reject": "--reason TEXT [--comment TEXT]",
}
ALLOWED_HELP = "; ".join(f"{d}: {f}" for d, f in DECISION_FLAGS.items())

EPILOG = """\
exit codes:
  0  done
  1  other error (the message says what happened; -v shows the traceback)
  2  malformed input: bad brief, bad decision or flags; nothing was saved
  3  already decided: someone else decided this action first; nothing was changed
  4  not found: no pending action / campaign with that id
  5  busy: another process is updating the same campaign; try again

environment:
  SIGNOFF_HOME      data directory (default ./.signoff); --home overrides it
  SIGNOFF_USER      name recorded with your decisions (default: your login name)
  SIGNOFF_SMTP_URL  send email over SMTP instead of into the Maildir under the data directory
  OPENAI_API_KEY    draft with OpenAI (SIGNOFF_MODEL=openai:<name>); unset: the embedded local model
"""


class CliError(Exception):
    """A usage problem found by the CLI itself (before the facade is called), or a run that
    stopped part-way (`kind="stopped"`, exit 1, with the campaign's id)."""

    def __init__(
        self, message: str, code: int = EXIT_INVALID, kind: str = "invalid_input", **extra: Any
    ) -> None:
        super().__init__(message)
        self.code = code
        self.kind = kind
        self.extra = extra


# -- parser -----------------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    """Usage errors become CliError (exit 2), so `--json` callers get a JSON error too."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise CliError(f"{message} (see `{self.prog} --help`)")


def _common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """Options accepted both before and after the command (`signoff -v inbox`, `signoff inbox -v`)."""
    default: Any = None if top else argparse.SUPPRESS
    parser.add_argument(
        "--home",
        default=default,
        metavar="DIR",
        help="data directory (default: $SIGNOFF_HOME or ./.signoff)",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="log INFO messages to stderr",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="no progress lines on stderr",
    )


def _json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="signoff",
        description="Signoff: the AI drafts marketing actions, a person signs them off.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, help_: str, description: str | None = None) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            help=help_,
            description=textwrap.fill(description or help_, 90),
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        _common(p, top=False)
        return p

    p = add("ui", "start the Streamlit app on 127.0.0.1")
    p.add_argument("--port", type=int, default=8501, help="port to listen on (default 8501)")

    p = add(
        "new",
        "start a campaign; runs until it waits for your sign-off",
        "Start a campaign from a brief. Research and drafting run now; every outbound action then "
        "waits in the inbox for a decision.",
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
        "--by", default=None, metavar="NAME", help="who starts it (default $SIGNOFF_USER)"
    )
    _json_flag(p)

    p = add("inbox", "list the actions waiting for a decision, over all campaigns")
    _json_flag(p)

    p = add(
        "decide",
        "approve, edit, send back or reject one pending action",
        "Decide one pending action (ID from `signoff inbox`). The first decision wins; a second "
        f"decider gets exit code 3. Decisions: {ALLOWED_HELP}.",
    )
    p.add_argument("id", metavar="ID", help="the pending action's id (from `signoff inbox`)")
    p.add_argument(
        "decision",
        metavar="{" + ",".join(DECISION_FLAGS) + "}",
        help="what to do with it",
    )
    p.add_argument("--args", metavar="JSON", help="edit: the fields to change, as a JSON object")
    p.add_argument("--feedback", metavar="TEXT", help="revise: what the writer should change")
    p.add_argument("--reason", metavar="TEXT", help="reject: why it must not go out")
    p.add_argument("--comment", metavar="TEXT", help="reject: an optional note")
    p.add_argument("--by", default=None, metavar="NAME", help="who decides (default $SIGNOFF_USER)")
    _json_flag(p)

    p = add("show", "a campaign: status, decisions, executed actions and their outbox keys")
    p.add_argument("thread_id", metavar="THREAD_ID")
    _json_flag(p)

    p = add(
        "retry",
        "carry on a campaign that stopped part-way (model error, crash)",
    )
    p.add_argument("thread_id", metavar="THREAD_ID")
    _json_flag(p)

    p = add("campaigns", "list campaigns, newest first")
    _json_flag(p)

    p = add("reindex", "rebuild the inbox index from the checkpoints; prints the count")
    _json_flag(p)

    p = add("recover", "apply decisions that were recorded but not applied (after a crash)")
    _json_flag(p)
    return parser


# -- entry point ------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except CliError as exc:  # a usage error
        return _fail(
            "--json" in (sys.argv[1:] if argv is None else argv), exc.code, "usage", str(exc)
        )
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else EXIT_INVALID
    if not args.command:
        parser.print_help(sys.stderr)
        return EXIT_INVALID
    _setup_logging(args.verbose)
    home = Path(args.home or os.environ.get("SIGNOFF_HOME") or ".signoff").expanduser().resolve()
    as_json = bool(getattr(args, "json", False))
    try:
        return COMMANDS[args.command](args, home)
    except CliError as exc:
        return _fail(as_json, exc.code, exc.kind, str(exc), **exc.extra)
    except AlreadyDecided as exc:
        return _fail(
            as_json,
            EXIT_ALREADY_DECIDED,
            "already_decided",
            str(exc),
            id=exc.interrupt_id,
            by=exc.by,
            at=exc.at,
            decision=exc.decision,
        )
    except InvalidInput as exc:
        return _fail(as_json, EXIT_INVALID, "invalid_input", str(exc))
    except NotFound as exc:
        return _fail(as_json, EXIT_NOT_FOUND, "not_found", str(exc))
    except Busy as exc:
        return _fail(as_json, EXIT_BUSY, "busy", str(exc))
    except SignoffError as exc:
        return _fail(as_json, EXIT_ERROR, "error", str(exc))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        log.debug("unexpected error", exc_info=True)
        hint = "" if args.verbose else " (run with -v for the traceback)"
        if args.verbose:
            log.exception("unexpected error")
        return _fail(as_json, EXIT_ERROR, "error", f"{type(exc).__name__}: {exc}{hint}")


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )


def _fail(as_json: bool, code: int, kind: str, message: str, **extra: Any) -> int:
    message = " ".join(message.split())  # one line
    print(f"signoff: {message}", file=sys.stderr)
    if as_json:
        _emit({"error": kind, "message": message, "exit_code": code, **extra})
    return code


def _emit(obj: Any) -> None:
    print(json.dumps(obj, indent=2, ensure_ascii=False, default=str))


def _open(home: Path) -> Any:
    from graphs.runtime import Signoff

    # Start-up recovery touches other campaigns (and may call the model or a connector): only
    # `signoff recover` does it, so reading the inbox never waits on another process's lease.
    return Signoff(home, recover=False)


def _progress(args: argparse.Namespace) -> Callable[[str, str], None] | None:
    if args.quiet:
        return None

    def show(step: str, message: str) -> None:
        print(f"  {step}: {message}", file=sys.stderr, flush=True)

    return show


def _who(args: argparse.Namespace) -> str:
    if args.by:
        return str(args.by)
    env = os.environ.get("SIGNOFF_USER")
    if env:
        return env
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "marketer"


# -- commands ---------------------------------------------------------------------------------
def cmd_ui(args: argparse.Namespace, home: Path) -> int:
    app = Path(__file__).with_name("app.py")
    if not app.exists():
        raise CliError(f"The Streamlit app is missing: expected {app}.", EXIT_ERROR)
    command = [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.address", "127.0.0.1",
        "--server.port", str(args.port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    print(
        f"Signoff on http://127.0.0.1:{args.port} (data in {home}); Ctrl-C stops it.",
        file=sys.stderr,
    )
    sys.stdout.flush()
    sys.stderr.flush()
    # The app reads its data directory from the environment.
    os.execvpe(command[0], command, {**os.environ, "SIGNOFF_HOME": str(home)})
    return EXIT_OK  # pragma: no cover - execvp does not return


def read_brief(text: str, to: str | None) -> dict[str, Any]:
    from graphs.runtime import parse_brief_text, validate_brief

    if text == "-":
        text = sys.stdin.read()
    raw = parse_brief_text(text)
    if to:
        raw["to"] = to
    validate_brief(raw)  # InvalidInput naming each missing field, before anything is opened
    return raw


def cmd_new(args: argparse.Namespace, home: Path) -> int:
    brief = read_brief(args.brief, args.to)
    with _open(home) as s:
        if not args.quiet:
            print(f"Starting a campaign for {brief['product']!r}…", file=sys.stderr, flush=True)
        try:
            result = s.start(brief, on_progress=_progress(args), by=_who(args))
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
        print(f"Campaign {tid} is waiting for your sign-off on {len(pending)} action(s):\n")
        print(_inbox_table(pending))
        print("\nNext:")
        first = pending[0]["id"]
        print(f"  signoff decide {first} approve")
        print(f"  signoff decide {first} revise --feedback 'what to change'")
        print(f"  signoff decide {first} reject --reason 'why'")
        print(f"  signoff show {tid}")
    else:
        print(f"Campaign {tid} is {result['status']}; nothing is waiting for you.")
        print(f"\nNext:\n  signoff show {tid}")


def cmd_inbox(args: argparse.Namespace, home: Path) -> int:
    with _open(home) as s:
        items = s.pending()
    if args.json:
        _emit(items)
        return EXIT_OK
    if not items:
        print("Nothing is waiting for a decision.")
        return EXIT_OK
    print(_inbox_table(items, with_thread=True))
    print(f"\n{len(items)} pending. Decide with: signoff decide ID {{{','.join(DECISION_FLAGS)}}}")
    return EXIT_OK


def decision_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The decision dict the facade validates, or CliError (exit 2) naming what is allowed."""
    kind = args.decision
    allowed = f"Allowed: {ALLOWED_HELP}. Nothing was saved."
    if kind not in DECISION_FLAGS:
        raise CliError(
            f"Unknown decision {kind!r}; expected one of {list(DECISION_FLAGS)}. {allowed}"
        )
    given = {
        flag: getattr(args, name)
        for flag, name in (
            ("--args", "args"),
            ("--feedback", "feedback"),
            ("--reason", "reason"),
            ("--comment", "comment"),
        )
        if getattr(args, name) is not None
    }
    takes = {
        "approve": set(),
        "edit": {"--args"},
        "revise": {"--feedback"},
        "reject": {"--reason", "--comment"},
    }
    extra = sorted(set(given) - takes[kind])
    if extra:
        raise CliError(f"{kind} does not take {', '.join(extra)}. {allowed}")
    decision: dict[str, Any] = {"type": kind}
    if kind == "edit":
        if not given.get("--args"):
            raise CliError(f"edit needs --args JSON with the fields to change. {allowed}")
        try:
            edited = json.loads(given["--args"])
        except json.JSONDecodeError as exc:
            raise CliError(f"--args is not valid JSON ({exc}). {allowed}") from exc
        if not isinstance(edited, dict) or not edited:
            raise CliError(
                f"--args must be a non-empty JSON object, got {given['--args']!r}. {allowed}"
            )
        decision["args"] = edited
    elif kind == "revise":
        if not (given.get("--feedback") or "").strip():
            raise CliError(f"revise needs --feedback TEXT. {allowed}")
        decision["feedback"] = given["--feedback"]
    elif kind == "reject":
        if not (given.get("--reason") or "").strip():
            raise CliError(f"reject needs --reason TEXT. {allowed}")
        decision["reason"] = given["--reason"]
        if given.get("--comment"):
            decision["comment"] = given["--comment"]
    return decision


def cmd_decide(args: argparse.Namespace, home: Path) -> int:
    decision = decision_from_args(args)  # before opening anything: a bad decision saves nothing
    with _open(home) as s:
        item = next((p for p in s.pending() if p["id"] == args.id), None)
        try:
            summary = s.decide(args.id, decision, by=_who(args), on_progress=_progress(args))
        except RunStopped as exc:  # e.g. the model failed while redrafting after `revise`
            raise _stopped(exc, args.verbose) from exc
        campaign = s.campaign(summary["thread_id"])
    action_id = item["action_id"] if item else None
    outcomes = [o for o in campaign["outcomes"] if o["action_id"] == action_id]
    executed = [e for e in campaign["executed"] if e["action_id"] == action_id]
    result = {
        **summary,
        "decided": {
            "id": args.id,
            "action_id": action_id,
            "action": item["action"] if item else None,
            "decision": decision,
            "by": _who(args),
        },
        "outcomes": outcomes,
        "executed": executed,
    }
    if args.json:
        _emit(result)
        return EXIT_OK
    name = item["action"] if item else "action"
    print(f"{_past(decision['type'])} {name} ({action_id}) as {_who(args)}.")
    for o in outcomes:
        print(f"  {o['name']}: {o['status']}{_outcome_detail(o)}")
    for e in executed:
        print(f"  outbox key {e['key']} ({e['status']})")
    redrafts = [p for p in summary["pending"] if p["action_id"] == action_id]
    if decision["type"] == "revise" and redrafts:
        print(f"  The redraft is waiting for you: {redrafts[0]['id']}")
        print(textwrap.indent(_clip(redrafts[0].get("text") or "", 400), "    "))
    print(f"\nCampaign {summary['thread_id']} is {summary['status']}.", end="")
    if summary["pending"]:
        print(f" Still waiting: {len(summary['pending'])}.\n")
        print(_inbox_table(summary["pending"]))
        print(f"\nNext:\n  signoff decide {summary['pending'][0]['id']} approve")
    else:
        print(f"\n\nNext:\n  signoff show {summary['thread_id']}")
    return EXIT_OK


def _stopped(exc: RunStopped, verbose: bool) -> CliError:
    if verbose:
        log.error("the run stopped", exc_info=exc.__cause__)
    message = str(exc)
    thread_id = exc.thread_id
    if not verbose:
        message += " (-v shows the traceback)"
    return CliError(message, EXIT_ERROR, "stopped", thread_id=thread_id)


def cmd_retry(args: argparse.Namespace, home: Path) -> int:
    with _open(home) as s:
        try:
            result = s.retry(args.thread_id, on_progress=_progress(args))
        except RunStopped as exc:
            raise _stopped(exc, args.verbose) from exc
    if args.json:
        _emit(result)
        return EXIT_OK
    _print_summary(result)
    return EXIT_OK


def cmd_show(args: argparse.Namespace, home: Path) -> int:
    with _open(home) as s:
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
            print(textwrap.indent(_clip(_args_text(a["args"]), 300), "      "))
    print("\nDecisions:")
    for d in c["decisions"] or []:
        dec = d["decision"]
        extra = dec.get("feedback") or dec.get("reason") or ""
        applied = "applied" if d.get("applied_at") else "NOT APPLIED yet (run `signoff recover`)"
        print(
            f"  {d['at']}  {d['by']}: {dec['type']} {d['action_id']}  {_clip(extra, 60)}  [{applied}]"
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
    for r in rows:
        print(
            f"{r['thread_id']}  {r['status']:<8}  {r.get('created_at', '')}  {_clip(r['brief'].get('product', ''), 50)}"
        )
    return EXIT_OK


def cmd_reindex(args: argparse.Namespace, home: Path) -> int:
    with _open(home) as s:
        count = s.reindex()
        pending = len(s.pending())
    if args.json:
        _emit({"reindexed": count, "pending": pending})
    else:
        print(f"reindexed {count} campaign(s); {pending} action(s) pending")
    return EXIT_OK


def cmd_recover(args: argparse.Namespace, home: Path) -> int:
    with _open(home) as s:
        applied = s.recover()
    if args.json:
        _emit({"applied": applied})
    elif applied:
        print(f"applied {len(applied)} recorded decision(s): {' '.join(applied)}")
    else:
        print("nothing to recover: every recorded decision has been applied")
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace, Path], int]] = {
    "ui": cmd_ui,
    "new": cmd_new,
    "inbox": cmd_inbox,
    "decide": cmd_decide,
    "show": cmd_show,
    "retry": cmd_retry,
    "campaigns": cmd_campaigns,
    "reindex": cmd_reindex,
    "recover": cmd_recover,
}


# -- formatting -------------------------------------------------------------------------------
def _clip(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _args_text(args: dict[str, Any]) -> str:
    if "subject" in args:
        return f"To: {args.get('to')} · Subject: {args['subject']} · {args.get('body', '')}"
    if "text" in args:
        return str(args["text"])
    return json.dumps(args, ensure_ascii=False)


def _headline(item: dict[str, Any]) -> str:
    a = item.get("args") or {}
    return str(a.get("subject") or a.get("text") or item.get("title") or "")


def _inbox_table(items: list[dict[str, Any]], *, with_thread: bool = False) -> str:
    header = [
        "ID",
        *(["CAMPAIGN"] if with_thread else []),
        "ACTION",
        "RISK",
        "CONF",
        "CREATED",
        "WHAT",
    ]
    rows = [
        [
            i["id"],
            *([i["thread_id"][:8]] if with_thread else []),
            i["action"] + (f" (rev {i['revision']})" if i.get("revision") else ""),
            i["risk"],
            f"{i['confidence']:.2f}",
            str(i.get("created_at", ""))[:19],
            _clip(_headline(i), 48),
        ]
        for i in items
    ]
    widths = [max(len(str(r[k])) for r in [header, *rows]) for k in range(len(header))]
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in [header, *rows]
    ]
    for item, k in zip(items, range(1, len(lines)), strict=True):
        notes = [r for r in item.get("reasons", [])[1:]]  # the first reason is the risk tier
        if item.get("unsupported_claims"):
            notes = notes or [f"{len(item['unsupported_claims'])} claim(s) cite no evidence"]
        if notes:
            lines[k] += "\n    ! " + "\n    ! ".join(_clip(n, 100) for n in notes)
    return "\n".join(lines)


def _outcome_detail(o: dict[str, Any]) -> str:
    d = o.get("detail") or {}
    if o["status"] == "rejected":
        return f" ({d.get('reason', '')})"
    if "file" in d:
        return (
            f" → {d.get('path')}/new/{d['file']}"
            if d.get("transport") == "maildir"
            else f" → {d['file']}"
        )
    if "path" in d:
        return f" → {d['path']}" + (f" line {d['line']}" if "line" in d else "")
    if "error" in d:
        return f" ({_clip(d['error'], 100)})"
    return ""


def _past(kind: str) -> str:
    return {
        "approve": "Approved",
        "edit": "Edited and approved",
        "revise": "Sent back",
        "reject": "Rejected",
    }.get(kind, kind)


if __name__ == "__main__":
    raise SystemExit(main())
