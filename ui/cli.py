"""`signoff`: the command line over the same runtime facade the Streamlit page uses.

stdout holds only the result (JSON with `--json`); progress, warnings and errors go to stderr.
Exit codes: 0 done · 1 other error · 2 malformed input (nothing saved) · 3 already decided ·
4 not found · 5 busy (another process is updating the campaign) · 6 the audit chain is broken
(`signoff audit --verify`).
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
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
    RunStopped,
    SignoffError,
)
from graphs.humanize import clip, duration, to_epoch
from tools import redact
from tools.fetch import MB, FetchLimits

log = logging.getLogger("signoff.cli")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_INVALID = 2
EXIT_ALREADY_DECIDED = 3
EXIT_NOT_FOUND = 4
EXIT_BUSY = 5
EXIT_AUDIT_BROKEN = 6
EXIT_NOT_ALLOWED = 7

# The CLI flags each decision takes; the facade (graphs.decisions) validates the values.
DECISION_FLAGS = {
    "approve": "no fields",
    "edit": '--args JSON (the fields to change, e.g. \'{"subject": "..."}\')',
    "revise": "--feedback TEXT (what the writer should change)",
    "reject": "--reason TEXT [--comment TEXT]",
}
ALLOWED_HELP = "; ".join(f"{d}: {f}" for d, f in DECISION_FLAGS.items())
SETTLE_CHOICES = ("mark_sent", "send_again")
BY_HELP = "only your own identity ($SIGNOFF_USER or your login name); no one speaks for another"

EPILOG = """\
exit codes:
  0  done
  1  other error (the message says what happened; -v shows the traceback)
  2  malformed input: bad brief, bad decision or flags; nothing was saved
  3  already decided: someone (or the scheduler) got to this action or hold first; nothing changed
  4  not found: no pending action / campaign with that id
  5  busy: another process is updating the same campaign; try again
  6  audit chain broken (`audit --verify`): an entry was changed or removed; the message names it
  7  not allowed: the policy's authority does not let you do this (the attempt is audited)

environment:
  SIGNOFF_HOME       data directory (default ./.signoff); --home overrides it
  SIGNOFF_USER       who you are (default: your login name); set by the admin, mapped to a person
                     by the policy's `authority.people` (email or `logins`)
  SIGNOFF_SMTP_URL   send email over SMTP instead of into the Maildir under the data directory
  OPENAI_API_KEY     draft with OpenAI (SIGNOFF_MODEL=openai:<name>); unset: the embedded local model
  SIGNOFF_SCHEDULER  `off`: the Streamlit server does not release held actions (run `signoff worker`)
  SIGNOFF_JOB_LEASE_S  seconds a worker's claim on a run lasts without a heartbeat (default 60)

runs in workers:
  `new`, `decide`, `retry`, `cancel` and `send-now` record what you asked at once, queue the graph
  run for a worker (`signoff worker`; `make run` starts one) and wait for it, printing its progress
  from the database. If no worker is alive, they say so and run it themselves. `signoff jobs`
  shows the queue and the workers.
