"""The Mastodon API (https://docs.joinmastodon.org/methods/), just what the social tools need.

Every POST carries an `Idempotency-Key`: Mastodon answers a repeated key with the first result,
so a retried or re-run call never posts, likes or follows twice.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote, urlparse

from tools.base import ConnectorError, Settings
from tools.http import json_of, request

log = logging.getLogger(__name__)

SERVICE = "Mastodon"
_ID = re.compile(r"^[A-Za-z0-9_-]+$")  # Mastodon ids are snowflakes; other servers use other ids


class Mastodon:
    def __init__(self, settings: Settings) -> None:
        if not settings.mastodon_url or not settings.mastodon_token:
            raise ConnectorError(
                "Mastodon is not configured: set SIGNOFF_MASTODON_URL and SIGNOFF_MASTODON_TOKEN "
                "(or mastodon_url / mastodon_token in connectors.toml), then retry."
            )
        self.settings = settings
        self.base = settings.mastodon_url.rstrip("/")
        self._auth = {"Authorization": f"Bearer {settings.mastodon_token}"}

    def call(
        self,
        method: str,
        path: str,
        *,
        key: str | None = None,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        headers = dict(self._auth)
        if key is not None:
            headers["Idempotency-Key"] = key
        response = request(
            self.settings,
            method,
            self.base + path,
            service=SERVICE,
            json_body=body,
            params=params,
            headers=headers,
            setting="SIGNOFF_MASTODON_URL",
        )
        return json_of(response, SERVICE)

    # -- statuses -------------------------------------------------------------------------------
    def post_status(self, text: str, key: str) -> dict[str, Any]:
        status = self.call(
            "POST", "/api/v1/statuses", key=key, body={"status": text, "visibility": "public"}
        )
        return {"id": str(status["id"]), "url": status.get("url") or status.get("uri")}

    def delete_status(self, status_id: str) -> dict[str, Any]:
        try:
            self.call("DELETE", f"/api/v1/statuses/{quote(status_id)}")
        except ConnectorError as exc:
            if exc.status != 404:
                raise
            log.info("status %s was already deleted", status_id)
            return {"deleted": status_id, "already_gone": True}
        return {"deleted": status_id}

    def status_id(self, post: str) -> str:
        """A status id from an id or a status URL (`https://host/@name/110…` -> `110…`).

        A URL on another server is resolved through search: its last path segment is that
        server's id, not ours.
        """
        if not post.startswith(("http://", "https://")):
            return post
        parsed = urlparse(post)
        if parsed.hostname == urlparse(self.base).hostname:
            last = parsed.path.rstrip("/").rpartition("/")[2]
            if _ID.match(last):
                return last
        found = self.call(
            "GET", "/api/v2/search", params={"q": post, "type": "statuses", "resolve": "true"}
        )
        statuses = (found.get("statuses") or []) if isinstance(found, dict) else []
        if not statuses:
            raise ConnectorError(
                f"{SERVICE} at {self.base} found no post at {post}. Check the link, then retry."
            )
        return str(statuses[0]["id"])

    # -- accounts -------------------------------------------------------------------------------
    def account_id(self, account: str) -> str:
        """An account id from an id or a handle (`@name@host`, `name@host`, `@name`)."""
        if "@" not in account:
            return account
        acct = account.lstrip("@")
        try:
            return str(self.call("GET", "/api/v1/accounts/lookup", params={"acct": acct})["id"])
        except ConnectorError as exc:
            if exc.status != 404:
                raise
        # not known to our server yet: ask it to fetch the account from its home server
        found = self.call(
            "GET", "/api/v2/search", params={"q": f"@{acct}", "type": "accounts", "resolve": "true"}
        )
        accounts = (found.get("accounts") or []) if isinstance(found, dict) else []
        name, _, host = acct.lower().partition("@")
        same = {acct.lower()} | ({name} if host in ("", urlparse(self.base).hostname) else set())
        for candidate in accounts:
            if str(candidate.get("acct", "")).lower() in same:
                return str(candidate["id"])
        raise ConnectorError(
            f"{SERVICE} at {self.base} found no account @{acct}. Check the handle (it looks like "
            "@name@example.social), then retry.",
            status=404,
        )
