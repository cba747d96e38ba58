"""Links and contacts: every URL, domain, email address, phone number and @handle in what would
go out must come from the brief, the brand's own settings or the policy's allowlist.

This holds whatever the injection screen found: a writer that obeyed an instruction hidden in a
source (or a contact's CSV field pasted into an email) produces a link nobody asked for, and that
link alone sends the action to a person, whatever its tier or autonomy level.

    found = contacts_in("Order at https://evil.example/order or call +1 555 010 9999")
    problems = foreign_contacts(action_args, allowed_from(brief, policy, settings))
    # ["links to evil.example, which is not one of your domains", …]
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from graphs.humanize import count

# Fields that are addresses, not content: the recipient is checked as a recipient.
RECIPIENT_FIELDS = {"send_email": ("to",)}
# The sender's own domain (tools/email.py FROM_ADDRESS) is always ours.
OWN_DOMAINS = ("signoff.local",)

_URL = re.compile(r"(?i)\b(?:https?|ftp)://[^\s<>\"'()\[\]{}]+|\bwww\.[^\s<>\"'()\[\]{}]+")
_EMAIL = re.compile(r"(?i)(?<![\w.+@-])[\w.+-]+@(?:[a-z0-9-]+\.)+[a-z]{2,24}\b")
_HANDLE = re.compile(r"(?<![\w@/.])@[A-Za-z0-9_]{2,30}(?:@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24})?\b")
_DOMAIN = re.compile(r"(?i)(?<![\w@./-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}\b")
_PHONE = re.compile(r"(?<![\w+])(?:\+|\b)\(?\d[\d\s().-]{6,20}\d\b")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$|^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$")
# Dotted words that are file names or abbreviations, not domains.
_NOT_TLD = frozenset(
    "md txt html htm pdf png jpg jpeg gif svg csv json yaml yml py js ts css xml zip doc docx "
    "xls xlsx ppt pptx mp3 mp4 mov toml ini log eg ie etc vs am pm".split()
)


@dataclass(frozen=True)
class Found:
    kind: str  # "link" | "domain" | "email" | "phone" | "handle"
    value: str  # as written
    key: str  # what is compared: a host, an address, digits, a handle (lower case)


@dataclass
class Allowed:
    """What may appear in a draft: hosts (exact), domains (and their subdomains), addresses,
    phone numbers (digits) and handles."""

    hosts: set[str] = field(default_factory=set)
    domains: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    handles: set[str] = field(default_factory=set)

    def add_text(self, text: str) -> None:
        for f in contacts_in(text):
            self.add(f)

    def add(self, f: Found) -> None:
        if f.kind in ("link", "domain"):
            self.hosts.add(f.key)
        elif f.kind == "email":
            self.emails.add(f.key)
            self.hosts.add(f.key.rpartition("@")[2])
        elif f.kind == "phone":
            self.phones.add(f.key)
        elif f.kind == "handle":
            self.handles.add(f.key)
            if f.key.count("@") == 2:
                self.hosts.add(f.key.rpartition("@")[2])

    def permits(self, f: Found) -> bool:
        if f.kind in ("link", "domain"):
            return self._host_ok(f.key)
        if f.kind == "email":
            return f.key in self.emails or self._domain_ok(f.key.rpartition("@")[2])
        if f.kind == "phone":
            return f.key in self.phones
        if f.kind == "handle":
            return f.key in self.handles
        return False

    def _host_ok(self, host: str) -> bool:
        return host in self.hosts or self._domain_ok(host)

    def _domain_ok(self, host: str) -> bool:
        return any(host == d or host.endswith("." + d) for d in self.domains)

    def as_list(self) -> list[str]:
        """JSON-ready, for a review payload (an edit is checked against the same list)."""
        return sorted(
            [f"host:{h}" for h in self.hosts]
            + [f"domain:{d}" for d in self.domains]
            + [f"email:{e}" for e in self.emails]
            + [f"phone:{p}" for p in self.phones]
            + [f"handle:{h}" for h in self.handles]
        )

    @classmethod
    def from_list(cls, items: Iterable[str]) -> Allowed:
        allowed = cls()
        for item in items:
            kind, _, value = item.partition(":")
            {
                "host": allowed.hosts,
                "domain": allowed.domains,
                "email": allowed.emails,
                "phone": allowed.phones,
                "handle": allowed.handles,
            }.get(kind, set()).add(value)
        return allowed


def _host(url: str) -> str:
    if url.lower().startswith("www."):
        url = "http://" + url
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        host = ""
    return _bare(host)


def _bare(host: str) -> str:
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def _strip_trailing(value: str) -> str:
    return value.rstrip(".,;:!?*_~`")


# Texts up to this size are scanned once per process: the brief's and the brand's strings are
# the same for every draft a campaign routes, and `allowed_from` scans them all each time.
CACHED_CHARS = 4000


def contacts_in(text: str) -> list[Found]:
    """Every link, bare domain, email address, phone number and @handle in `text`."""
    if len(text) <= CACHED_CHARS:
        return list(_contacts_cached(text))
    return _contacts(text)


@functools.lru_cache(maxsize=2048)
def _contacts_cached(text: str) -> tuple[Found, ...]:
    return tuple(_contacts(text))


def _contacts(text: str) -> list[Found]:
    found: list[Found] = []
    spans: list[tuple[int, int]] = []

    def taken(start: int, end: int) -> bool:
        return any(s <= start < e or s < end <= e for s, e in spans)

    for m in _URL.finditer(text):
        value = _strip_trailing(m.group(0))
        host = _host(value)
        if host:
            found.append(Found("link", value, host))
            spans.append((m.start(), m.start() + len(value)))
    for m in _EMAIL.finditer(text):
        if taken(m.start(), m.end()):
            continue
        found.append(Found("email", m.group(0), m.group(0).lower()))
        spans.append(m.span())
    for m in _HANDLE.finditer(text):
        if taken(m.start(), m.end()):
            continue
        found.append(Found("handle", m.group(0), m.group(0).lower()))
        spans.append(m.span())
    for m in _DOMAIN.finditer(text):
        if taken(m.start(), m.end()):
            continue
        value = m.group(0)
        if value.rsplit(".", 1)[1].lower() in _NOT_TLD or value.replace(".", "").isdigit():
            continue
        found.append(Found("domain", value, _bare(value)))
        spans.append(m.span())
    for m in _PHONE.finditer(text):
        if taken(m.start(), m.end()):
            continue
        value = m.group(0).strip()
        digits = re.sub(r"\D", "", value)
        if len(digits) < 8 or _DATE.match(value) or not re.search(r"[\s().+-]", value):
            continue  # a plain number (a price, an order id) or a date
        found.append(Found("phone", value, digits))
        spans.append(m.span())
    return found


def _strings(value: Any) -> Iterable[str]:
    """Every string inside args (nested lists/dicts included), iteratively."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