"""

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
        "--policy",
        default=default,
        metavar="FILE",
        help="policy YAML (default: $SIGNOFF_POLICY or the shipped graphs/policy.yaml)",
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

    p = add(
        "ui",
        "start the Streamlit app (127.0.0.1; another address only with sign-in configured)",
    )
    p.add_argument("--port", type=int, default=8501, help="port to listen on (default 8501)")
    p.add_argument(
        "--address",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1); any other needs [auth] in "
        ".streamlit/secrets.toml",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=0,
        metavar="N",
        help="also start N workers (`signoff worker`) that run the page's campaigns and "
        "decisions and stop with the page (`make run` starts 1); default 0: run them yourself",
    )

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

    p = add("inbox", "list the actions waiting for a decision, over all campaigns")
    _json_flag(p)
    p.add_argument("--page", type=int, default=1, metavar="N", help="which page (default 1)")
    p.add_argument(
        "--limit", type=int, default=100, metavar="N", help="items per page (default 100)"
    )
    p.add_argument("--campaign", metavar="ID", help="only this campaign")
    p.add_argument("--channel", help="only this channel (email, social, cms, ads)")
    p.add_argument("--risk", help="only this risk tier (low, medium, high)")
    p.add_argument(
        "--mine",
        action="store_true",
        help="only what you may decide (the policy's roles and thresholds)",
    )

    p = add(
        "decide",
        "approve, edit, send back or reject pending actions (one or several ids)",
        "Decide pending actions (IDs from `signoff inbox`): `signoff decide ID approve`, or several "
        "at once with a flag: `signoff decide ID1 ID2 ID3 --approve`. Several ids are one "
        "submission: every decision is checked first (one bad one saves nothing), then each "
        "campaign is resumed once. The first decision wins; a second decider gets exit code 3. "
        "Decisions are recorded at once; what follows (sending, a redraft) runs in a worker and "
        "this command waits for it, printing its progress (with no worker alive, it runs it "
        "itself). "
        f"Decisions: {ALLOWED_HELP}.",
    )
    p.set_defaults(parser=p)
    p.add_argument(
        "ids",
        nargs="+",
        metavar="ID",
        help="pending action id(s) from `signoff inbox`; without a flag below, the last word is "
        "the decision: {" + ",".join(DECISION_FLAGS) + "}",
    )
    flags = p.add_mutually_exclusive_group()
    for kind in DECISION_FLAGS:
        flags.add_argument(
            f"--{kind}",
            dest="decision_flag",
            action="store_const",
            const=kind,
            help=f"{kind} every ID given ({DECISION_FLAGS[kind]})",
        )
    p.add_argument(
        "--checked",
        action="store_true",
        help="approve: I checked the claims that cite no evidence (required for such drafts)",
    )
    p.add_argument("--args", metavar="JSON", help="edit: the fields to change, as a JSON object")
    p.add_argument("--feedback", metavar="TEXT", help="revise: what the writer should change")
    p.add_argument("--reason", metavar="TEXT", help="reject: why it must not go out")
    p.add_argument("--comment", metavar="TEXT", help="reject: an optional note")
    p.add_argument(
        "--seen",
        metavar="HASH",
        help="the version you reviewed (its hash from `signoff inbox`, at least 8 characters); "
        "refused if the draft changed since",
    )
    p.add_argument("--by", default=None, metavar="NAME", help=BY_HELP)
    _json_flag(p)

    p = add("show", "a campaign: status, decisions, executed actions and their outbox keys")
    p.add_argument("thread_id", metavar="THREAD_ID")
    _json_flag(p)

    p = add(
        "retry",
        "carry on a campaign that stopped part-way (model error, crash)",
    )
    p.add_argument("thread_id", metavar="THREAD_ID")
    p.add_argument(
        "--queue",
        action="store_true",
        help="queue the run for a worker (`signoff worker`) instead of running it here",
    )
    _json_flag(p)

    p = add("campaigns", "list campaigns, newest first")
    _json_flag(p)

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

    # -- holds and the scheduler --
    p = add(
        "worker",
        "a worker in the foreground: runs queued campaigns and decisions, releases held actions",
        "Run a worker in the foreground: it runs the graph runs the page and the CLI queue (new "
        "campaigns, decisions, send-backs, retries, hold releases), one at a time, under a lease "
        "it keeps alive; a worker that dies is replaced by the next one that asks (its run is "
        "taken over from the last checkpoint). Every --interval seconds it also releases approved "
        "actions whose hold window is over, expires stale inbox items and sends reminders. Each "
        "release and run is logged on stdout (one JSON object per line with --json). Ctrl-C (or "
        "SIGTERM) stops it cleanly after the current run. Run several, on one machine or more, "
        "over one database; `signoff jobs` shows them.",
    )
    p.add_argument(
        "--interval",
        type=_positive_float,
        default=1.0,
        metavar="S",
        help="seconds between two scheduler steps (default 1)",
    )
    p.add_argument(
        "--langgraph-url",
        metavar="URL",
        help="instead, watch the threads of LangGraph's server at URL (langgraph dev, a "
        "deployment): release their holds and expire their reviews on time",
    )
    p.add_argument("--graph", default="campaign", help="the graph's name there (campaign)")
    p.add_argument("--once", action="store_true", help="one step, then exit")
    p.add_argument(
        "--parent",
        type=int,
        metavar="PID",
        help="stop when process PID ends (how `signoff ui --workers` ties its workers to it)",
    )
    p.add_argument(
        "--warm-model",
        action="store_true",
        help="start (or join) the machine's model server at once instead of at the first draft",
    )
    _json_flag(p)

    p = add("holds", "approved actions waiting out their hold window, with time left")
    _json_flag(p)
    for name, what in (
        ("cancel", "cancel a held action: it will not go out"),
        ("send-now", "send a held action now instead of at its release time"),
    ):
        p = add(name, what)
        p.add_argument(
            "hold_id",
            metavar="ID",
            help="the hold's id (from `signoff holds`), or the id of the review that approved it",
        )
        _by(p)
        _json_flag(p)

    # -- after the fact --
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
    p.add_argument("--thread", metavar="THREAD_ID", help="only this campaign")
    p.add_argument("--event", metavar="EVENT", help="only this event, e.g. decision.recorded")
    p.add_argument("--actor", metavar="NAME", help="only entries by this person or process")
    p.add_argument(
        "--limit", type=_positive_int, default=50, metavar="N", help="at most N entries (50)"
    )
    _json_flag(p)

    # -- trouble --
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

    # -- policy and autonomy --
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

    _register_knowledge_base(sub)
    return parser


def _by(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--by", default=None, metavar="NAME", help=BY_HELP)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected more than 0, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, got {text!r}")
    return value


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
    global _POLICY
    _POLICY = str(Path(args.policy).expanduser().resolve()) if args.policy else None
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


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )
    redact.install()


def _fail(as_json: bool, code: int, kind: str, message: str, **extra: Any) -> int:
    message = " ".join(message.split())  # one line
    print(f"signoff: {message}", file=sys.stderr)
    if as_json:
        _emit({"error": kind, "message": message, "exit_code": code, **extra})
    return code


def _emit(obj: Any) -> None:
    print(json.dumps(obj, indent=2, ensure_ascii=False, default=str))


_POLICY: str | None = None  # --policy FILE of this invocation (else $SIGNOFF_POLICY / shipped)


def _open(home: Path, *, queued: bool = True) -> Any:
    from graphs.runtime import Signoff

    # Start-up recovery touches other campaigns (and may call the model or a connector): only
    # `signoff recover` (and the worker) does it, so reading the inbox never waits on another
    # process's lease. Graph runs go to the run queue (`_await` waits for them).
    return Signoff(home, recover=False, policy_path=_POLICY, queued=queued)


def _await(s: Any, result: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """Wait for the run a command queued (`result["job"]`), printing its progress as the worker
    writes it; with no worker alive, run it here. The campaign's summary after the run, in the
    shape the command always printed."""
    job_id = result.pop("job", None)
    if job_id is None:
        return result

    def no_worker() -> None:
        if not args.quiet:
            print(
                "  No worker is running (`signoff worker`, or `make run`): running it here.",
                file=sys.stderr,
                flush=True,
            )

    job = s.wait_for(job_id, on_progress=_progress(args), on_no_worker=no_worker)
    thread_id = result.get("thread_id") or job["thread_id"]
    if job["status"] == "failed":
        error = str(job.get("error") or "")
        if error.startswith("RunStopped: "):
            message = error[len("RunStopped: ") :]
        else:
            message = (
                f"The campaign {thread_id} stopped part-way: {error}. Everything so far is saved; "
                f"carry on with `signoff retry {thread_id}` or the Retry button on its page."
            )
        raise CliError(message, EXIT_ERROR, "stopped", thread_id=thread_id)
    return {**result, **s.summary(thread_id)}


def _progress(args: argparse.Namespace) -> Callable[[str, str], None] | None:
    if args.quiet:
        return None

    def show(step: str, message: str) -> None:
        print(f"  {step}: {message}", file=sys.stderr, flush=True)

    return show


def _identity() -> str:
    """Who runs the CLI: $SIGNOFF_USER (set by the admin) or the operating-system user."""
    env = os.environ.get("SIGNOFF_USER", "").strip()
    if env:
        return env
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "marketer"


def _who(args: argparse.Namespace) -> str:
    """The identity decisions are recorded under; `--by` may only repeat it."""
    me = _identity()
    by = getattr(args, "by", None)
    if by and by.strip().lower() != me.lower():
        raise CliError(
            f"--by {by!r} would speak for someone else: you are {me!r} ($SIGNOFF_USER or your "
            "login name). Drop --by; to act as another person, sign in as them. Nothing was saved."
        )
    return me


# -- commands ---------------------------------------------------------------------------------
def cmd_ui(args: argparse.Namespace, home: Path) -> int:
    from ui.hosts import HOW_TO_SIGN_IN, auth_section, is_loopback

    app = Path(__file__).with_name("serve.py")  # the app behind a Host check
    if not app.exists():
        raise CliError(f"The Streamlit app is missing: expected {app}.", EXIT_ERROR)
    signed_in = auth_section() is not None
    if not signed_in and not is_loopback(args.address):
        raise CliError(
            f"Refusing to serve {args.address!r} without sign-in. {HOW_TO_SIGN_IN}", EXIT_INVALID
        )
    command = [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.address", args.address,
        "--server.port", str(args.port),
        "--server.headless", "true",
        "--server.maxUploadSize", str(max(1, FetchLimits.from_env().max_bytes // MB)),
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    mode = "sign-in required" if signed_in else "local mode: you are " + _identity()
    print(
        f"Signoff on http://{args.address}:{args.port} ({mode}; data in {home}); Ctrl-C stops it.",
        file=sys.stderr,
    )
    sys.stdout.flush()
    sys.stderr.flush()
    # The app reads its data directory from the environment.
    env = {**os.environ, "SIGNOFF_HOME": str(home)}
    if _POLICY:
        env["SIGNOFF_POLICY"] = _POLICY
    for _ in range(max(0, args.workers)):  # they stop when this process (then Streamlit) ends
        worker = [sys.executable, "-m", "ui", "worker", "--parent", str(os.getpid())]
        subprocess.Popen([*worker, "--warm-model", "-q"], env=env)
    if args.workers > 0:
        print(
            f"{args.workers} worker(s) run the campaigns; `signoff jobs` shows them.",
            file=sys.stderr,
        )
        sys.stderr.flush()
    os.execvpe(command[0], command, env)
    return EXIT_OK  # pragma: no cover - execvp does not return


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
                print(f"  audience: {len(audience)} recipient(s)", file=sys.stderr, flush=True)
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
        view = s.pending_page(
            args.page,
            args.limit,
            campaign=args.campaign,
            channel=args.channel,
            risk=args.risk,
            person=_identity(),
            decider=_identity() if args.mine else None,
        )
    items = view["items"]
    if args.json:
        _emit(items)
        return EXIT_OK
    if not items:
        print(
            (
                "Nothing is waiting that you may decide."
                if args.mine
                else "Nothing is waiting for a decision."
            )
            if not view["pending"]
            else f"Page {view['page']} is past the last page ({view['pages']})."
        )
        return EXIT_OK
    print(_inbox_table(items, with_thread=True))
    print("\nVersions (decide with --seen VERSION to bind your decision to what you read):")
    for item in items:
        print(f"  {item['id']}  version {item['content_hash'][:12]}  {_authority_line(item)}")
    more = (
        f" Page {view['page']} of {view['pages']}; next: signoff inbox --page {view['page'] + 1}."
        if view["page"] < view["pages"]
        else ""
    )
    print(
        f"\n{view['pending']} pending.{more} Decide with: signoff decide ID "
        f"{{{','.join(DECISION_FLAGS)}}}"
    )
    return EXIT_OK


def _authority_line(item: dict[str, Any]) -> str:
    """'you can decide it' / 'approved by ann@…; needs a budget owner: bob@…'."""
    view = item.get("authority") or {}
    if view.get("local"):
        return ""
    parts = [f"approved by {', '.join(view['approvals'])}"] if view.get("approvals") else []
    if view.get("can_approve") and view.get("completes"):
        parts.append("you can decide it")
    elif view.get("can_approve"):
        parts.append("you can approve; it then still " + "; ".join(view.get("still_needs", [])))
    else:
        parts.append(
            f"{view.get('needs', '')}: {', '.join(view.get('who', []))}"
            if not view.get("can_decide")
            else (view.get("why_not") or "")
        )
    return "; ".join(p for p in parts if p)


def split_decide_args(args: argparse.Namespace) -> tuple[list[str], str]:
    """`decide ID [ID ...] DECISION` or `decide ID [ID ...] --DECISION`: (ids, decision word)."""
    words = list(args.ids)
    flag = getattr(args, "decision_flag", None)
    if flag:
        if len(words) > 1 and words[-1] in DECISION_FLAGS:
            raise CliError(
                f"Give the decision once: --{flag} or the word {words[-1]!r}, not both. "
                "Nothing was saved."
            )
        return words, flag
    if len(words) < 2:
        parser = getattr(args, "parser", None)
        if parser is not None:
            parser.print_usage(sys.stderr)
        raise CliError(
            "the following arguments are required: {" + ",".join(DECISION_FLAGS) + "} "
            "(or one of " + ", ".join(f"--{d}" for d in DECISION_FLAGS) + ") "
            "(see `signoff decide --help`)",
            EXIT_INVALID,
            "usage",
        )
    return words[:-1], words[-1]


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
        except RecursionError as exc:
            raise CliError(f"--args is nested too deeply to be an edit. {allowed}") from exc
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
    if getattr(args, "checked", False):
        if kind != "approve":
            raise CliError(f"--checked goes with approve, not {kind}. {allowed}")
        decision["checked"] = True
    if getattr(args, "seen", None):
        decision["seen"] = args.seen.strip()
    return decision


def cmd_decide(args: argparse.Namespace, home: Path) -> int:
    ids, args.decision = split_decide_args(args)
    decision = decision_from_args(args)  # before opening anything: a bad decision saves nothing
    if len(set(ids)) != len(ids):
        raise CliError(f"An id is given twice in {ids}. Nothing was saved.")
    if len(ids) > 1:
        return _decide_many(args, home, ids, decision)
    args.id = ids[0]
    with _open(home) as s:
        item = next((p for p in s.pending() if p["id"] == args.id), None)
        try:
            summary = s.decide(args.id, decision, by=_who(args), on_progress=_progress(args))
            summary = _await(s, summary, args)
        except RunStopped as exc:  # e.g. the model failed while redrafting after `revise`
            raise _stopped(exc, args.verbose) from exc
        campaign = s.campaign(summary["thread_id"])
        action_id = item["action_id"] if item else None
        held = [
            h
            for h in s.holds()
            if h["thread_id"] == summary["thread_id"] and h["action_id"] == action_id
        ]
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
        "held": held,
    }
    if args.json:
        _emit(result)
        return EXIT_OK
    name = item["action"] if item else "action"
    still = summary.get("waiting_for", {}).get(args.id)
    if still:
        print(f"Your approval of {name} ({action_id}) is recorded; it still {'; '.join(still)}.")
        return EXIT_OK
    print(f"{_past(decision['type'])} {name} ({action_id}) as {_who(args)}.")
    for o in outcomes:
        print(f"  {o['name']}: {o['status']}{_outcome_detail(o)}")
    for e in executed:
        print(f"  outbox key {e['key']} ({e['status']})")
    if (
        item
        and item.get("batch")
        and decision["type"] in ("approve", "edit")
        and not outcomes
        and not held
    ):
        print(
            f"  It goes out when the rest of its batch ({item['batch']}) is decided: "
            f"`signoff inbox` lists them; several at once: `signoff decide ID ID ... --approve`."
        )
    for h in held:
        print(
            f"  held until {_clock(h['release_at'])} ({duration(h['seconds_left'])} left): "
            f"`signoff cancel {h['id']}` stops it, `signoff send-now {h['id']}` sends it now"
        )
    redrafts = [p for p in summary["pending"] if p["action_id"] == action_id]
    if decision["type"] == "revise" and redrafts:
        print(f"  The redraft is waiting for you: {redrafts[0]['id']}")
        print(textwrap.indent(clip(redrafts[0].get("text") or "", 400), "    "))
    print(f"\nCampaign {summary['thread_id']} is {summary['status']}.", end="")
    if summary["pending"]:
        print(f" Still waiting: {len(summary['pending'])}.\n")
        print(_inbox_table(summary["pending"]))
        print(f"\nNext:\n  signoff decide {summary['pending'][0]['id']} approve")
    else:
        print(f"\n\nNext:\n  signoff show {summary['thread_id']}")
    return EXIT_OK


def _decide_many(
    args: argparse.Namespace, home: Path, ids: list[str], decision: dict[str, Any]
) -> int:
    """Several ids, one decision: one `decide_many` call (all checked first, one resume each)."""
    if decision["type"] == "edit":
        raise CliError(
            "edit takes one ID: the edited fields belong to one draft. Nothing was saved."
        )
    with _open(home) as s:
        items = {p["id"]: p for p in s.pending()}
        try:
            summaries = s.decide_many(
                {i: dict(decision) for i in ids}, by=_who(args), on_progress=_progress(args)
            )
            summaries = [_await(s, summary, args) for summary in summaries]
        except RunStopped as exc:
            raise _stopped(exc, args.verbose) from exc
        action_ids = {(items[i]["thread_id"], items[i]["action_id"]) for i in ids if i in items}
        threads = sorted({t for t, _ in action_ids})
        campaigns = [s.campaign(t) for t in threads]
        held = [h for h in s.holds() if (h["thread_id"], h["action_id"]) in action_ids]
    outcomes = [
        o
        for c in campaigns
        for o in c["outcomes"]
        if (c["thread_id"], o["action_id"]) in action_ids
    ]
    executed = [
        e
        for c in campaigns
        for e in c["executed"]
        if (c["thread_id"], e["action_id"]) in action_ids
    ]
    result = {
        "decided": [
            {
                "id": i,
                "thread_id": items.get(i, {}).get("thread_id"),
                "action_id": items.get(i, {}).get("action_id"),
                "action": items.get(i, {}).get("action"),
            }
            for i in ids
        ],
        "decision": decision,
        "by": _who(args),
        "campaigns": summaries,
        "outcomes": outcomes,
        "executed": executed,
        "held": held,
    }
    if args.json:
        _emit(result)
        return EXIT_OK
    print(f"{_past(decision['type'])} {len(ids)} actions as {_who(args)}:")
    for i in ids:
        item = items.get(i, {})
        print(f"  {i}  {item.get('action', '?')} ({item.get('action_id', '?')})")
    for o in outcomes:
        print(f"  {o['name']} ({o['action_id']}): {o['status']}{_outcome_detail(o)}")
    for h in held:
        print(
            f"  {h['action']} ({h['action_id']}) is held until {_clock(h['release_at'])}: "
            f"`signoff cancel {h['id']}` stops it"
        )
    still = [p for summary in summaries for p in summary.get("pending", [])]
    if still:
        print(f"\nStill waiting: {len(still)}.\n")
        print(_inbox_table(still, with_thread=True))
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
    if args.queue:
        with _open(home) as s:
            s.summary(args.thread_id)  # NotFound for an unknown campaign
            job = s.enqueue_run("retry", args.thread_id)
        if args.json:
            _emit({"job": job, "thread_id": args.thread_id, "status": "queued"})
        else:
            print(f"Queued as job {job}; a worker (`signoff worker`) carries it on.")
        return EXIT_OK
    with _open(home) as s:
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
    for r in rows:
        print(
            f"{r['thread_id']}  {r['status']:<8}  {r.get('created_at', '')}  {clip(r['brief'].get('product', ''), 50)}"
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
    with _open(home, queued=False) as s:  # the operator's explicit repair runs here
        applied = s.recover()
    if args.json:
        _emit({"applied": applied})
    elif applied:
        print(f"applied {len(applied)} recorded decision(s): {' '.join(applied)}")
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
    print(f"{verb} the checkpoints of {len(pruned)} finished campaign(s)")
    for thread_id in pruned:
        print(f"  {thread_id}")
    return EXIT_OK


# -- holds and the scheduler ------------------------------------------------------------------
def cmd_worker(args: argparse.Namespace, home: Path) -> int:
    """The scheduler in the foreground: one `tick()` every --interval seconds until stopped."""
    stop = threading.Event()
    previous = _on_sigterm(stop)
    released = 0
    if getattr(args, "parent", None):
        _stop_with(args.parent, stop)
    if getattr(args, "warm_model", False):
        threading.Thread(target=_warm_model, name="signoff-warm-model", daemon=True).start()
    if args.langgraph_url:
        from ui import cli_server

        try:
            return cli_server.run(args, stop)
        except KeyboardInterrupt:
            return EXIT_OK
        finally:
            _restore_sigterm(previous)
    ran = 0
    try:
        with _open_recovering(home) as s:
            print(
                f"Signoff worker on {home}: runs queued campaigns and decisions; a scheduler "
                f"step every {args.interval:g} s; Ctrl-C stops it.",
                file=sys.stderr,
                flush=True,
            )

            def step() -> None:
                nonlocal released
                try:
                    # What each id is, for the log line (tick() reports ids only).
                    known = {h["id"]: h for h in s.holds()}
                    known.update({p["id"]: p for p in s.pending()})
                    result = s.tick()
                except KeyboardInterrupt:
                    raise
                except Busy as exc:  # a person is deciding on the same campaign: next step
                    log.warning("scheduler step skipped: %s", exc)
                    result, known = {}, {}
                except Exception:  # keep releasing the other holds; say what failed
                    log.exception("scheduler step failed; trying again in %s s", args.interval)
                    result, known = {}, {}
                released += len(result.get("released") or [])
                _report_tick(result, known, as_json=args.json)

            def on_job(job: dict[str, Any]) -> None:
                nonlocal ran
                ran += 1
                _report_job(job, as_json=args.json)

            s.serve(stop, interval=args.interval, once=args.once, step=step, on_job=on_job)
    except KeyboardInterrupt:
        pass
    finally:
        _restore_sigterm(previous)
    print(f"worker stopped ({released} released) after {ran} run(s)", file=sys.stderr, flush=True)
    return EXIT_OK


def _report_job(job: dict[str, Any], *, as_json: bool) -> None:
    """One line per run the worker finished."""
    entry = {k: job.get(k) for k in ("id", "kind", "thread_id", "status", "attempts", "error")}
    if as_json:
        print(json.dumps({"event": "job", "at": time.time(), "job": entry}, default=str))
    else:
        what = {"start": "drafted", "apply": "applied decisions", "retry": "carried on"}
        line = f"{_stamp()}  job {job['id']}: {what.get(job['kind'], job['kind'])} for campaign "
        line += f"{str(job['thread_id'])[:8]} → {job['status']}"
        if job.get("error"):
            line += f" ({clip(str(job['error']), 160)})"
        print(line)
    sys.stdout.flush()


def _stop_with(parent: int, stop: threading.Event) -> None:
    """Set `stop` when process `parent` ends (a worker started by `signoff ui --workers`)."""

    def watch() -> None:
        while not stop.wait(1.0):
            if os.getppid() != parent:
                log.warning("process %s ended: this worker stops", parent)
                stop.set()

    threading.Thread(target=watch, name="signoff-parent-watch", daemon=True).start()


def _warm_model() -> None:
    """Start (or join) the machine's model server now, so the first draft does not wait."""
    try:
        from graphs.model import load_chat_model

        load_chat_model()
    except Exception as exc:  # the first draft will say what is wrong
        log.warning("could not start the model yet: %s", exc)


