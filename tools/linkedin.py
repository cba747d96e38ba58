"""LinkedIn: one post on the brand's LinkedIn page, through an HTTP post connector.

Where it goes (per process, from the environment):

    SIGNOFF_LINKEDIN_WEBHOOK_URL set   one JSON POST with an `Idempotency-Key` header (the
                                       action's key) to that URL (tools/webhook.py): a relay or
                                       an automation that posts to LinkedIn's API for you
    unset (default)                    JSON lines in `<data dir>/linkedin.jsonl`, once per key

Both honour the key, so a call cut off by a crash is retried safely. LinkedIn takes at most
3,000 characters in a post (citation marks never go out).
"""

from __future__ import annotations

import os
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tools.base import Call, ConnectorError, OutboundTool, RiskSpec, Settings, strip_citations
from tools.social import post_to_feed, post_to_webhook

MAX_CHARS = 3000  # LinkedIn's limit for a post's text
ENV_URL = "SIGNOFF_LINKEDIN_WEBHOOK_URL"
WEBHOOK = {"service": "The LinkedIn webhook", "setting": ENV_URL}


def connector(settings: Settings) -> str:
    return "webhook" if os.environ.get(ENV_URL) else "feed"


class LinkedInPostArgs(BaseModel):
    """One post on the brand's LinkedIn page."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_CHARS + 200)

    @field_validator("text")
    @classmethod
    def _length(cls, value: str) -> str:
        length = len(strip_citations(value))
        if length > MAX_CHARS:
            raise ValueError(
                f"the post is {length} characters without citation marks; LinkedIn takes at "
                f"most {MAX_CHARS}. Shorten it"
            )
        return value


RISK = RiskSpec(
    tier="high",
    reversible=False,
    why="A LinkedIn post is public and speaks for the company the moment it is published.",
)


def publish_linkedin_post(call: Call) -> dict[str, Any]:
    """Publish `text` (citation marks removed) once per key.

    Returns {"transport": "webhook", "status", "response"} | {"transport": "feed", "path",
    "line"}.
    """
    text = strip_citations(call.args["text"])
    if len(text) > MAX_CHARS:  # the executor checks first; this guards direct callers
        raise ConnectorError(
            f"The post is {len(text)} characters; LinkedIn allows {MAX_CHARS}. Shorten it."
        )
    url = os.environ.get(ENV_URL)
    if url:
        return post_to_webhook(call, "publish_linkedin_post", text, url, WEBHOOK)
    return post_to_feed(call, call.settings.home / "linkedin.jsonl", text)


PUBLISH_LINKEDIN_POST = OutboundTool(
    name="publish_linkedin_post",
    channel="linkedin",
    title="Publish LinkedIn post",
    args_model=LinkedInPostArgs,
    risk=RISK,
    run=publish_linkedin_post,
    honours_key=lambda settings: True,  # feed: by key; webhook: Idempotency-Key
    preview=lambda args: str(args.get("text", "")),
    connector=connector,
    limits={"feed": {"max_chars": MAX_CHARS}, "webhook": {"max_chars": MAX_CHARS}},
)
