"""Social: public posts and micro-engagements (like, follow, repost) through one connector.

`Settings.social` picks the connector:

    feed      (default) JSON lines under the data directory (tools/feed.py)
    webhook   a JSON POST with an Idempotency-Key to `social_webhook_url` (tools/webhook.py)
    mastodon  the Mastodon API at `mastodon_url` with `mastodon_token` (tools/mastodon.py)

Every connector here honours the key, so a call cut off by a crash is retried safely. An undo
goes to the connector that did the action (recorded in its result), not the one configured now.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tools import webhook
from tools.base import Call, ConnectorError, OutboundTool, RiskSpec, Settings, strip_citations
from tools.feed import append_once, now
from tools.mastodon import Mastodon

MAX_POST_CHARS = 500  # the longest post any connector here takes; LIMITS has each one's own
LIMITS = {
    "feed": {"max_chars": 500},
    "webhook": {"max_chars": 500},
    "mastodon": {"max_chars": 500},  # the default of a Mastodon server
}
WEBHOOK = {"service": "The social webhook", "setting": "SIGNOFF_SOCIAL_WEBHOOK_URL"}

_POST_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_HANDLE = re.compile(r"^@?[A-Za-z0-9_.-]+(@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)?$")


def connector(settings: Settings) -> str:
    return settings.social


# -- publish_post ---------------------------------------------------------------------------------
class PostArgs(BaseModel):
    """One public post on the brand's social account."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_POST_CHARS + 200)

    @field_validator("text")
    @classmethod
    def _length(cls, value: str) -> str:
        length = len(strip_citations(value))  # citation marks never go out
        if length > MAX_POST_CHARS:
            raise ValueError(
                f"the post is {length} characters without citation marks; at most "
                f"{MAX_POST_CHARS} characters go out. Shorten it"
            )
        return value


RISK = RiskSpec(
    tier="high",
    reversible=False,
    why="A public post is seen (and copied) the moment it is published.",
)


def publish_post(call: Call) -> dict[str, Any]:
    """Publish `text` (citation marks removed) once per key on the configured connector.

    Returns {"transport": "feed", "path", "line"} | {"transport": "webhook", "status",
    "response"} | {"transport": "mastodon", "id", "url"}.
    """
    settings, text = call.settings, strip_citations(call.args["text"])
    limit = LIMITS[settings.social]["max_chars"]
    if len(text) > limit:  # the executor checks first; this guards direct callers
        raise ConnectorError(
            f"The post is {len(text)} characters; {settings.social} allows {limit}. Shorten it."
        )
    if settings.social == "mastodon":
        return {"transport": "mastodon", **Mastodon(settings).post_status(text, call.key)}
    if settings.social == "webhook":
        assert settings.social_webhook_url  # Settings checks it is there
        return post_to_webhook(call, "publish_post", text, settings.social_webhook_url, WEBHOOK)
    return post_to_feed(call, settings.home / "feed.jsonl", text)


def post_to_webhook(
    call: Call, action: str, text: str, url: str, names: dict[str, str]
) -> dict[str, Any]:
    """A post's text as one JSON POST to `url` (tools/webhook.py), the action's key as its
    Idempotency-Key; `names` says which service and setting its errors name."""
    payload = {
        "action": action,
        "key": call.key,
        "campaign": call.thread_id,
        "action_id": call.action_id,
        "text": text,
    }
    return {"transport": "webhook", **webhook.post(call, url, payload, **names)}


def post_to_feed(call: Call, path: Path, text: str) -> dict[str, Any]:
    """A post's text as one JSON line in `path`, once per key."""
    line, _ = append_once(path, "key", {"key": call.key, "at": now(), "text": text})
    return {"transport": "feed", "path": str(path), "line": line}


def undo_post(call: Call, result: dict[str, Any]) -> dict[str, Any] | None:
    """Delete the post (Mastodon) or record its deletion (feed). A webhook's post: None."""
    transport = result.get("transport")
    if transport == "mastodon":
        return {"transport": "mastodon", **Mastodon(call.settings).delete_status(result["id"])}
    if transport == "feed":
        path = call.settings.home / "feed.jsonl"
        entry = {"undo_of": call.key, "at": now(), "action": "delete"}
        line, _ = append_once(path, "undo_of", entry)
        return {"transport": "feed", "deleted": True, "path": str(path), "line": line}
    return None  # the receiver of a webhook has no way to be told; remove it there


PUBLISH_POST = OutboundTool(
    name="publish_post",
    channel="social",
    title="Publish social post",
    args_model=PostArgs,
    risk=RISK,
    run=publish_post,
    honours_key=lambda settings: True,  # feed: by key; webhook, Mastodon: Idempotency-Key
    preview=lambda args: str(args.get("text", "")),
    connector=connector,
    undo=undo_post,
    limits=LIMITS,
)


# -- micro-engagements: like_post, repost_post, follow_account ------------------------------------
class PostRef(BaseModel):
    """One post, by its link or its id."""

    model_config = ConfigDict(extra="forbid")

    post: str = Field(description="a post link (https://mastodon.social/@name/110…) or a post id")

    @field_validator("post")
    @classmethod
    def _post(cls, value: str) -> str:
        value = value.strip()
        parsed = urlparse(value)
        if parsed.scheme in ("http", "https") and parsed.hostname and parsed.path.strip("/"):
            return value
        if _POST_ID.match(value):
            return value
        raise ValueError(
            f"'{value}' is neither a post link like https://mastodon.social/@name/110… "
            "nor a post id like 110912345678901234"
        )


