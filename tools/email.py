"""Email: SMTP when `SIGNOFF_SMTP_URL` is set, otherwise a Maildir under the data directory."""

from __future__ import annotations

import contextlib
import email.utils
import functools
import logging
import os
import re
import smtplib
import ssl
import threading
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tools import email_mime
from tools.base import (
    Call,
    ConnectorError,
    OutboundTool,
    RiskSpec,
    Settings,
    single_line,
    strip_citations,
)

log = logging.getLogger(__name__)

# Only for drafts from before brand settings (graphs/brand.py): every new email carries its
# brand's sender.
FROM_ADDRESS = "Signoff <marketing@signoff.local>"
_ADDRESS = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


class EmailArgs(BaseModel):
    """One email to one recipient address (a person or a list address)."""

    model_config = ConfigDict(extra="forbid")

    to: str = Field(description="recipient address, e.g. customers@example.com")
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=20_000)
    sender: str | None = Field(
        default=None, max_length=200, description="From: 'Name <address>', the brand's sender"
    )

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        problem = address_problem(value)
        if problem:
            raise ValueError(f"'{value}' is not a sender address: {problem}")
        return value

    @field_validator("subject")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return single_line(value, "The subject")

    @field_validator("to")
    @classmethod
    def _address(cls, value: str) -> str:
        single_line(value, "The recipient")
        value = value.strip()
        problem = address_problem(value)
        if problem:
            raise ValueError(f"'{value}' is not an email address: {problem}")
        return value


def address_problem(value: str) -> str | None:
    """What is wrong with a recipient, in words; None for `name@example.com` or `Name <…>`."""
    if not isinstance(value, str) or len(value) > _CACHED_CHARS:  # not worth a cache entry
        return _address_problem(value)
    return _address_problem_cached(value)


_CACHED_CHARS = 320


@functools.lru_cache(maxsize=1024)
def _address_problem_cached(value: str) -> str | None:
    # The brand's sender and the recipient are checked on every validation of an email's args
    # (assess, each gate pass, the executor): a pure function of the string, read once.
    return _address_problem(value)


def _address_problem(value: str) -> str | None:
    if not value:
        return "it is empty; expected an address like name@example.com"
    if "@@" in value:
        return "it has two @ signs in a row; expected an address like name@example.com"
    if value.count("@") > 1 or re.search(r"[,;]", value):
        return (
            "it holds more than one address; one email goes to one address "
            "(use a list address such as customers@example.com for many people)"
        )
    address = email.utils.parseaddr(value)[1] if "<" in value else value
    if "@" not in address:
        return "it has no @; expected an address like name@example.com"
    local, _, domain = address.partition("@")
    if not local:
        return "nothing comes before the @; expected name@example.com"
    if "." not in domain.strip(".") or domain.startswith(".") or domain.endswith("."):
        return f"the domain '{domain}' is not a full domain like example.com"
    if not _ADDRESS.match(address):
        return "it has spaces or characters an address cannot have; expected name@example.com"
    return None


RISK = RiskSpec(
    tier="high",
    reversible=False,
    why="An email cannot be unsent once it reaches people's inboxes.",
)


def message_id(key: str) -> str:
    """Deterministic Message-ID: the same approved email always carries the same id."""
    return f"<{key[:32]}@signoff.local>"


def build_message(args: dict[str, Any], key: str) -> Message:
    """The email as it goes out (tools/email_mime.py builds it; its headers are checked there)."""
    return email_mime.build(
        sender=args.get("sender") or FROM_ADDRESS,
        to=args["to"],
        subject=args["subject"],
        body=strip_citations(args["body"]),
        message_id=message_id(key),
        key=key,
    )


def send_email(call: Call) -> dict[str, Any]:
    """Send one email. Maildir delivery is idempotent by key; plain SMTP is not."""
    msg = build_message(call.args, call.key)
    if call.settings.smtp_url:
        return _send_smtp(msg, call.settings)
    return _deliver_maildir(msg, call.key, call.settings)


def connector(settings: Settings) -> str:
    return "smtp" if settings.smtp_url else "maildir"


def _deliver_maildir(msg: Message, key: str, settings: Settings) -> dict[str, Any]:
    """Deliver into `home/maildir` under a file name made from the key, so a second delivery
    of the same key is found by one lookup (not by parsing every message: O(1) per send at
    10,000 contacts). Written to tmp/ and renamed into new/, as the Maildir format asks.

    Per message: one stat for cur/, one lookup of an earlier delivery (new/, then cur/ with the
    flags a reader adds), the file written in tmp/ and linked into new/ (the link fails if a
    parallel delivery got there first), the tmp/ name removed. The outbox's claim is what runs
    a key once; the lookup and the link are what keep a retried key (a crash between this and
    the outbox's record) from a second copy. Plain string paths: this runs on every send."""
    root = os.path.join(os.fspath(settings.home), "maildir")
    if not os.path.isdir(os.path.join(root, "cur")):
        _create_maildir(Path(root))
    wanted = message_id(key)
    name = "signoff-" + (key if key.isalnum() else "".join(c for c in key if c.isalnum()))[:64]
    found = _delivered(root, name)
    if found is not None:
        log.info("email %s already in the Maildir; not delivering again", wanted)
        return {"transport": "maildir", "message_id": wanted, "path": root, "file": found}
    data = email_mime.wire(msg)  # what mailbox.Maildir.add writes (msg.as_bytes()), faster
    tmp = os.path.join(root, "tmp", f"{name}.{os.getpid()}.{threading.get_ident()}")
    with open(tmp, "wb") as out:
        out.write(data)
    try:
        os.link(tmp, os.path.join(root, "new", name))  # fails if a parallel delivery got there
    except FileExistsError:
        log.info("email %s already in the Maildir; not delivering again", wanted)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    log.info("delivered %s to Maildir %s", wanted, root)
    return {"transport": "maildir", "message_id": wanted, "path": root, "file": name}