def _open_recovering(home: Path) -> Any:
    """The worker applies decisions recorded before a crash first, like the app's server."""
    from graphs.runtime import Signoff

    return Signoff(home, recover=True, policy_path=_POLICY, queued=True)


def _on_sigterm(stop: threading.Event) -> Any:
    if threading.current_thread() is not threading.main_thread():
        return None

    def handle(signum: int, frame: Any) -> None:
        stop.set()

    return signal.signal(signal.SIGTERM, handle)


def _restore_sigterm(previous: Any) -> None:
    if previous is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, previous)


TICK_WORDS = {
    "released": "released",
    "expired": "expired (nobody decided in time)",
    "reminded": "reminder: expires soon",
}


def _report_tick(result: dict[str, Any], known: dict[str, Any], *, as_json: bool) -> None:
    """One line per released / expired / reminded item, as it happens."""
    for kind, word in TICK_WORDS.items():
        for ref in result.get(kind) or []:
            entry = ref
            if isinstance(ref, str) and ref in known:
                item = known[ref]
                entry = {
                    "id": ref,
                    "thread_id": item.get("thread_id"),
                    "action_id": item.get("action_id"),
                    "action": item.get("action"),
                    "title": item.get("title"),
                }
            if as_json:
                print(json.dumps({"event": kind, "at": time.time(), "item": entry}, default=str))
            else:
                print(f"{_stamp()}  {word}: {_describe_entry(entry)}")
            sys.stdout.flush()


