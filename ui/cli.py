"""`signoff`: the command line over the same runtime facade the Streamlit page uses.

stdout holds only the result (JSON with `--json`); progress, warnings and errors go to stderr.
Exit codes: 0 done · 1 other error · 2 malformed input (nothing saved) · 3 already decided ·
4 not found · 5 busy (another process is updating the campaign) · 6 the audit chain is broken
(`signoff audit --verify`).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from graphs.errors import (
    AlreadyDecided,
    Busy,
    DraftChanged,
    InvalidInput,
    NotAllowed,
    NotFound,
    SignoffError,
)
from tools import redact
from ui import (
    cli_app,
    cli_autonomy,
    cli_campaigns,
    cli_common,
    cli_decide,
    cli_holds,
    cli_maintain,
    cli_new,
    cli_review,
    cli_trouble,
    cli_worker,
)
from ui.cli_common import (  # noqa: F401 - the exit codes stay importable as ui.cli.EXIT_*
    EPILOG,
    EXIT_ALREADY_DECIDED,
    EXIT_AUDIT_BROKEN,
    EXIT_BUSY,
    EXIT_ERROR,
    EXIT_INVALID,
    EXIT_NOT_ALLOWED,
    EXIT_NOT_FOUND,
    EXIT_OK,
    CliError,
    _common,
    _fail,
)

log = logging.getLogger("signoff.cli")

COMMAND_GROUPS = """\
commands by task:
  start      new · campaigns · show · retry
  decide     inbox · decide (one or several ids at once)
  holds      holds · cancel · send-now
  workers    worker (runs queued campaigns, releases holds) · jobs (the queue, the workers)
  review     notifications (acknowledge / flag) · undo · audit (--verify, --csv)
  trouble    in-doubt · settle · failed (--retry) · recover · reindex · prune
  autonomy   policy · autonomy (--promote) · simulate
  knowledge  kb add (--text --product) · kb list · kb search · kb passages · kb remove
  brand      brand (show, set, rule add, rule edit, rule remove)
  app        ui
"""


# -- parser -----------------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    """Usage errors become CliError (exit 2), so `--json` callers get a JSON error too."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise CliError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="signoff",
        description="Signoff: the AI drafts marketing actions, a person signs them off.",
        epilog=COMMAND_GROUPS + "\n" + EPILOG,
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

    for module in (
        cli_app,
        cli_new,
        cli_decide,
        cli_campaigns,
        cli_maintain,
        cli_worker,
        cli_holds,
        cli_review,
        cli_trouble,
        cli_autonomy,
    ):
        module.add_parsers(add)

    _register_knowledge_base(sub)
    return parser


def _register_knowledge_base(sub: Any) -> None:
    """The knowledge-base commands (`ui/cli_kb.py`: `signoff kb ...`) add their own sub-parsers.

    A registered parser names its handler with `set_defaults(handler=fn)` (fn(args, home) ->
    exit code), and/or `register()` returns {command: fn}.
    """
    from ui import cli_brand, cli_jobs, cli_kb

    for module in (cli_kb, cli_brand, cli_jobs):
        registered = module.register(sub)
        if isinstance(registered, dict):
            COMMANDS.update(registered)


# -- entry point ------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:  # `signoff holds --json | head`: the reader left; not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def _main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:  # said by the command's own parser: its usage, not the top level's
            _command_parser(parser, args).error(f"unrecognized arguments: {' '.join(extra)}")
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
    cli_common._POLICY = str(Path(args.policy).expanduser().resolve()) if args.policy else None
    as_json = bool(getattr(args, "json", False))
    handler = getattr(args, "handler", None) or COMMANDS[args.command]
    try:
        return int(handler(args, home))
    except CliError as exc:
        return _fail(as_json, exc.code, exc.kind, str(exc), **exc.extra)
    except (NotAllowed, DraftChanged) as exc:
        if isinstance(exc, NotAllowed):
            return _fail(as_json, EXIT_NOT_ALLOWED, "not_allowed", str(exc))
        return _fail(as_json, EXIT_ALREADY_DECIDED, "draft_changed", str(exc))
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
    except BrokenPipeError:
        raise
    except Exception as exc:
        log.debug("unexpected error", exc_info=True)
        hint = "" if args.verbose else " (run with -v for the traceback)"
        if args.verbose:
            log.exception("unexpected error")
        return _fail(as_json, EXIT_ERROR, "error", f"{type(exc).__name__}: {exc}{hint}")


def _command_parser(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> argparse.ArgumentParser:
    """The parser of the (sub)command `args` ran: `signoff kb add`'s for `kb add --bogus`."""
    while True:
        chosen = None
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                name = getattr(args, action.dest or "", None)
                chosen = action.choices.get(name) if name else None
        if chosen is None:
            return parser
        parser = chosen


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )
    redact.install()


COMMANDS: dict[str, Callable[[argparse.Namespace, Path], int]] = {
    "ui": cli_app.cmd_ui,
    "new": cli_new.cmd_new,
    "inbox": cli_decide.cmd_inbox,
    "decide": cli_decide.cmd_decide,
    "show": cli_campaigns.cmd_show,
    "retry": cli_campaigns.cmd_retry,
    "campaigns": cli_campaigns.cmd_campaigns,
    "reindex": cli_maintain.cmd_reindex,
    "recover": cli_maintain.cmd_recover,
    "prune": cli_maintain.cmd_prune,
    "worker": cli_worker.cmd_worker,
    "holds": cli_holds.cmd_holds,
    "cancel": cli_holds.cmd_cancel,
    "send-now": cli_holds.cmd_send_now,
    "notifications": cli_review.cmd_notifications,
    "undo": cli_review.cmd_undo,
    "audit": cli_review.cmd_audit,
    "in-doubt": cli_trouble.cmd_in_doubt,
    "settle": cli_trouble.cmd_settle,
    "failed": cli_trouble.cmd_failed,
    "policy": cli_autonomy.cmd_policy,
    "autonomy": cli_autonomy.cmd_autonomy,
    "simulate": cli_autonomy.cmd_simulate,
}


if __name__ == "__main__":
    raise SystemExit(main())
