"""The sidebar says whether the machine's model is ready, read from the shared server's record
(`<model>.gguf.server.json` beside the weights, written by whichever process started it, usually
the worker) and its `/health`: the page never owns the server, so "not started" was wrong.

The server here is a real HTTP server on loopback in its own process, answering `/health` as
llama.cpp does (200 ready, 503 loading); the record is the one graphs/model_share.py writes.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from ui_support import open_app

from graphs import embedded, model_share

NEW = "views/new_campaign.py"

HEALTH_SERVER = """
import http.server, sys
code = int(sys.argv[1])
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(code if self.path == "/health" else 404)
        self.end_headers()
        self.wfile.write(b"{}")
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The user cache directory of this test: where the weights and the server record live."""
    from ui.components.model_state import _status

    root = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(root))
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SIGNOFF_MODEL", "SIGNOFF_MODEL_CACHE"):
        monkeypatch.delenv(name, raising=False)
    (root / "signoff").mkdir(parents=True)
    _status.clear()
    yield root / "signoff"
    _status.clear()


def health_server(code: int) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [sys.executable, "-c", HEALTH_SERVER, str(code)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    return process, int(process.stdout.readline())


def record(process: subprocess.Popen[str], port: int) -> Path:
    """What a worker's SharedModelServer.start() writes once its server answers."""
    path = model_share.record_path(embedded.DEFAULT_SPEC)
    path.write_text(
        json.dumps(
            {
                "alias": embedded.DEFAULT_SPEC.alias,
                "address": f"http://127.0.0.1:{port}",
                "port": port,
                "pid": process.pid,
                "owner": process.pid,
                "started_at": time.time(),
            }
        )
    )
    return path


def sidebar(at: object) -> str:
    side = at.sidebar  # type: ignore[attr-defined]
    parts = [str(e.value) for kind in ("caption", "warning") for e in side.get(kind)]
    return "\n".join(parts).replace("\\", "")


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.wait(timeout=10)


def test_a_workers_server_reads_ready(ui_home: Path, cache: Path) -> None:
    process, port = health_server(200)
    try:
        record(process, port)
        at = open_app(NEW)
        assert not at.exception
        side = sidebar(at)
        assert "Model ready" in side, side
        assert "not started" not in side and "not running" not in side
        [line] = [c for c in at.sidebar.caption if "Model ready" in c.value]
        assert "Qwen2.5-Coder-0.5B" in line.help and f"127.0.0.1:{port}" in line.help
    finally:
        stop(process)


def test_a_loading_server_reads_starting(ui_home: Path, cache: Path) -> None:
    process, port = health_server(503)  # llama.cpp's /health while it loads the weights
    try:
        record(process, port)
        at = open_app(NEW)
        assert not at.exception
        assert "Model starting" in sidebar(at)
    finally:
        stop(process)


def test_a_server_being_started_reads_starting(ui_home: Path, cache: Path) -> None:
    """No record yet, but a worker holds the record's lock while its server loads."""
    path = model_share.record_path(embedded.DEFAULT_SPEC)
    lock = path.with_name(path.name + ".lock")
    with lock.open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        at = open_app(NEW)
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    assert not at.exception
    assert "Model starting" in sidebar(at)


def test_a_server_that_went_away_reads_stopped_with_what_to_do(ui_home: Path, cache: Path) -> None:
    process, port = health_server(200)
    record(process, port)
    stop(process)  # its owner died; the record stays behind
    at = open_app(NEW)
    assert not at.exception
    [warning] = [w.value for w in at.sidebar.warning if "Model stopped" in w.value]
    assert "make run" in warning
    assert str(cache) not in sidebar(at)  # no paths for a marketer


def test_a_server_that_does_not_answer_reads_down(ui_home: Path, cache: Path) -> None:
    process, port = health_server(500)
    try:
        record(process, port)
        at = open_app(NEW)
        assert not at.exception
        [warning] = [w.value for w in at.sidebar.warning if "Model not answering" in w.value]
        assert "make run" in warning
    finally:
        stop(process)


def test_no_server_yet_reads_not_running_yet(ui_home: Path, cache: Path) -> None:
    at = open_app(NEW)
    assert not at.exception
    assert "Model not running yet. It starts with the first draft" in sidebar(at)
    assert os.listdir(cache) == []  # looking starts nothing


def test_the_sidebar_shows_no_paths(ui_home: Path, cache: Path) -> None:
    at = open_app(NEW)
    assert not at.exception
    assert str(ui_home) not in sidebar(at)  # the data directory is one hover away
    [details] = [c for c in at.sidebar.caption if "Server details" in c.value]
    assert str(ui_home) in details.help and "Policy:" in details.help