def _describe_entry(entry: Any) -> str:
    if not isinstance(entry, dict):
        return str(entry)
    what = entry.get("title") or entry.get("action") or entry.get("action_id") or ""
    where = entry.get("thread_id")
    parts = [str(what)]
    if entry.get("action_id") and entry.get("action_id") != what:
        parts.append(f"({entry['action_id']})")
    if where:
        parts.append(f"campaign {str(where)[:8]}")
    if entry.get("id"):
        parts.append(f"id {entry['id']}")
    status = entry.get("status") or (entry.get("outcome") or {}).get("status")
    if status:
        parts.append(f"→ {status}")
    return " ".join(parts)


def cmd_holds(args: argparse.Namespace, home: Path) -> int:
    with _open(home) as s:
        holds = s.holds()
    if args.json:
        _emit(holds)
        return EXIT_OK
    if not holds:
        print("Nothing is held: approved actions with a hold window wait here until release.")
        return EXIT_OK
    header = ["ID", "CAMPAIGN", "ACTION", "RELEASES", "LEFT", "APPROVED BY", "WHAT"]
    rows = [
        [
            h["id"],
            h["thread_id"][:8],
            h["action"],
            _clock(h["release_at"]),
            duration(h["seconds_left"]),
            h.get("approved_by") or "",
            clip(_headline(h), 48),
        ]
        for h in holds
    ]
    print(_table(header, rows))
    print(
        f"\n{len(holds)} held. `signoff cancel ID` stops one; `signoff send-now ID` sends it now; "
        "`signoff worker` (or the app) releases them on time."
    )
    return EXIT_OK


