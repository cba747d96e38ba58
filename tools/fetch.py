"""Fetching a web page for the knowledge base, safely: a URL a person (or a document) gives is
hostile until checked.

    data, content_type, final_url = fetch("https://example.com/page", FetchLimits.from_env())

- only http and https;
- the host is resolved and every address must be public: loopback, private, link-local (cloud
  metadata such as 169.254.169.254), shared, reserved and multicast addresses are refused, and
  so is every redirect to one (redirects are followed by hand, each target checked again);
- the connection goes to the address that was checked, never to a second lookup of the name (a
  DNS-rebinding server cannot answer "public" to the check and "internal" to the connection): the
  URL is pinned to that address, with the host name kept in the Host header and TLS's SNI, so
  certificates are still checked against the name;
- an allowlist (`SIGNOFF_FETCH_ALLOW=intranet.example,10.1.0.0/16`) admits intranet sources;
- caps on the download, on what it inflates to (a gzip bomb), and on the time, each refused with
  a message saying which cap and how to raise it.

Errors are `FetchError` (a ValueError): what was refused, why, and what to do.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

log = logging.getLogger(__name__)

MB = 1024 * 1024
MAX_REDIRECTS = 5
USER_AGENT = "Signoff knowledge base"

Resolver = Callable[[str, int], list[str]]


class FetchError(ValueError):
    """A URL that was not fetched; `str()` says why and what to do."""


@dataclass(frozen=True)
class FetchLimits:
    max_bytes: int = 20 * MB  # what comes over the wire (and the uploader's cap)
    max_inflated: int = 40 * MB  # what a compressed body may inflate to
    max_seconds: float = 30.0  # the whole fetch, redirects included
    max_pdf_pages: int = 300
    allow: tuple[str, ...] = ()  # hosts (and their subdomains) or networks (10.0.0.0/8)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> FetchLimits:
        """`SIGNOFF_FETCH_ALLOW` (comma-separated hosts or networks), `SIGNOFF_FETCH_MAX_MB`,
        `SIGNOFF_FETCH_TIMEOUT` (seconds), `SIGNOFF_FETCH_MAX_PDF_PAGES`."""
        env = dict(os.environ if env is None else env)
        allow = tuple(a.strip().lower() for a in env.get("SIGNOFF_FETCH_ALLOW", "").split(","))
        values: dict[str, object] = {"allow": tuple(a for a in allow if a)}
        for key, field, kind in (
            ("SIGNOFF_FETCH_MAX_MB", "max_bytes", "mb"),
            ("SIGNOFF_FETCH_TIMEOUT", "max_seconds", "float"),
            ("SIGNOFF_FETCH_MAX_PDF_PAGES", "max_pdf_pages", "int"),
        ):
            raw = env.get(key, "").strip()
            if not raw:
                continue
            try:
                number = float(raw)
                if number <= 0:
                    raise ValueError
            except ValueError:
                raise FetchError(f"{key} is {raw!r}; expected a positive number.") from None
            if kind == "mb":
                values["max_bytes"] = int(number * MB)
                values["max_inflated"] = int(number * MB * 2)
            else:
                values[field] = number if kind == "float" else int(number)
        return cls(**values)  # type: ignore[arg-type]

    def allows(self, host: str, address: str | None = None) -> bool:
        host = host.lower().rstrip(".")
        for entry in self.allow:
            if "/" in entry or _is_ip(entry):
                if address is not None:
                    try:
                        if ipaddress.ip_address(address) in ipaddress.ip_network(
                            entry, strict=False
                        ):
                            return True
                    except ValueError:
                        continue
            elif host == entry or host.endswith("." + entry):
                return True
        return False


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def resolve(host: str, port: int) -> list[str]:
    """Every address the host resolves to (IPv4 and IPv6)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def internal_why(address: str) -> str | None:
    """Why an address is internal (not to be fetched), or None for a public one."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "a loopback address (this machine)"
    if ip.is_unspecified:
        return "an unspecified address (it reaches this machine)"
    if ip.is_link_local:
        return "a link-local address (cloud metadata lives there)"
    if ip.is_private:
        return "a private network address"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified or not ip.is_global:
        return "a reserved or non-public address"
    return None


def check_url(url: str, limits: FetchLimits, resolver: Resolver = resolve) -> str | None:
    """Refuse a URL that is not http(s) or whose host is internal (and not allowlisted).

    Returns the checked address to connect to, or None when there is nothing to pin (the host is
    an address already, or allowlisted by name)."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise FetchError(f"{url!r} is not a valid web address ({exc}).") from None
    if parts.scheme not in ("http", "https"):
        raise FetchError(
            f"{url!r} is not a web address Signoff fetches: only http:// and https:// are, and "
            f"it uses {parts.scheme or 'no scheme'}. Save the page as a file and add the file."
        )
    host = (parts.hostname or "").lower()
    if not host:
        raise FetchError(f"{url!r} has no host name; expected https://example.com/page.")
    if limits.allows(host):
        return None
    try:
        addresses = [host] if _is_ip(host) else resolver(host, port)
    except OSError as exc:
        raise FetchError(
            f"Could not find the server {host} ({exc.strerror or exc}). Check the address."
        ) from None
    for address in addresses:
        why = internal_why(address)
        if why and not limits.allows(host, address):
            raise FetchError(
                f"Refused to fetch {host}: it is {why} ({address}), and Signoff only fetches "
                "public web pages. For an intranet source, add its host to SIGNOFF_FETCH_ALLOW."
            )
    if _is_ip(host) or not addresses:
        return None
    ipv4 = [a for a in addresses if ":" not in a]
    return (ipv4 or addresses)[0]


