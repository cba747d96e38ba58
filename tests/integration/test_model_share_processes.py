"""One embedded model server per machine (issue 13 item 2): a second process reuses the first
one's server; when the owner dies, its server goes with it and the survivor takes over."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from graphs import embedded, model_share

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import json, sys
from graphs.embedded import get_server

s = get_server()
def report():
    url = s.start()  # what a request does first: reuse, take over or start
    print(json.dumps({"pid": s.pid, "port": s.port, "owner": s.owner, "url": url}), flush=True)
report()
for line in sys.stdin:  # each line: report again (a request would re-resolve the same way)
    report()
s.stop()
"""


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def _spawn() -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != model_share.ENV_SHARE}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _report(child: subprocess.Popen[str]) -> dict[str, Any]:
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line, f"the child exited with {child.wait()}"
    return dict(json.loads(line))


def test_two_processes_share_one_server_and_the_survivor_takes_over(
    embedded_env: pytest.MonkeyPatch,
) -> None:
    record = model_share.record_path(embedded.DEFAULT_SPEC)
    first = _spawn()
    second: subprocess.Popen[str] | None = None
    try:
        a = _report(first)
        assert a["owner"] is True and _alive(a["pid"])
        assert json.loads(record.read_text())["owner"] == first.pid
        second = _spawn()
        b = _report(second)
        # the second process started no server of its own: it uses the first one's
        assert b["owner"] is False and (b["pid"], b["port"]) == (a["pid"], a["port"])
        with httpx.Client(trust_env=False) as http:
            assert http.get(f"http://127.0.0.1:{b['port']}/health").status_code == 200
        first.kill()  # the owner dies (SIGKILL: no clean-up); its server goes with it
        first.wait(timeout=30)
        deadline = time.monotonic() + 30
        while _alive(a["pid"]):
            assert time.monotonic() < deadline, "the server outlived its owner"
            time.sleep(0.2)
        assert second.stdin is not None
        second.stdin.write("again\n")
        second.stdin.flush()
        c = _report(second)  # the survivor takes over: it starts and records its own
        assert c["owner"] is True and c["pid"] != a["pid"] and _alive(c["pid"])
        assert json.loads(record.read_text())["owner"] == second.pid
        second.stdin.close()  # it stops its server and drops the record on the way out
        assert second.wait(timeout=60) == 0
        assert not _alive(c["pid"]) and not record.exists()
    finally:
        for child in (first, second):
            if child is not None and child.poll() is None:
                child.kill()
                child.wait()