def _hold_command(args: argparse.Namespace, home: Path, verb: str) -> int:
    with _open(home) as s:
        hold_id = s.resolve_hold(args.hold_id)
        hold = next((h for h in s.holds() if h["id"] == hold_id), None)
        call = s.cancel if verb == "cancel" else s.send_now
        summary = _await(s, call(hold_id, by=_who(args)), args)
        outcomes: list[dict[str, Any]] = []
        if hold is not None:
            campaign = s.campaign(hold["thread_id"])
            outcomes = [o for o in campaign["outcomes"] if o["action_id"] == hold["action_id"]]
    result = {
        **(summary if isinstance(summary, dict) else {"result": summary}),
        "hold": hold,
        verb.replace("-", "_"): hold_id,
        "by": _who(args),
        "outcomes": outcomes,
    }
    if args.json:
        _emit(result)
        return EXIT_OK
    name = (hold or {}).get("title") or (hold or {}).get("action") or "the held action"
    if verb == "cancel":
        print(f"Cancelled {name} ({hold_id}) as {_who(args)}: it will not go out.")
    else:
        print(f"Sent {name} ({hold_id}) now, as {_who(args)}.")
    for o in outcomes:
        print(f"  {o['name']}: {o['status']}{_outcome_detail(o)}")
    return EXIT_OK


