"""`signoff ui`: start the Streamlit app (and, with --workers, its workers)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

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
    for _ in range(max(0, args.workers)):  # they stop when this process (then Streamlit) ends
        worker = [sys.executable, "-m", "ui", "worker", "--parent", str(os.getpid())]
        subprocess.Popen([*worker, "--warm-model", "-q"], env=env)
    if args.workers > 0:
        print(
            f"{count(args.workers, 'worker')} {'runs' if args.workers == 1 else 'run'} the campaigns; `signoff jobs` shows them.",
            file=sys.stderr,
        )
        sys.stderr.flush()
    os.execvpe(command[0], command, env)
    return EXIT_OK  # pragma: no cover - execvp does not return
