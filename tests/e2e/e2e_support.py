"""Shared by the browser tests (a module of its own: every conftest is named `conftest`)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


@dataclass
class Server:
    url: str
    home: Path
    log: Path
    process: subprocess.Popen[bytes]


DRAFT_TIMEOUT_MS = 420_000  # model start-up + research + two drafts on 2 cores (~1-3 min)
STEP_TIMEOUT_MS = 60_000
# The brief the browser tests seed their campaigns with (an email each; a test adds its own keys).
EMAIL_BRIEF = {
    "product": "Brightloop 2 smart thermostat",
    "audience": "Homeowners with high heating bills",
    "goal": "Pre-orders before winter",
    "channels": ["email"],
}


HEALTH_TIMEOUT_S = 90

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().strip() == b"ok"
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server we started: its process group (streamlit → model server)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextmanager
def serve(
    home: Path,
    *,
    script: str = "ui/app.py",
    cwd: Path = ROOT,
    port: int | None = None,
    workers: int = 1,
    **env_extra: str,
) -> Iterator[Server]:
    """`streamlit run ui/app.py` over `home` on a free loopback port, with `workers` workers
    (`signoff worker`: the page queues its runs for them), until the block ends.

    `script="ui/serve.py"` serves it as `signoff ui` does (behind the Host check); `cwd` is where
    Streamlit looks for `.streamlit/secrets.toml` (the sign-in settings)."""
    port = port or _free_port()
    url = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / f"e2e-streamlit-{home.parent.name}.log"
    # Local mode records who runs the server: the admin's SIGNOFF_USER (here, for the tests).
    env = dict(os.environ, SIGNOFF_HOME=str(home), SIGNOFF_MODEL="embedded")
    env["SIGNOFF_USER"] = "e2e reviewer"
    env.update(env_extra)
    env.pop("SIGNOFF_SMTP_URL", None)
    env.pop("LANGSMITH_TRACING", None)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                # The environment's own interpreter: no tool by bare name (a fresh machine
                # may have no `uv` on PATH).
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(ROOT / script),
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as a whole below
        )
    helpers: list[subprocess.Popen[bytes]] = []
    for n in range(workers):
        with (ARTIFACTS / f"e2e-worker-{home.parent.name}-{n}.log").open("wb") as out:
            helpers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "ui", "worker", "--interval", "0.5", "-v"],
                    cwd=cwd,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # worker → model server, stopped as a group
                )
            )
    try:
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        while not _healthy(url):
            if process.poll() is not None:
                pytest.fail(f"streamlit exited with {process.returncode}; see {log}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"streamlit did not answer {url}/_stcore/health within "
                    f"{HEALTH_TIMEOUT_S} s; see {log}"
                )
            time.sleep(0.25)
        yield Server(url=url, home=home, log=log, process=process)
    finally:
        _stop(process)
        for helper in helpers:
            _stop(helper)


def settled(page: Any, timeout_ms: int = STEP_TIMEOUT_MS) -> None:
    """Wait until the script run is over: no running indicator, no skeleton placeholders."""
    page.wait_for_function(
        """() => {
            const w = document.querySelector('[data-testid="stStatusWidget"]');
            const running = w && /Stop|Running/i.test(w.innerText);
            return !running && !document.querySelector('[data-testid="stSkeleton"]');
        }""",
        timeout=timeout_ms,
    )


def screenshot(page: Any, name: str) -> None:
    """The whole page: Streamlit scrolls inside its main block, so grow the viewport to fit."""
    try:
        settled(page, 15_000)
    except Exception:  # a screenshot of a page still running is better than none
        pass
    page.wait_for_timeout(600)  # let charts and fonts settle
    height = page.evaluate(
        """() => Math.max(document.body.scrollHeight,
            ...[...document.querySelectorAll('[data-testid="stMain"], [data-testid="stMainBlockContainer"], [data-testid="stAppViewContainer"]')]
                .map(e => e.scrollHeight + e.getBoundingClientRect().top))"""
    )
    size = page.viewport_size
    page.set_viewport_size(
        {"width": size["width"], "height": min(max(int(height) + 40, size["height"]), 8000)}
    )
    page.wait_for_timeout(400)
    page.screenshot(path=str(ARTIFACTS / f"e2e-{name}.png"), full_page=True)
    page.set_viewport_size(size)


def alive(page: Any, server: Server) -> None:
    """No Streamlit exception box on the page."""
    assert page.locator('[data-testid="stException"]').count() == 0, (
        f"the page shows an exception; see the screenshot and {server.log}"
    )
