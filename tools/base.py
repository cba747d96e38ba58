"""What every outbound tool declares: its arguments, its risk and how its connector behaves.

A tool's docstring is its contract; its risk spec sits next to it (the default that policy.yaml
may override). Only the executor (`graphs/executor.py`) calls `OutboundTool.run` and `undo`.

Adding a connector: one module that builds an `OutboundTool`, one line in `tools/registry.py`.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

from pydantic import BaseModel, ValidationError

Tier = Literal["low", "medium", "high"]


@dataclass(frozen=True)
class RiskSpec:
    tier: Tier
    reversible: bool
    why: str  # in words a marketer understands


SOCIAL_CONNECTORS = ("feed", "webhook", "mastodon")
CMS_CONNECTORS = ("folder", "wordpress")
SECRETS = ("mastodon_token", "wordpress_app_password")  # plus the password inside smtp_url
CONNECTORS_FILE = "connectors.toml"


def env_name(key: str) -> str:
    """The environment variable for a settings key: `mastodon_token` -> SIGNOFF_MASTODON_TOKEN."""
    return f"SIGNOFF_{key.upper()}"


@dataclass(frozen=True, repr=False)
class Settings:
    """Where and how the connectors deliver. Build it with `Settings.load(home)`.

    Every field except `home` comes from the environment variable SIGNOFF_<FIELD> or the same key
    in `<home>/connectors.toml`; the environment wins. Secrets never appear in `repr()`.
    """

    home: Path
    # smtp://user:pass@host:587 (STARTTLS) or smtps://user:pass@host:465; None: a local Maildir
    smtp_url: str | None = None
    social: str = "feed"  # feed | webhook | mastodon
    social_webhook_url: str | None = None
    mastodon_url: str | None = None  # https://mastodon.example
    mastodon_token: str | None = None  # an access token with write:statuses, write:favourites…
    cms: str = "folder"  # folder | wordpress
    wordpress_url: str | None = None  # https://blog.example (the site, not /wp-json)
    wordpress_user: str | None = None
    wordpress_app_password: str | None = None  # Users › Profile › Application Passwords
    ads_webhook_url: str | None = None  # None: the ledger alone books spend ("booked locally")
    ads_currency: str = "EUR"
    ads_daily_budget: float | None = None  # hard limits from policy.yaml; None: no spending
    ads_campaign_budget: float | None = None
    http_timeout: float = 10.0  # seconds to wait for a server per attempt (HTTP and SMTP)
    http_retries: int = 3  # extra attempts after a 5xx, a timeout or an unreachable server
    http_backoff: float = 0.5  # seconds before the first retry; doubles each time

    def __post_init__(self) -> None:
        object.__setattr__(self, "home", Path(self.home))
        object.__setattr__(self, "ads_currency", str(self.ads_currency).upper())
        _check(self)

    @classmethod
    def load(cls, home: Path | str, env: Mapping[str, str] | None = None) -> Settings:
        """Settings from `<home>/connectors.toml` (optional) and SIGNOFF_* variables (these win)."""
        env = os.environ if env is None else env
        home = Path(home)
        values: dict[str, Any] = {}
        sources: dict[str, str] = {}
        path = home / CONNECTORS_FILE
        if path.exists():
            try:
                table = tomllib.loads(path.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise ValueError(f"{path} is not valid TOML: {exc}. Fix the file.") from exc
            for key, value in table.items():
                if key not in _FIELDS:
                    raise ValueError(
                        f"Unknown key '{key}' in {path}; expected one of {sorted(_FIELDS)}. "
                        "Remove it or fix its spelling."
                    )
                values[key], sources[key] = value, f"'{key}' in {path}"
        for key in _FIELDS:
            raw = env.get(env_name(key))
            if raw is not None and raw.strip() != "":
                values[key], sources[key] = raw.strip(), env_name(key)
        typed = {key: _convert(key, value, sources[key]) for key, value in values.items()}
        return cls(home=home, **typed)

    def __repr__(self) -> str:
        shown = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in SECRETS and value:
                value = "***"
            elif f.name == "smtp_url" or f.name.endswith("webhook_url"):
                value = mask_url(value)
            shown.append(f"{f.name}={value!r}")
        return f"Settings({', '.join(shown)})"

    __str__ = __repr__


_FIELDS = {f.name: f for f in dataclasses.fields(Settings) if f.name != "home"}
_FLOATS = ("ads_daily_budget", "ads_campaign_budget", "http_timeout", "http_backoff")


def mask_url(url: str | None) -> str | None:
    """A URL fit for logs: no password, and no path (webhook paths are often secrets)."""
    if not url:
        return url
    parsed = urlparse(url)
    host = parsed.hostname or "?"
    where = f"{host}:{parsed.port}" if parsed.port else host
    user = f"{parsed.username}:***@" if parsed.password else ""
    tail = "/***" if parsed.path.strip("/") and not url.startswith("smtp") else ""
    return f"{parsed.scheme}://{user}{where}{tail}"


def hide_password(url: str) -> str:
    password = urlparse(url).password
    return url.replace(f":{password}@", ":***@") if password else url


def _convert(key: str, value: Any, source: str) -> Any:
    shown = "***" if key in SECRETS else repr(value)
    if key in _FLOATS:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(
                f"{source} = {shown} is not a number; expected e.g. 50 or 12.5. Fix it and restart."
            ) from None
        if isinstance(value, bool) or not math.isfinite(number):
            raise ValueError(f"{source} = {shown} is not a number; expected e.g. 50 or 12.5.")
        return number
    if key == "http_retries":
        try:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            return int(value)
        except (TypeError, ValueError):
            raise ValueError(
                f"{source} = {shown} is not a whole number; expected e.g. 3. Fix it and restart."
            ) from None
    if not isinstance(value, str):
        raise ValueError(f"{source} = {shown} must be text (a quoted string in TOML).")
    return value


def _where(key: str) -> str:
    return f"{key} ({env_name(key)} or '{key}' in {CONNECTORS_FILE})"


def _check(s: Settings) -> None:
    """Every value allowed, and every connector chosen has what it needs; else a ValueError."""

    def bad(key: str, allowed: str) -> ValueError:
        value = getattr(s, key)
        shown = "***" if key in SECRETS else hide_password(value) if key == "smtp_url" else value
        return ValueError(f"{_where(key)} = {shown!r} is not allowed; expected {allowed}.")

    for key, choices in (("social", SOCIAL_CONNECTORS), ("cms", CMS_CONNECTORS)):
        if getattr(s, key) not in choices:
            raise bad(key, f"one of {list(choices)}. Set one of those, or unset it for the default")
    if s.smtp_url is not None:
        parsed = urlparse(s.smtp_url)
        if parsed.scheme not in ("smtp", "smtps") or not parsed.hostname:
            raise bad("smtp_url", "smtp://user:password@host:587 or smtps://user:password@host:465")
    for key in ("social_webhook_url", "mastodon_url", "wordpress_url", "ads_webhook_url"):
        url = getattr(s, key)
        if url is not None:
            parsed = urlparse(url)
            if parsed.scheme not in ("http", "https") or not parsed.hostname:
                raise bad(key, "an http:// or https:// URL such as https://example.com/hook")
    for token in SECRETS:
        value = getattr(s, token)
        if value is not None and (not value.strip() or "\n" in value):
            raise bad(token, "the secret on one line, without surrounding spaces")
    needs = {
        ("social", "webhook"): ("social_webhook_url",),
        ("social", "mastodon"): ("mastodon_url", "mastodon_token"),
        ("cms", "wordpress"): ("wordpress_url", "wordpress_user", "wordpress_app_password"),
    }
    for (key, choice), required in needs.items():
        missing = [r for r in required if getattr(s, r) is None]
        if getattr(s, key) == choice and missing:
            raise ValueError(
                f"{key} = '{choice}' needs {', '.join(_where(m) for m in missing)}. "
                f"Set them, or set {key} to '{_FIELDS[key].default}'."
            )
    if not re.fullmatch(r"[A-Z]{3}", s.ads_currency):
        raise bad("ads_currency", "a 3-letter ISO currency code such as EUR or USD")
    for key in ("ads_daily_budget", "ads_campaign_budget"):
        value = getattr(s, key)
        if value is not None and not (isinstance(value, int | float) and value >= 0):
            raise bad(key, "an amount of 0 or more (or nothing: no ad spending allowed)")
    if not (isinstance(s.http_timeout, int | float) and 0 < s.http_timeout <= 300):
        raise bad("http_timeout", "seconds between 0 and 300, e.g. 10")
    if not (isinstance(s.http_backoff, int | float) and 0 <= s.http_backoff <= 60):
        raise bad("http_backoff", "seconds between 0 and 60, e.g. 0.5")
    if not (isinstance(s.http_retries, int) and 0 <= s.http_retries <= 10):
        raise bad("http_retries", "a whole number from 0 to 10, e.g. 3")


@dataclass(frozen=True)
class Call:
    """One connector call: validated args, the idempotency key and where it comes from."""

    args: dict[str, Any]
    key: str  # idempotency key: the same approved action always has the same key
    thread_id: str  # the campaign
    action_id: str
    settings: Settings


class ConnectorError(Exception):
    """The connector could not do the action; `str()` says why and what to do.

    `retryable`: trying again later may work (a 5xx, a timeout, an unreachable server, after the
    connector's own retries); False when the request itself was refused (a 4xx, a budget).
    """

    def __init__(self, message: str, *, retryable: bool = False, status: int | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.status = status


Run = Callable[[Call], dict[str, Any]]
Undo = Callable[[Call, dict[str, Any]], dict[str, Any] | None]


@dataclass(frozen=True)
class OutboundTool:
    name: str
    channel: str
    title: str  # "Send email"
    args_model: type[BaseModel]
    risk: RiskSpec  # the default; policy.yaml may override it
    run: Run
    honours_key: Callable[[Settings], bool]  # may a call stuck in `sending` be retried safely?
    preview: Callable[[dict[str, Any]], str]  # the text a reviewer reads
    connector: Callable[[Settings], str]  # the connector in use: "smtp", "mastodon", …
    # Reverses a done call, given the call and what `run` returned. Returns None when the
    # connector that ran it cannot take it back. None here: the tool is never undoable.
    undo: Undo | None = None
    # Per connector name: {"max_chars": 500} limits the `text` argument as published.
    limits: dict[str, dict[str, int]] = field(default_factory=dict)

    def limits_for(self, settings: Settings) -> dict[str, int]:
        return dict(self.limits.get(self.connector(settings), {}))

    def validate_args(
        self, args: dict[str, Any], settings: Settings | None = None
    ) -> dict[str, Any]:
        """Validated, normalised args; raises ValueError with a message for a person.

        With `settings`, also the limits of the connector in use (e.g. a network's post length).
        """
        try:
            valid = self.args_model.model_validate(args).model_dump()
        except ValidationError as exc:
            raise ValueError(describe_validation(exc, self.args_model)) from exc
        if settings is not None:
            check_limits(self, valid, settings)
        return valid


def check_limits(tool: OutboundTool, args: dict[str, Any], settings: Settings) -> None:
    max_chars = tool.limits_for(settings).get("max_chars")
    if max_chars is not None and "text" in args:
        length = len(strip_citations(str(args["text"])))
        if length > max_chars:
            raise ValueError(
                f"text is {length} characters; {tool.connector(settings)} allows at most "
                f"{max_chars}. Shorten it (edit) and approve it again."
            )


_CITATION = re.compile(r"\s?\[\d+(?:\s*,\s*\d+)*\]")


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")


def single_line(value: str, what: str = "this field") -> str:
    """A header-like field (subject, recipient, title): one line, no control characters. A line
    break there would let the text add headers of its own (`Bcc: …`)."""
    bad = _CONTROL.search(value)
    if bad:
        name = {"\r": "a carriage return (CR)", "\n": "a line break (LF)", "\t": "a tab"}.get(
            bad.group(0), f"the control character U+{ord(bad.group(0)):04X}"
        )
        raise ValueError(
            f"{what} must be one line but contains {name}; remove it (line breaks in a header "
            "could add recipients or headers)"
        )
    return value


def strip_citations(text: str) -> str:
    """Citation marks like [1] or [1, 2] are for the reviewer; they never go out."""
    return _CITATION.sub("", text)


def validation_problems(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"] if not str(p).startswith("Edit_")) or "(value)"
        message = str(err["msg"]).removeprefix("Value error, ")
        got = repr(err.get("input"))
        if len(got) > 60:
            got = got[:57] + "…" + got[-1]
        problems.append(f"{where}: {message} (got {got})")
    return "; ".join(problems)


def describe_validation(exc: ValidationError, model: type[BaseModel]) -> str:
    problems = validation_problems(exc)
    fields = ", ".join(
        f"{name}{'' if f.is_required() else '?'}" for name, f in model.model_fields.items()
    )
    return f"{problems}. Expected fields: {fields}."
