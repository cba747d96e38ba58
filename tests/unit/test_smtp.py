"""Email through a real SMTP server on loopback (aiosmtpd), when SIGNOFF_SMTP_URL is set."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator

import pytest
from support import free_port, smtp_on_loopback

from graphs.executor import idempotency_key
from graphs.runtime import Signoff
from tools.base import Call, ConnectorError, Settings
from tools.registry import get_tool


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


@pytest.fixture
def smtp_server() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    with smtp_on_loopback(recorder) as port:
        yield recorder, port


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


def smtp_call(home, url: str, **settings: object) -> Call:
    s = Settings(home=home, smtp_url=url, **settings)  # type: ignore[arg-type]
    args = {"to": "customers@example.com", "subject": "Hi", "body": "Warm homes."}
    return Call(get_tool("send_email").validate_args(args), "k" * 64, "camp", "email-1", s)


def test_connection_refused_is_retryable_and_says_where_and_what_to_do(tmp_path):
    port = free_port()  # nothing listens here
    with pytest.raises(ConnectorError) as info:
        get_tool("send_email").run(smtp_call(tmp_path, f"smtp://127.0.0.1:{port}"))
    message = str(info.value)
    assert info.value.retryable is True
    assert f"127.0.0.1:{port}" in message and "Nothing was sent" in message
    assert "SIGNOFF_SMTP_URL" in message and "retry" in message


def test_a_server_that_never_answers_times_out_as_retryable(tmp_path):
    with socket.socket() as silent:  # accepts the connection, never says hello
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        with pytest.raises(ConnectorError) as info:
            get_tool("send_email").run(
                smtp_call(tmp_path, f"smtp://127.0.0.1:{port}", http_timeout=0.3)
            )
    assert info.value.retryable is True
    assert f"127.0.0.1:{port} (no answer within 0.3 s)" in str(info.value)


def test_a_login_the_server_cannot_do_is_not_retryable(tmp_path, smtp_server):
    recorder, port = smtp_server  # offers no AUTH: the login cannot succeed
    with pytest.raises(ConnectorError) as info:
        get_tool("send_email").run(smtp_call(tmp_path, f"smtp://me:pa55@127.0.0.1:{port}"))
    assert info.value.retryable is False
    assert "Nothing was sent" in str(info.value) and "pa55" not in str(info.value)
    assert recorder.messages == []


@pytest.mark.parametrize(
    ("to", "words"),
    [
        ("", "it is empty"),
        ("customers", "it has no @"),
        ("a@example.com, b@example.com", "more than one address"),
        ("@example.com", "nothing comes before the @"),
        ("me@localhost", "'localhost' is not a full domain"),
        ("me @example.com", "spaces or characters"),
    ],
)
def test_a_bad_recipient_is_explained(to, words):
    with pytest.raises(ValueError, match=words):
        get_tool("send_email").validate_args({"to": to, "subject": "s", "body": "b"})


def test_a_named_recipient_is_accepted():
    args = {"to": "Jo Smith <jo@example.com>", "subject": "s", "body": "b"}
    assert get_tool("send_email").validate_args(args)["to"] == "Jo Smith <jo@example.com>"
