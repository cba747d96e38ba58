"""Two processes opening a new data directory at once (`make run` starts the page and the worker
together) both need the audit key: neither may see it half written."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest

from graphs import audit_chain
from graphs.audit_chain import load_key


def test_a_key_being_written_is_never_read_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "config" / "audit.key"
    monkeypatch.delenv("SIGNOFF_AUDIT_KEY", raising=False)
    monkeypatch.setenv("SIGNOFF_AUDIT_KEY_FILE", str(key_file))
    real = audit_chain.secrets.token_hex
    first_writing, go_on = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow_first(n: int) -> str:  # the first process is slow to write its key
        calls.append(n)
        if len(calls) == 1:
            first_writing.set()
            go_on.wait(10)
        return real(n)

    monkeypatch.setattr(audit_chain.secrets, "token_hex", slow_first)
    keys: dict[str, bytes] = {}
    first = threading.Thread(target=lambda: keys.__setitem__("first", load_key(tmp_path / "db")))
    first.start()
    assert first_writing.wait(10)
    keys["second"] = load_key(tmp_path / "db")  # while the first is still writing
    go_on.set()
    first.join(10)
    assert keys["first"] == keys["second"]  # one key, the one that got there first
    assert len(keys["first"]) >= 16
    assert key_file.read_text().strip().encode() == keys["first"]
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [p.name for p in key_file.parent.iterdir()] == ["audit.key"]  # no spare left behind
