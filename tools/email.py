"""Email: SMTP when `SIGNOFF_SMTP_URL` is set, otherwise a Maildir under the data directory."""

from __future__ import annotations

import email.utils
import logging
import mailbox
import re
import smtplib
import ssl
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tools.base import ConnectorError, OutboundTool, RiskSpec, Settings, strip_citations

log = logging.getLogger(__name__)

FROM_ADDRESS = "Signoff <marketing@signoff.local>"
_ADDRESS = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


class EmailArgs(BaseModel):
    """One email to one recipient address (a person or a list address)."""

    model_config = ConfigDict(extra="forbid")

    to: str = Field(description="recipient address, e.g. customers@example.com")
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=20_000)

    @field_validator("to")
    @classmethod
    def _address(cls, value: str) -> str:
        value = value.strip()
        if not _ADDRESS.match(value):
            raise ValueError(f"'{value}' is not an email address like name@example.com")
        return value


RISK = RiskSpec(
    tier="high",
    reversible=False,
    why="An email cannot be unsent once it reaches people's inboxes.",
)


def message_id(key: str) -> str:
    """Deterministic Message-ID: the same approved email always carries the same id."""
    return f"<{key[:32]}@signoff.local>"


def build_message(args: dict[str, Any], key: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = FROM_ADDRESS
    msg["To"] = args["to"]
    msg["Subject"] = args["subject"]
    msg["Date"] = email.utils.formatdate(localtime=False)
    msg["Message-ID"] = message_id(key)
    msg["X-Signoff-Key"] = key
    msg.set_content(strip_citations(args["body"]))
    return msg


def send_email(args: dict[str, Any], key: str, settings: Settings) -> dict[str, Any]:
    """Send one email. Maildir delivery is idempotent by key; plain SMTP is not."""
    msg = build_message(args, key)
    if settings.smtp_url:
        return _send_smtp(msg, settings.smtp_url)
    return _deliver_maildir(msg, key, settings)


def _deliver_maildir(msg: EmailMessage, key: str, settings: Settings) -> dict[str, Any]:
    root = settings.home / "maildir"
    box = mailbox.Maildir(str(root), create=True)
    wanted = message_id(key)
    for file_key, existing in box.iteritems():
        if existing["Message-ID"] == wanted:
            log.info("email %s already in the Maildir; not delivering again", wanted)
            return {
                "transport": "maildir",
                "message_id": wanted,
                "path": str(root),
                "file": file_key,
            }
    file_key = box.add(mailbox.MaildirMessage(msg))
    box.close()
    log.info("delivered %s to Maildir %s", wanted, root)
    return {"transport": "maildir", "message_id": wanted, "path": str(root), "file": file_key}


def _send_smtp(msg: EmailMessage, url: str) -> dict[str, Any]:
    """smtp://user:pass@host:port (STARTTLS when offered or ?starttls=1), smtps:// for SSL."""
    parsed = urlparse(url)
    if parsed.scheme not in ("smtp", "smtps") or not parsed.hostname:
        raise ConnectorError(
            f"SIGNOFF_SMTP_URL '{parsed.scheme}://{parsed.hostname}' is not understood; expected "
            "smtp://user:password@host:587 or smtps://user:password@host:465."
        )
    query = parse_qs(parsed.query)
    port = parsed.port or (465 if parsed.scheme == "smtps" else 25)
    try:
        client: smtplib.SMTP
        if parsed.scheme == "smtps":
            client = smtplib.SMTP_SSL(
                parsed.hostname, port, timeout=30, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(parsed.hostname, port, timeout=30)
        with client:
            client.ehlo()
            if parsed.scheme == "smtp" and (
                query.get("starttls", ["0"])[0] == "1" or client.has_extn("starttls")
            ):
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if parsed.username:
                client.login(unquote(parsed.username), unquote(parsed.password or ""))
            refused = client.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise ConnectorError(
            f"Could not send through the SMTP server {parsed.hostname}:{port}: {exc}. "
            "Check SIGNOFF_SMTP_URL and that the server is reachable, then retry."
        ) from exc
    log.info("sent %s through SMTP %s:%s", msg["Message-ID"], parsed.hostname, port)
    return {
        "transport": "smtp",
        "message_id": msg["Message-ID"],
        "server": f"{parsed.hostname}:{port}",
        "refused": sorted(refused),
    }


def preview(args: dict[str, Any]) -> str:
    return f"To: {args.get('to', '')}\nSubject: {args.get('subject', '')}\n\n{args.get('body', '')}"


SEND_EMAIL = OutboundTool(
    name="send_email",
    channel="email",
    title="Send email",
    args_model=EmailArgs,
    risk=RISK,
    run=send_email,
    # Maildir delivery checks the Message-ID first; an SMTP server may have sent already.
    honours_key=lambda settings: settings.smtp_url is None,
    preview=preview,
)
