"""Small helpers the unit tests share: the CLI run in-process, what reached the Maildir."""

from __future__ import annotations

import json
import mailbox
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
