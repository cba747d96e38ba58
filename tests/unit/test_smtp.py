"""Email through a real SMTP server on loopback (aiosmtpd), when SIGNOFF_SMTP_URL is set."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from graphs.executor import idempotency_key
from graphs.runtime import Signoff


class Recorder:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(
            email.message_from_bytes(envelope.original_content or envelope.content)
        )
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


def test_approved_email_goes_through_smtp_once_with_a_stable_message_id(
    home, brief, smtp_server, model
):
    recorder, port = smtp_server
    with Signoff(home, model=model, smtp_url=f"smtp://127.0.0.1:{port}") as runtime:
        [email_item] = [p for p in runtime.start(brief)["pending"] if p["action"] == "send_email"]
        assert recorder.messages == []  # nothing before approval
        result = runtime.decide(email_item["id"], {"type": "approve"})
        [row] = runtime.campaign(result["thread_id"])["executed"]
    [message] = recorder.messages
    assert recorder.envelopes[0][1] == ["customers@example.com"]
    assert message["Subject"] == email_item["args"]["subject"]
    key = idempotency_key(email_item["thread_id"], "email-1", "send_email", email_item["args"])
    assert message["Message-ID"] == f"<{key[:32]}@signoff.local>" == row["result"]["message_id"]
    assert row["result"]["transport"] == "smtp" and row["status"] == "done"
    assert not (home / "maildir").exists()


def test_unreachable_smtp_server_fails_clearly_and_keeps_the_action(home, brief, model):
    port = free_port()  # nothing listens here
    with Signoff(home, model=model, smtp_url=f"smtp://127.0.0.1:{port}") as runtime:
        [email_item] = [p for p in runtime.start(brief)["pending"] if p["action"] == "send_email"]
        result = runtime.decide(email_item["id"], {"type": "approve"})
        campaign = runtime.campaign(result["thread_id"])
    [outcome] = [o for o in campaign["outcomes"] if o["action_id"] == "email-1"]
    assert outcome["status"] == "failed"
    assert (
        f"127.0.0.1:{port}" in outcome["detail"]["error"]
        and "SIGNOFF_SMTP_URL" in outcome["detail"]["error"]
    )
    [row] = campaign["executed"]
    assert (
        row["status"] == "failed" and row["args"] == email_item["args"]
    )  # kept, with what was approved