def allowed_from(
    brief: Mapping[str, Any] | None,
    allowlist: Mapping[str, Iterable[str]] | None = None,
    settings: Any = None,
    brand: Mapping[str, Any] | None = None,
) -> Allowed:
    """What the marketer gave: the brief's own links and contacts, the brand's settings (From
    address, signature, postal address, unsubscribe line), the policy's allowlist and the
    connectors' own sites."""
    allowed = Allowed(domains=set(OWN_DOMAINS))
    for text in [*_strings(dict(brief or {})), *_strings(dict(brand or {}))]:
        allowed.add_text(text)
    lists = allowlist or {}
    allowed.domains.update(_bare(d) for d in lists.get("domains", []))
    allowed.emails.update(e.lower() for e in lists.get("emails", []))
    allowed.phones.update(re.sub(r"\D", "", p) for p in lists.get("phones", []))
    allowed.handles.update(h.lower() for h in lists.get("handles", []))
    if settings is not None:
        for name in ("mastodon_url", "wordpress_url"):
            url = getattr(settings, name, None)
            if url:
                allowed.hosts.add(_host(url))
    return allowed


def describe(f: Found) -> str:
    """A marketer's reason for one foreign link or contact."""
    if f.kind in ("link", "domain"):
        return f"links to {f.key}, which is not one of your domains"
    if f.kind == "email":
        return f"gives the email address {f.value}, which is not in the brief or your allowlist"
    if f.kind == "phone":
        return f"gives the phone number {f.value}, which is not in the brief or your allowlist"
    return f"mentions the account {f.value}, which is not in the brief or your allowlist"


def foreign(action_name: str, args: Mapping[str, Any], allowed: Allowed) -> list[Found]:
    """The links and contacts in an action's text fields that the marketer did not give."""
    skip = RECIPIENT_FIELDS.get(action_name, ())
    own = Allowed()
    for name in skip:  # the recipient's own address may appear in their email
        if isinstance(args.get(name), str):
            own.add_text(args[name])
    out: dict[tuple[str, str], Found] = {}
    for name, value in args.items():
        if name in skip:
            continue
        for text in _strings(value):
            for f in contacts_in(text):
                if not allowed.permits(f) and not (f.kind == "email" and f.key in own.emails):
                    out.setdefault((f.kind, f.key), f)
    return list(out.values())


def foreign_contacts(action_name: str, args: Mapping[str, Any], allowed: Allowed) -> list[str]:
    """Reasons, one per foreign link or contact (at most 5, then a count)."""
    found = foreign(action_name, args, allowed)
    reasons = [describe(f) for f in found[:5]]
    if len(found) > 5:
        reasons.append(
            f"and {count(len(found) - 5, 'more link or contact', 'more links or contacts')} you did not give"
        )
    return reasons