class AccountRef(BaseModel):
    """One account, by its handle or its id."""

    model_config = ConfigDict(extra="forbid")

    account: str = Field(description="a handle like @name@mastodon.social, or an account id")

    @field_validator("account")
    @classmethod
    def _account(cls, value: str) -> str:
        value = value.strip()
        if _HANDLE.match(value) and ("@" in value or value.isdigit()):
            return value
        if _POST_ID.match(value) and "@" not in value:
            return value
        raise ValueError(
            f"'{value}' is neither a handle like @name@mastodon.social nor an account id "
            "like 109876543210"
        )


ENGAGEMENT_RISK = RiskSpec(
    tier="low",
    reversible=True,
    why="A like, follow or repost is small, visible to few, and can be taken back.",
)


@dataclass(frozen=True)
class Engagement:
    name: str  # the tool
    verb: str  # in feed entries and previews: "like"
    undo_verb: str  # "unlike"
    api: str  # Mastodon: POST /api/v1/{statuses|accounts}/:id/{api}
    api_undo: str
    target: str  # the argument naming what is engaged with: "post" | "account"
    title: str

    def run(self, call: Call) -> dict[str, Any]:
        """Engage once per key; returns {"transport", "action", "target", ...}."""
        ref = call.args[self.target]
        settings = call.settings
        if settings.social == "mastodon":
            client = Mastodon(settings)
            target_id = self._resolve(client, ref)
            client.call("POST", self._path(target_id, self.api), key=call.key)
            return {"transport": "mastodon", "action": self.api, "target": ref, "id": target_id}
        if settings.social == "webhook":
            assert settings.social_webhook_url
            payload = {
                "action": self.verb,
                "key": call.key,
                "campaign": call.thread_id,
                "target": ref,
            }
            sent = webhook.post(call, settings.social_webhook_url, payload, **WEBHOOK)
            return {"transport": "webhook", "action": self.verb, "target": ref, **sent}
        path = settings.home / "engagements.jsonl"
        entry = {"key": call.key, "at": now(), "action": self.verb, "target": ref}
        line, _ = append_once(path, "key", entry)
        return {
            "transport": "feed",
            "action": self.verb,
            "target": ref,
            "path": str(path),
            "line": line,
        }

    def undo(self, call: Call, result: dict[str, Any]) -> dict[str, Any] | None:
        """Take it back on the connector that did it: unfavourite, unreblog, unfollow."""
        ref = result.get("target", call.args[self.target])
        transport = result.get("transport")
        undo_key = f"{call.key}-undo"
        if transport == "mastodon":
            client = Mastodon(call.settings)
            client.call("POST", self._path(result["id"], self.api_undo), key=undo_key)
            return {"transport": "mastodon", "action": self.api_undo, "id": result["id"]}
        if transport == "webhook":
            if not call.settings.social_webhook_url:
                return None
            payload = {
                "action": self.undo_verb,
                "key": undo_key,
                "undo_of": call.key,
                "campaign": call.thread_id,
                "target": ref,
            }
            undo_call = Call(call.args, undo_key, call.thread_id, call.action_id, call.settings)
            sent = webhook.post(undo_call, call.settings.social_webhook_url, payload, **WEBHOOK)
            return {"transport": "webhook", "action": self.undo_verb, **sent}
        if transport == "feed":
            path = call.settings.home / "engagements.jsonl"
            entry = {"undo_of": call.key, "at": now(), "action": self.undo_verb, "target": ref}
            line, _ = append_once(path, "undo_of", entry)
            return {"transport": "feed", "action": self.undo_verb, "path": str(path), "line": line}
        return None

    def _resolve(self, client: Mastodon, ref: str) -> str:
        return client.account_id(ref) if self.target == "account" else client.status_id(ref)

    def _path(self, target_id: str, verb: str) -> str:
        kind = "accounts" if self.target == "account" else "statuses"
        return f"/api/v1/{kind}/{quote(target_id, safe='')}/{verb}"

    def tool(self) -> OutboundTool:
        return OutboundTool(
            name=self.name,
            channel="social",
            title=self.title,
            args_model=AccountRef if self.target == "account" else PostRef,
            risk=ENGAGEMENT_RISK,
            run=self.run,
            honours_key=lambda settings: True,  # feed: by key; webhook, Mastodon: Idempotency-Key
            preview=lambda args: f"{self.verb.capitalize()} {args.get(self.target, '')}",
            connector=connector,
            undo=self.undo,
        )


LIKE_POST = Engagement(
    "like_post", "like", "unlike", "favourite", "unfavourite", "post", "Like a post"
).tool()
REPOST_POST = Engagement(
    "repost_post", "repost", "unrepost", "reblog", "unreblog", "post", "Repost a post"
).tool()
FOLLOW_ACCOUNT = Engagement(
    "follow_account", "follow", "unfollow", "follow", "unfollow", "account", "Follow an account"
).tool()
