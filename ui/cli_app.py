"""`signoff ui`: start the Streamlit app (and, with --workers, its workers)."""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from graphs.humanize import count
from tools.fetch import MB, FetchLimits
from ui import cli_common
from ui.cli_common import EXIT_ERROR, EXIT_INVALID, EXIT_OK, AddParser, CliError, _identity


def add_parsers(add: AddParser) -> None:
    """`signoff ui`."""
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
    if cli_common._POLICY:
        env["SIGNOFF_POLICY"] = cli_common._POLICY
    workers = [
        [sys.executable, "-m", "ui", "worker", "--parent", str(os.getpid()), "--warm-model", "-q"]
        for _ in range(max(0, args.workers))
    ]
    if workers:
        print(
            f"{count(len(workers), 'worker')} {'runs' if len(workers) == 1 else 'run'} the "
            "campaigns; `signoff jobs` shows them.",
            file=sys.stderr,
        )
        sys.stderr.flush()
    return supervise(command, workers, env)


# After a stop is asked, how long the page server and the workers get to end on their own (a
# worker finishes its current step; a run cut short is taken over from its last checkpoint).
STOP_GRACE_S = 10.0
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def supervise(page: list[str], workers: list[list[str]], env: dict[str, str]) -> int:
    """Run the page server and the workers as children until Ctrl-C (or SIGTERM, SIGHUP), then
    stop every one of them and say "Stopped." (exit 0: `make run` adds no error line).

    Each child runs in its own session, so a Ctrl-C in the terminal reaches this process only,
    however many times it is delivered (`uv run` forwards it once more): the page server and the
    workers are then stopped with SIGTERM, each once, and end without a traceback (Streamlit
    answers SIGINT with "Aborted!" and exit 1). A child that outlives STOP_GRACE_S is killed. If
    this process is killed outright, Linux stops the children too (PR_SET_PDEATHSIG) and the
    workers also watch their parent (`--parent`). The model server a worker starts stops with it.
    """
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in STOP_SIGNALS}
    children: list[subprocess.Popen[bytes]] = []
    try:
        server = _child(page, env)
        children.append(server)
        for worker in workers:
            if not stop.is_set():  # a Ctrl-C while they start: none started after it
                children.append(_child(worker, env))
        while not stop.is_set() and server.poll() is None:
            stop.wait(0.5)
    finally:
        _stop(children)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if stop.is_set():
        print("Stopped.", file=sys.stderr, flush=True)
        return EXIT_OK
    raise CliError(
        f"The page server stopped on its own (exit code {server.returncode}); its messages are "
        "above. The workers were stopped.",
        EXIT_ERROR,
        "error",
    )


def _child(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, env=env, start_new_session=True, preexec_fn=_stop_with_parent)


def _stop_with_parent() -> None:  # pragma: no cover - runs in the child, before exec
    """Linux: the child gets SIGTERM when this process ends, however it ends."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


PR_SET_PDEATHSIG = 1


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to each child still running, once; SIGKILL to those still running after
    STOP_GRACE_S; every one reaped."""
    for child in children:
        if child.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                child.terminate()
    deadline = time.monotonic() + STOP_GRACE_S
    for child in children:
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
