"""One outgoing email as MIME, built fast and with safe, correctly encoded headers.

`email.message.EmailMessage` with the default policy parses every header it is given (an
address header goes through the full RFC 5322 parser) and re-folds it on output: ~2.4 ms per
email, most of an approved send's own cost. Our headers are few and already validated
(tools/email.py: one address each, one line, no control characters), so they are written here
with the `compat32` classes directly, ~4× faster, with the same meaning on the wire:

- a header value with CR, LF, NUL or another control character is refused (a line break there
  would add headers of its own, e.g. `Bcc:`), whatever validated it before;
- addresses: `Name <addr>` is re-formatted with `email.utils.formataddr`, its display name quoted
  or RFC 2047-encoded (UTF-8) as needed; an address that is not ASCII (a UTF-8 mailbox) takes the
  default policy's path instead, as before;
- the subject is RFC 2047-encoded when it is not ASCII, and folded when long;
- the body: ASCII with lines of at most 78 characters goes as 7bit, anything else as UTF-8
  quoted-printable (7-bit safe on every server, readable in the raw file).
"""

from __future__ import annotations

import email.utils
import re
from email.charset import QP, Charset
from email.header import Header
from email.message import EmailMessage, Message
from email.policy import compat32

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # every control character but TAB
_SHORT_LINES = 78  # RFC 5322's recommended line length; the default policy's `max_line_length`


def build(*, sender: str, to: str, subject: str, body: str, message_id: str, key: str) -> Message:
    """The message with From, To, Subject, Date, Message-ID, X-Signoff-Key and a text body."""
    headers = {
        "From": sender,
        "To": to,
        "Subject": subject,
        "Message-ID": message_id,
        "X-Signoff-Key": key,
    }
    for name, value in headers.items():
        bad = _CONTROL.search(value)
        if bad:
            raise ValueError(
                f"The {name} header must be one line without control characters, but contains "
                f"U+{ord(bad.group(0)):04X}; remove it (a line break in a header could add "
                "recipients or headers). Nothing was sent."
            )
    sender_h, to_h = _address(sender), _address(to)
    if sender_h is None or to_h is None or not message_id.isascii() or not key.isascii():
        return _slow(headers, body)
    msg = Message()
    msg["From"] = sender_h
    msg["To"] = to_h
    if subject.isascii():
        msg["Subject"] = subject
    else:  # RFC 2047, folded with the header's name counted in
        msg["Subject"] = Header(subject, "utf-8", header_name="Subject")  # type: ignore[assignment]
    msg["Date"] = email.utils.formatdate(localtime=False)
    msg["Message-ID"] = message_id
    msg["X-Signoff-Key"] = key
    msg["MIME-Version"] = "1.0"
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    if text.isascii() and all(len(line) <= _SHORT_LINES for line in text.split("\n")):
        msg["Content-Type"] = 'text/plain; charset="utf-8"'
        msg["Content-Transfer-Encoding"] = "7bit"
        msg.set_payload(text if text.endswith("\n") else text + "\n")
    else:
        charset = Charset("utf-8")
        charset.body_encoding = QP
        msg.set_payload(text if text.endswith("\n") else text + "\n", charset)
    return msg


_PLAIN = re.compile(r"[\x20-\x7e]*")  # printable ASCII: a short line is written as it is
_NEWLINES = re.compile(r"\r\n|\r|\n")


def wire(msg: Message) -> bytes:
    """`msg.as_bytes()`, byte for byte, without its cost for what needs no work: `build`'s
    message (compat32, one text part) has headers that are short printable ASCII lines, which
    the generator's folding (`Header.encode`, ~0.2 ms each) writes unchanged; only the others
    go through the policy's `fold_binary`, as the generator does. Anything else: `as_bytes()`."""
    payload = msg._payload  # type: ignore[attr-defined]
    if (
        type(msg) is not Message
        or msg.policy is not compat32
        or not isinstance(payload, str)
        or not payload.isascii()
    ):
        return msg.as_bytes()
    out: list[bytes] = []
    for name, value in msg.raw_items():
        if isinstance(value, str) and len(name) + 2 + len(value) <= _SHORT_LINES:
            if _PLAIN.fullmatch(value) and _PLAIN.fullmatch(name):
                out.append(f"{name}: {value}\n".encode("ascii"))
                continue
        out.append(compat32.fold_binary(name, value))
    out.append(b"\n")
    lines = _NEWLINES.split(payload)  # the generator's `_write_lines`
    out.append("\n".join(lines).encode("ascii"))
    return b"".join(out)


def _address(value: str) -> str | None:
    """`Name <addr>` or `addr`, formatted for the header; None for a non-ASCII address."""
    value = value.strip()
    if "<" not in value:
        return value if value.isascii() else None
    name, addr = email.utils.parseaddr(value)
    if not addr or not addr.isascii():
        return None
    return email.utils.formataddr((name, addr), charset="utf-8")


def _slow(headers: dict[str, str], body: str) -> EmailMessage:
    """The default policy's message (full header parsing): for what the fast path leaves out."""
    msg = EmailMessage()
    msg["From"] = headers["From"]
    msg["To"] = headers["To"]
    msg["Subject"] = headers["Subject"]
    msg["Date"] = email.utils.formatdate(localtime=False)
    msg["Message-ID"] = headers["Message-ID"]
    msg["X-Signoff-Key"] = headers["X-Signoff-Key"]
    msg.set_content(body)
    return msg
