"""The real embedded model on its default path: child process, health, structured output, stop."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from pydantic import BaseModel, Field

from graphs import embedded
from graphs.model import describe_model, load_chat_model

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


class EmailDraft(BaseModel):
    subject: str
    body: str
    confidence: float = Field(ge=0, le=1)


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1.0)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status  # a zombie has exited


def test_embedded_model_serves_a_structured_draft_then_stops(embedded_env: pytest.MonkeyPatch):
    chat = load_chat_model()  # no key, no SIGNOFF_MODEL: the embedded default
    server = embedded.get_server()
    assert server.is_running and server is embedded.get_server()  # one per process
    assert server.pid is not None and server.pid != os.getpid()  # a child process
    assert "serve" in Path(f"/proc/{server.pid}/cmdline").read_text()
    assert server.base_url == f"http://127.0.0.1:{server.port}/v1"
    assert chat.openai_api_base == server.base_url  # type: ignore[attr-defined]
    assert "running at" in describe_model()

    with httpx.Client(trust_env=False) as http:
        assert http.get(f"http://127.0.0.1:{server.port}/health").status_code == 200

    structured = chat.with_structured_output(EmailDraft, method="json_schema", include_raw=True)
    result = structured.invoke(
        [
            (
                "system",
                "You write marketing emails. Answer with a subject, a short body and your "
                "confidence that the email is on brief.",
            ),
            # A 0-100 scale tempts the model past the schema's 0..1 bound (it wrote 95 under
            # llama.cpp's own response_format grammar); the llguidance grammar must hold it.
            ("user", "Spring sale: 20% off all hiking boots until April 30. Rate 0-100."),
        ]
    )
    assert result["parsing_error"] is None
    draft = result["parsed"]
    assert isinstance(draft, EmailDraft)
    assert draft.subject.strip() and draft.body.strip()
    assert 0.0 <= draft.confidence <= 1.0
    assert EmailDraft.model_validate(json.loads(result["raw"].content)) == draft

    port, pid = server.port, server.pid
    assert port is not None and pid is not None
    server.stop()
    assert not server.is_running and server.base_url is None
    assert not _alive(pid)
    assert not _port_open(port)
    assert "not started" in describe_model()


def test_the_server_dies_with_its_parent(embedded_env: pytest.MonkeyPatch):
    script = (
        "import json, time\n"
        "from graphs.embedded import get_server\n"
        "s = get_server()\n"
        "print(json.dumps({'pid': s.pid, 'port': s.port}), flush=True)\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        child = json.loads(parent.stdout.readline())
        assert _alive(child["pid"]) and _port_open(child["port"])
    finally:
        parent.kill()  # SIGKILL: no atexit, no cleanup in the parent
        parent.wait()
    deadline = time.monotonic() + 20
    while _alive(child["pid"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(child["pid"]), "the model server outlived its parent"
    assert not _port_open(child["port"])