def cmd_cancel(args: argparse.Namespace, home: Path) -> int:
    return _hold_command(args, home, "cancel")


def cmd_send_now(args: argparse.Namespace, home: Path) -> int:
    return _hold_command(args, home, "send-now")


# -- after the fact -----------------------------------------------------------------------------
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
            done = s.undo(args.key, by=_who(args))
            return _done(args, done, f"Undone {args.key} as {_who(args)}.")
        rows = s.undoable()
    if args.json:
        _emit(rows)
        return EXIT_OK
    if not rows:
        print("Nothing to undo: executed reversible actions (e.g. published posts) show here.")
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
            thread_id=args.thread, event=args.event, actor=args.actor, limit=args.limit
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


# -- trouble --------------------------------------------------------------------------------------
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
        done = s.settle(args.key, args.choice, by=_who(args))
    words = {
        "mark_sent": "Marked as sent: it will not be sent again.",
        "send_again": "Sent again.",
    }
    return _done(args, done, f"{args.key}: {words[args.choice]}")


def cmd_failed(args: argparse.Namespace, home: Path) -> int:
    with _open(home) as s:
        if args.retry:
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


# -- policy and autonomy --------------------------------------------------------------------------
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
        f"Replayed the last {result['replayed']} decided action(s) under {candidate.name} "
        f"(against policy {result.get('policy_version', '?')}):"
    )
    print(f"  reviews now:             {result['reviews_now']}")
    print(f"  reviews with candidate:  {result['reviews_candidate']}")
    print(f"  reviews saved:           {result['saved']}")
    through = result.get("let_through") or []
    if not through:
        print("\nIt lets nothing through that a person reviews today.")
        return EXIT_OK
    print(f"\nIt would have let {len(through)} action(s) through without a person:")
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


