"""The outgoing email's MIME (tools/email_mime.py): the same headers and text as the default
policy's EmailMessage gives once parsed, and no header a hostile value could add."""

from __future__ import annotations

import email
import email.policy
import email.utils
from email.message import EmailMessage

import pytest

from tools.email import build_message, message_id

KEY = "0f" * 32


def _default_policy(args: dict[str, str]) -> EmailMessage:
    """What tools/email.py built before: EmailMessage with the default policy."""
    msg = EmailMessage()
    msg["From"] = args.get("sender") or "Signoff <marketing@signoff.local>"
    msg["To"] = args["to"]
    msg["Subject"] = args["subject"]
    msg["Message-ID"] = message_id(KEY)
    msg["X-Signoff-Key"] = KEY
    msg.set_content(args["body"])
    return msg


def _parsed(msg: email.message.Message) -> EmailMessage:
    parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


CASES = [
    {"to": "customers@example.com", "subject": "Warm homes", "body": "Hello,\n\nWarm.\n" * 30},
    {
        "to": "Ann Smith <ann@example.com>",
        "sender": "Brïghtloop Café <news@brightloop.example>",
        "subject": "Cut your heating bill — pre-orders open, and a subject long enough to fold",
        "body": "Grüße — “quoted” ✓\n" + "x" * 2000 + "\nlast line",
    },
    {"to": "a@example.com", "sender": '"Doe, Jane" <j@example.com>', "subject": "A", "body": "b"},
    {"to": "a@example.com", "subject": "CR and CRLF", "body": "one\r\ntwo\rthree"},
    {"to": "jö@exämple.com", "subject": "A UTF-8 mailbox", "body": "b"},  # the default's path
]


@pytest.mark.parametrize("args", CASES, ids=range(len(CASES)))
def test_headers_and_text_read_back_as_the_default_policy_wrote_them(args: dict[str, str]) -> None:
    ours, theirs = _parsed(build_message(args, KEY)), _parsed(_default_policy(args))
    for name in ("From", "To", "Subject", "Message-ID", "X-Signoff-Key"):
        assert str(ours[name]) == str(theirs[name]), name
    assert ours.get_content_type() == "text/plain"
    assert ours.get_content() == theirs.get_content()
    assert email.utils.parsedate_to_datetime(str(ours["Date"])) is not None
    assert ours.as_bytes().isascii()  # 7-bit safe on every server
    assert len(ours.get_all("Subject")) == 1 and len(ours.get_all("To")) == 1


@pytest.mark.parametrize("field", ["to", "subject", "sender"])
@pytest.mark.parametrize("brk", ["\n", "\r\n", "\r", "\x00"])
def test_a_line_break_in_a_header_is_refused_not_sent_as_a_header(field: str, brk: str) -> None:
    args = {"to": "a@example.com", "subject": "Hello", "body": "b", "sender": "A <a@example.com>"}
    args[field] = args[field] + brk + "Bcc: victim@evil.example"
    with pytest.raises(ValueError, match="one line"):
        build_message(args, KEY)


def test_a_non_ascii_body_goes_quoted_printable_and_an_ascii_one_7bit() -> None:
    plain = build_message({"to": "a@example.com", "subject": "s", "body": "Hi.\n"}, KEY)
    assert plain["Content-Transfer-Encoding"] == "7bit" and plain.get_payload() == "Hi.\n"
    accented = build_message({"to": "a@example.com", "subject": "s", "body": "Café\n"}, KEY)
    assert accented["Content-Transfer-Encoding"] == "quoted-printable"
    assert b"Caf=C3=A9" in accented.as_bytes()
    assert accented.get_payload(decode=True).decode() == "Café\n"