def _create_maildir(root: Path) -> None:
    """`root` with tmp/, new/ and cur/, appearing all at once (a reader never meets a Maildir
    without cur/): built beside it and renamed into place; a parallel first delivery that got
    there first wins, and this one uses its Maildir."""
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = root.parent / f".{root.name}.{os.getpid()}.{threading.get_ident()}"
    for sub in ("tmp", "new", "cur"):
        (staging / sub).mkdir(parents=True, exist_ok=True)
    try:
        os.rename(staging, root)
    except OSError:  # there already (another delivery, or a Maildir missing only cur/)
        for sub in ("tmp", "new", "cur"):
            (staging / sub).rmdir()
            (root / sub).mkdir(parents=True, exist_ok=True)
        staging.rmdir()


def _delivered(root: str, name: str) -> str | None:
    """The file name of an earlier delivery of `name` (new/, or cur/ once a reader saw it)."""
    if os.path.exists(os.path.join(root, "new", name)):
        return name
    cur = os.path.join(root, "cur", name)
    for info in ("", ":2,", ":2,S", ":2,RS", ":2,ST"):
        if os.path.exists(cur + info):
            return name + info
    return None


def _send_smtp(msg: Message, settings: Settings) -> dict[str, Any]:
    """smtp://user:pass@host:port (STARTTLS when offered or ?starttls=1), smtps:// for SSL."""
    assert settings.smtp_url  # Settings checked its form
    parsed = urlparse(settings.smtp_url)
    host = parsed.hostname or ""
    query = parse_qs(parsed.query)
    port = parsed.port or (465 if parsed.scheme == "smtps" else 25)
    where = f"{host}:{port}"
    timeout = settings.http_timeout
    try:
        client: smtplib.SMTP
        if parsed.scheme == "smtps":
            client = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
    except (OSError, smtplib.SMTPException) as exc:  # nothing was sent: safe to try again
        why = str(exc) or type(exc).__name__
        if isinstance(exc, TimeoutError) or "timed out" in why:
            why = f"no answer within {timeout:g} s"
        raise ConnectorError(
            f"Could not reach the SMTP server {where} ({why}). Nothing was sent. Check "
            "SIGNOFF_SMTP_URL and that the server is running, then retry.",
            retryable=True,
        ) from exc
    sending = False  # until send_message starts, a failure means nothing went out
    try:
        with client:
            client.ehlo()
            if parsed.scheme == "smtp" and (
                query.get("starttls", ["0"])[0] == "1" or client.has_extn("starttls")
            ):
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if parsed.username:
                client.login(unquote(parsed.username), unquote(parsed.password or ""))
            sending = True
            refused = client.send_message(msg)
    except smtplib.SMTPAuthenticationError as exc:
        raise ConnectorError(
            f"The SMTP server {where} refused the login ({exc.smtp_code}). Nothing was sent. "
            "Check the user and password in SIGNOFF_SMTP_URL, then retry.",
            status=exc.smtp_code,
        ) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        said = "; ".join(f"{to}: {code} {text!r}" for to, (code, text) in exc.recipients.items())
        raise ConnectorError(
            f"The SMTP server {where} refused the recipient ({said}). Nothing was sent. "
            "Check the address (edit the email), then approve it again.",
            retryable=any(code < 500 for code, _ in exc.recipients.values()),
        ) from exc
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
        raise ConnectorError(
            f"The SMTP server {where} refused the email: {exc.smtp_code} {exc.smtp_error!r}. "
            "Check SIGNOFF_SMTP_URL (sender, size limits), then retry.",
            retryable=exc.smtp_code < 500,
            status=exc.smtp_code,
        ) from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise ConnectorError(
            f"The SMTP server {where} cannot do what SIGNOFF_SMTP_URL asks: {exc}. Nothing was "
            "sent. Fix SIGNOFF_SMTP_URL (e.g. no user and password, or smtps://), then retry."
        ) from exc
    except (OSError, smtplib.SMTPException) as exc:
        if not sending:
            raise ConnectorError(
                f"The SMTP server {where} stopped answering before the email was handed over: "
                f"{exc}. Nothing was sent. Check SIGNOFF_SMTP_URL and the server, then retry.",
                retryable=True,
            ) from exc
        raise ConnectorError(
            f"The SMTP server {where} stopped answering while sending: {exc}. The email may or "
            "may not have gone out: check the recipient's inbox before you retry.",
            retryable=True,
        ) from exc
    log.info("sent %s through SMTP %s", msg["Message-ID"], where)
    return {
        "transport": "smtp",
        "message_id": msg["Message-ID"],
        "server": where,
        "refused": sorted(refused),
    }


def preview(args: dict[str, Any]) -> str:
    sender = f"From: {args['sender']}\n" if args.get("sender") else ""
    return (
        sender
        + f"To: {args.get('to', '')}\nSubject: {args.get('subject', '')}\n\n{args.get('body', '')}"
    )


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
    connector=connector,
)
