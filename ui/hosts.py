"""Where the page may be served, and under which Host names (pure; no Streamlit import).

Local mode (no `[auth]` in `.streamlit/secrets.toml`): only a loopback address, and only the Host
names of loopback. With sign-in: any address; the Host must be the one of the configured
`redirect_uri` (the address people use), or one listed in SIGNOFF_ALLOWED_HOSTS.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")
SECRETS = Path(".streamlit") / "secrets.toml"
HOW_TO_SIGN_IN = (
    "Signoff serves other addresses than loopback (127.0.0.1) only with sign-in: add an [auth] "
    "section to .streamlit/secrets.toml (redirect_uri, cookie_secret, client_id, client_secret, "
    "server_metadata_url of your OpenID provider: Google, Microsoft Entra, Okta, Keycloak…), "
    "see 'Running it for a team' in the README. Or serve on 127.0.0.1."
)


def is_loopback(address: str | None) -> bool:
    if not address:
        return False  # an empty address means every interface
    name = address.strip().strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def secrets_files(base: Path | None = None) -> list[Path]:
    """The files Streamlit reads secrets from, in its order: ~/.streamlit/, the directory it is
    started from, the app's own directory (ui/.streamlit/)."""
    here = base or Path.cwd()
    return [Path.home() / SECRETS, here / SECRETS, Path(__file__).parent / SECRETS]


def auth_section(base: Path | None = None) -> dict[str, Any] | None:
    """The [auth] section as Streamlit will see it (the later file wins), or None."""
    found: dict[str, Any] | None = None
    for path in secrets_files(base):
        if path.is_file():
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError):
                continue
            if isinstance(data.get("auth"), dict):
                found = data["auth"]
    return found


def allowed_hosts(auth: dict[str, Any] | None) -> list[str]:
    """Host names (without port) a request may carry."""
    hosts = ["127.0.0.1", "localhost", "::1", "[::1]"]
    if auth:
        name = urlsplit(str(auth.get("redirect_uri", ""))).hostname
        if name:
            hosts.append(name)
    extra = os.environ.get("SIGNOFF_ALLOWED_HOSTS", "")
    hosts += [h.strip().lower() for h in extra.split(",") if h.strip()]
    return list(dict.fromkeys(hosts))


def host_name(header: str) -> str:
    """'evil.example:8501' → 'evil.example'; '[::1]:8501' → '[::1]'."""
    value = header.strip().lower()
    if value.startswith("["):
        return value[: value.find("]") + 1] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def host_allowed(header: str | None, auth: dict[str, Any] | None) -> bool:
    return bool(header) and host_name(str(header)) in allowed_hosts(auth)
