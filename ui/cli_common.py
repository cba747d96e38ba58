"""What every `signoff` command shares: exit codes, the usage error, the common options, how
a result is printed, the runtime it opens and who runs it."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from graphs.errors import RunStopped

log = logging.getLogger("signoff.cli")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_INVALID = 2
EXIT_ALREADY_DECIDED = 3
EXIT_NOT_FOUND = 4
EXIT_BUSY = 5
EXIT_AUDIT_BROKEN = 6
EXIT_NOT_ALLOWED = 7

BY_HELP = "only your own identity ($SIGNOFF_USER or your login name); no one speaks for another"

EPILOG = """\
exit codes:
  0  done
  1  other error (the message says what happened; -v also prints its traceback)
  2  malformed input: bad brief, bad decision or flags; nothing was saved
  3  already decided: someone (or the scheduler) got to this action or hold first; nothing changed
  4  not found: no pending action, campaign, key or file with that id or name
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


# Each command module's `add_parsers(add)` gets the factory of `build_parser` (ui/cli.py).
AddParser = Callable[..., argparse.ArgumentParser]


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
        help="log INFO messages to stderr, and the traceback of an unexpected error",
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


def _stopped(exc: RunStopped, verbose: bool) -> CliError:
    if verbose:
        log.error("the run stopped", exc_info=exc.__cause__)
    message = str(exc)
    thread_id = exc.thread_id
    if not verbose:
        message += " (-v shows the traceback)"
    return CliError(message, EXIT_ERROR, "stopped", thread_id=thread_id)


def _done(args: argparse.Namespace, result: Any, message: str) -> int:
    """The result of a one-shot action: its JSON with --json, else one line."""
    if args.json:
        _emit(result)
    else:
        print(message)
    return EXIT_OK


MIN_PREFIX = 4  # the shortest campaign id prefix taken (the CLI and the page show 8 characters)
FULL_ID = 32  # a campaign's id: 32 hex digits (a LangGraph server's thread: a UUID, 36)


def _campaign_id(s: Any, given: str, *, full_ids_elsewhere: bool = False) -> str:
    """The full id of the campaign `given` names: its id, or a unique prefix of it (the 8
    characters shown in CAMPAIGN columns and on the page). NotFound (exit 4) for no campaign,
    CliError (exit 2) for a prefix several campaigns share, naming them.

    `full_ids_elsewhere`: a full-length id no campaign has is taken as given (the inbox and the
    audit also hold the threads LangGraph's server runs, which have no campaign row here)."""
    from graphs.errors import NotFound

    text = given.strip()
    if not text:
        raise CliError("The campaign id is empty. Run `signoff campaigns` to list them.")
    matches = s.campaign_ids(text)
    if text in matches:
        return text
    if len(text) < MIN_PREFIX:
        raise CliError(
            f"Campaign id {text!r} is too short: give at least {MIN_PREFIX} characters of it "
            "(`signoff campaigns` lists them). Nothing was changed."
        )
    if not matches and full_ids_elsewhere and len(text) >= FULL_ID:
        return text
    if not matches:
        raise NotFound(f"No campaign {text!r}. Run `signoff campaigns` to list them.")
    if len(matches) > 1:
        shown = ", ".join(matches[:10]) + (
            f" and {len(matches) - 10} more" if len(matches) > 10 else ""
        )
        raise CliError(
            f"Campaign id {text!r} is ambiguous: {len(matches)} campaigns start with it "
            f"({shown}). Give more characters. Nothing was changed."
        )
    return str(matches[0])


@contextmanager
def _outbox_key(listing: str) -> Iterator[None]:
    """An unknown outbox key (`undo`, `settle`, `failed --retry`): the facade's message as a
    sentence (not a KeyError's quoted repr) and the command that lists the keys."""
    from graphs.errors import NotFound

    try:
        yield
    except NotFound as exc:
        message = str(exc).strip().strip("\"'").strip()
        message = message.removesuffix("Check the key.").rstrip()
        raise NotFound(f"{message} {listing}") from exc
