"""Small helpers the unit tests share: the CLI run in-process, what reached the Maildir, a free
port on loopback and an SMTP server there."""

from __future__ import annotations

import json
import mailbox
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from ui import cli


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`signoff ARGV…` in this process: (exit code, stdout, stderr)."""
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    """`signoff ARGV… --json`: (exit code, the parsed stdout, stderr)."""
    code, out, err = run(capsys, *argv, "--json")
    return code, json.loads(out), err


def maildir_count(home: Path) -> int:
    """How many messages the data directory's Maildir holds (0 before the first delivery)."""
    path = home / "maildir"
    return len(mailbox.Maildir(str(path), create=False)) if path.exists() else 0


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listened on a moment ago (for a server, or for none)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_on_loopback(handler: object) -> Iterator[int]:
    """An SMTP server (aiosmtpd) on 127.0.0.1 that hands each message to `handler`'s
    `handle_DATA`: yields its port; stopped after."""
    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