def _done(args: argparse.Namespace, result: Any, message: str) -> int:
    """The result of a one-shot action: its JSON with --json, else one line."""
    if args.json:
        _emit(result)
    else:
        print(message)
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
    "prune": cmd_prune,
    "worker": cmd_worker,
    "holds": cmd_holds,
    "cancel": cmd_cancel,
    "send-now": cmd_send_now,
    "notifications": cmd_notifications,
    "undo": cmd_undo,
    "audit": cmd_audit,
    "in-doubt": cmd_in_doubt,
    "settle": cmd_settle,
    "failed": cmd_failed,
    "policy": cmd_policy,
    "autonomy": cmd_autonomy,
    "simulate": cmd_simulate,
}


# -- formatting -------------------------------------------------------------------------------
def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[k])) for r in [header, *rows]) for k in range(len(header))]
    return "\n".join(
        "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in [header, *rows]
    )


def _clock(value: Any) -> str:
    """Epoch or ISO time → '2026-11-21 14:05:09' (local time)."""
    epoch = to_epoch(value)
    if epoch is None:
        return str(value or "")
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))


def _stamp() -> str:
    return time.strftime("%H:%M:%S")


def _detail_text(detail: Any) -> str:
    if not isinstance(detail, dict):
        return str(detail or "")
    return " ".join(
        f"{k}={v if isinstance(v, str | int | float) else json.dumps(v, default=str)}"
        for k, v in detail.items()
    )


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
            clip(_headline(i), 48),
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
        if item.get("batch") and (item.get("batch_size") or 0) > 1:
            notes.append(f"one of a batch of {item['batch_size']} ({item['batch']})")
        if item.get("expires_at"):
            left = duration(item["expires_at"] - time.time())
            word = "REMINDER: expires" if item.get("reminder") else "expires"
            notes.append(f"{word} in {left}" if left != "now" else "expires now")
        if notes:
            lines[k] += "\n    ! " + "\n    ! ".join(clip(n, 100) for n in notes)
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
        return f" ({clip(d['error'], 100)})"
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
