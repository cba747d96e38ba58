"""`signoff worker`: runs queued campaigns and decisions, releases held actions."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from graphs.errors import Busy
from graphs.humanize import clip, count
from ui import cli_common
from ui.cli_common import EXIT_OK, AddParser, _json_flag, _positive_float, log
from ui.cli_format import _stamp


def add_parsers(add: AddParser) -> None:
    """`signoff worker`."""
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
    if not args.quiet:  # `signoff ui --workers` starts its workers with -q and says "Stopped."
        print(
            f"worker stopped ({released} released) after {count(ran, 'run')}",
            file=sys.stderr,
            flush=True,
        )
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

    return Signoff(home, recover=True, policy_path=cli_common._POLICY, queued=True)


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