def pinned(url: str, address: str | None) -> tuple[str, dict[str, str], dict[str, str]]:
    """The request for `url` sent to `address`: the URL with the address for its host, the Host
    header and the TLS server name (SNI) that keep the original name."""
    if address is None:
        return url, {}, {}
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{address}]" if ":" in address else address
    host_header = host
    if parts.port is not None:
        netloc += f":{parts.port}"
        host_header += f":{parts.port}"
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return parts._replace(netloc=netloc).geturl(), {"Host": host_header}, extensions


def _inflate(chunks: Iterator[bytes], encoding: str, limits: FetchLimits) -> Iterator[bytes]:
    """Decompress as it streams, never more than the cap (a gzip bomb stops at the cap)."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        yield from chunks
        return
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise FetchError(f"The server sent the page encoded as {encoding!r}, which is not read.")
    wbits = 16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS
    inflater = zlib.decompressobj(wbits)
    step = 256 * 1024
    for chunk in chunks:
        data = chunk
        while data:
            out = inflater.decompress(data, step)
            data = inflater.unconsumed_tail
            if out:
                yield out
    tail = inflater.flush()
    if tail:
        yield tail


def fetch(
    url: str,
    limits: FetchLimits | None = None,
    *,
    resolver: Resolver = resolve,
    transport: httpx.BaseTransport | None = None,
) -> tuple[bytes, str, str]:
    """The body, its content type and the final URL; FetchError saying why not."""
    limits = limits or FetchLimits.from_env()
    deadline = time.monotonic() + limits.max_seconds
    current = url.strip()
    with httpx.Client(
        follow_redirects=False,
        timeout=httpx.Timeout(min(10.0, limits.max_seconds)),
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
        transport=transport,
    ) as client:
        for _ in range(MAX_REDIRECTS + 1):
            target_url, headers, extensions = pinned(current, check_url(current, limits, resolver))
            try:
                with client.stream(
                    "GET", target_url, headers=headers, extensions=extensions
                ) as response:
                    if response.is_redirect:
                        target = response.headers.get("location", "")
                        current = urljoin(current, target)
                        log.info("fetch: redirect to %s", urlsplit(current).hostname)
                        continue
                    if response.status_code >= 400:
                        raise FetchError(
                            f"Could not fetch URL: {url} answered HTTP {response.status_code}. "
                            "Check the address, or add the page as a saved HTML file instead."
                        )
                    body = _read(response, limits, deadline, url)
                    ctype = response.headers.get("content-type", "")
                    return body, ctype.split(";")[0].strip().lower(), current
            except httpx.HTTPError as exc:
                raise FetchError(
                    f"Could not fetch URL: {url} ({type(exc).__name__}: {exc or 'no answer'}) "
                    "(no network here?). Check the address, or add the page as a saved HTML file instead (save it "
                    "from your browser, then add the .html file)."
                ) from None
    raise FetchError(
        f"{url} redirects more than {MAX_REDIRECTS} times; add the final page's address instead."
    )


def _read(response: httpx.Response, limits: FetchLimits, deadline: float, url: str) -> bytes:
    size = response.headers.get("content-length", "")
    if size.isdigit() and int(size) > limits.max_bytes:
        raise FetchError(_too_big(url, int(size), limits))
    parts: list[bytes] = []
    total = 0
    raw = response.iter_raw(64 * 1024)

    def counted() -> Iterator[bytes]:
        for chunk in raw:
            if response.num_bytes_downloaded > limits.max_bytes:
                raise FetchError(_too_big(url, response.num_bytes_downloaded, limits))
            if time.monotonic() > deadline:
                raise FetchError(
                    f"Fetching {url} took longer than {limits.max_seconds:g} s and was stopped. "
                    "Save the page as a file and add the file, or raise SIGNOFF_FETCH_TIMEOUT."
                )
            yield chunk

    for piece in _inflate(counted(), response.headers.get("content-encoding", ""), limits):
        total += len(piece)
        if total > limits.max_inflated:
            raise FetchError(
                f"{url} unpacks to more than {limits.max_inflated // MB} MB (it is compressed "
                "far beyond what a web page needs) and was refused."
            )
        parts.append(piece)
    return b"".join(parts)


def _too_big(url: str, size: int, limits: FetchLimits) -> str:
    return (
        f"{url} is larger than the {limits.max_bytes // MB} MB a knowledge-base source may be "
        f"(at least {size / MB:.1f} MB). Add a shorter page or an extract of it, or raise "
        "SIGNOFF_FETCH_MAX_MB."
    )
