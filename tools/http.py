"""The connectors' one HTTP client: a timeout per attempt, retries with exponential backoff.

    5xx, 429, a timeout or an unreachable server  -> retried (Settings.http_retries times),
                                                     then ConnectorError(retryable=True)
    any other 4xx                                 -> ConnectorError(retryable=False) at once

Messages name the service, the status and the server's own short answer, and say what to do.
Logs carry the method, the origin and the status; never headers (tokens) nor a webhook's path.
"""

from __future__ import annotations

import functools
import logging
import ssl
import time
from typing import Any
from urllib.parse import urlparse

import certifi
import httpx

from tools.base import ConnectorError, Settings

log = logging.getLogger(__name__)
for _noisy in ("httpx", "httpcore"):  # they log every request URL (webhook paths, ?token=) at INFO
    if logging.getLogger(_noisy).level == logging.NOTSET:
        logging.getLogger(_noisy).setLevel(logging.WARNING)

ADVICE = {
    400: "The server refused the request as sent; nothing went out. A retry sends the same "
    "content: check the settings and the content on the service first.",
    401: "The credentials were refused; check them in the settings, then retry.",
    403: "The account may not do this; check its permissions (token scopes), then retry.",
    404: "Nothing is there; check the URL in the settings and the target of the action.",
    409: "It conflicts with what is already there; check it on the service.",
    413: "The request is too large for the server; shorten the action.",
    422: "The server refused the content; nothing went out. A retry sends the same content: "
    "draft it again with the change the server asks for.",
}


@functools.cache
def _tls() -> ssl.SSLContext:
    """httpx's default trust store (certifi), built once: building it costs ~20-80 ms a time."""
    return ssl.create_default_context(cafile=certifi.where())


def origin(url: str) -> str:
    parsed = urlparse(url)
    return f"{parsed.scheme}://{parsed.netloc.rpartition('@')[2]}"


def short_body(response: httpx.Response, limit: int = 200) -> str:
    """The server's own words: a JSON `error`/`message`, or the start of the body."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        for field in ("error", "message", "detail", "error_description"):
            if isinstance(data.get(field), str):
                return data[field][:limit]
    text = " ".join(response.text.split())
    return text[:limit] + ("…" if len(text) > limit else "") or "(empty body)"


def request(
    settings: Settings,
    method: str,
    url: str,
    *,
    service: str,
    json_body: Any = None,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    auth: tuple[str, str] | None = None,
    idempotent: bool = True,
    retries: int | None = None,
    show_path: bool = True,
    setting: str = "",
) -> httpx.Response:
    """One request with retries; returns a 2xx/3xx response or raises ConnectorError.

    `service` names the other side for messages ("Mastodon"); `setting` is the settings key a
    person fixes when the server cannot be reached. `idempotent=False` (e.g. a create without an
    Idempotency-Key) retries only when the request surely never reached the server.
    `show_path=False` keeps a secret-bearing path (webhooks) out of messages and logs.
    """
    retries = settings.http_retries if retries is None else retries
    where = f"{service} at {origin(url)}"
    what = f"{method} {urlparse(url).path}" if show_path else method
    fix = f" Check {setting} and that the server is up, then retry." if setting else " Retry later."
    last: ConnectorError | None = None
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(settings.http_backoff * 2 ** (attempt - 1))
        try:
            with httpx.Client(timeout=settings.http_timeout, verify=_tls()) as client:
                response = client.request(
                    method, url, json=json_body, params=params, headers=headers, auth=auth
                )
        except httpx.ConnectError as exc:  # never reached the server: always safe to retry
            last = ConnectorError(
                f"Could not reach {where} ({what}): {exc or type(exc).__name__}.{fix}",
                retryable=True,
            )
        except httpx.TimeoutException as exc:
            last = ConnectorError(
                f"{where} did not answer {what} within {settings.http_timeout:g} s "
                f"({type(exc).__name__}, {attempt + 1} "
                f"{'attempt' if attempt == 0 else 'attempts'}).{fix}",
                retryable=True,
            )
            if not idempotent and not isinstance(exc, httpx.ConnectTimeout):
                raise last from exc
        except httpx.TransportError as exc:
            last = ConnectorError(
                f"The connection to {where} failed during {what}: {exc}.{fix}", retryable=True
            )
            if not idempotent:
                raise last from exc
        else:
            status = response.status_code
            log.info("%s %s -> %s (attempt %d)", method, origin(url), status, attempt + 1)
            if status < 400:
                return response
            said = short_body(response)
            if status >= 500 or status == 429:
                last = ConnectorError(
                    f"{where} answered {status} {response.reason_phrase} to {what} "
                    f"{'once' if attempt == 0 else f'{attempt + 1} times'}: {said}. "
                    "It may be down or busy; retry later.",
                    retryable=True,
                    status=status,
                )
                if not idempotent:
                    raise last
            else:
                advice = ADVICE.get(status, "Check the action and the settings, then retry.")
                raise ConnectorError(
                    f"{where} answered {status} {response.reason_phrase} to {what}: {said.rstrip('.')}. "
                    f"{advice}",
                    retryable=False,
                    status=status,
                )
        log.warning(
            "%s %s failed (attempt %d of %d)", method, origin(url), attempt + 1, retries + 1
        )
    assert last is not None
    raise last


def json_of(response: httpx.Response, service: str) -> Any:
    """The response's JSON; a body that is not JSON is the server's fault, said clearly."""
    try:
        return response.json()
    except ValueError:
        raise ConnectorError(
            f"{service} answered {response.status_code} but not with JSON: "
            f"{short_body(response)}. Check the URL points at the API.",
            retryable=False,
            status=response.status_code,
        ) from None
