"""Secrets never reach logs: URLs lose their userinfo, secret-looking query values and the paths
of webhooks; header values of credentials are masked. `install()` puts the filter on every
handler of the root logger and keeps httpx/httpcore (which log every request URL at INFO) at
WARNING.

    redact("POST https://hooks.example/services/T0/B1/abc?token=s3cret")
    # 'POST https://hooks.example/*** ?token=***'  (roughly: origin kept, secrets gone)
"""

from __future__ import annotations

import logging
import re
from typing import Any

MASK = "***"
NOISY = ("httpx", "httpcore", "urllib3", "hpack")

_URL = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^\s/?#\"'<>]*)([^\s\"'<>]*)")
_SECRET_PARAM = re.compile(
    r"(?i)([?&;](?:[\w.-]*(?:token|key|secret|password|passwd|pwd|sig|signature|auth|"
    r"credential|session|code)[\w.-]*)=)[^&#\s\"'<>]*"
)
_HEADER = re.compile(
    r"(?i)\b(authorization|proxy-authorization|x-api-key|api-key|x-auth-token|cookie|set-cookie)"
    r"(\"?\s*[:=]\s*\"?)((?:bearer|basic|token)\s+)?[^\s,;\"'}]+"
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[a-z0-9._~+/=-]{8,}")
# Paths that are credentials in themselves: webhooks (Slack, Discord, Zapier, generic /hooks/).
_SECRET_PATH = re.compile(r"(?i)/(?:hooks?|webhooks?|services|api/webhooks|triggers?)/")


def redact_url(url: str) -> str:
    """The URL with userinfo, secret query values and secret paths masked."""
    return _URL.sub(_url_sub, url)


def _url_sub(m: re.Match[str]) -> str:
    scheme, authority, rest = m.group(1), m.group(2), m.group(3)
    if "@" in authority:
        authority = MASK + "@" + authority.rpartition("@")[2]
    path, sep, query = rest.partition("?")
    if _SECRET_PATH.search(path) or re.search(r"/[A-Za-z0-9_-]{24,}", path):
        path = "/" + MASK
    query = _SECRET_PARAM.sub(lambda q: q.group(1) + MASK, sep + query) if sep else ""
    return scheme + authority + path + query


def redact(text: str) -> str:
    """Every URL and credential header in a line of text, masked."""
    text = _URL.sub(_url_sub, text)
    text = _HEADER.sub(lambda m: m.group(1) + m.group(2) + (m.group(3) or "") + MASK, text)
    return _BEARER.sub(lambda m: m.group(1) + " " + MASK, text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (arguments merged) with `redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: leave the record as it is
            return True
        clean = redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_FILTER = RedactingFilter()


def install(root: logging.Logger | None = None) -> None:
    """Redact every handler of the root logger (idempotent); keep noisy HTTP loggers quiet."""
    root = root or logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(_FILTER)
    for name in NOISY:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)


def scrub(value: Any) -> Any:
    """A JSON-like value with every string redacted (for error details that may hold URLs)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value
