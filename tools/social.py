"""Social posts: appended to a local feed file (JSON lines) under the data directory."""

from __future__ import annotations

import fcntl
import json
import logging
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tools.base import OutboundTool, RiskSpec, Settings, strip_citations

log = logging.getLogger(__name__)

MAX_POST_CHARS = 500


class PostArgs(BaseModel):
    """One public post on the brand's social feed."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_POST_CHARS)


RISK = RiskSpec(
    tier="high",
    reversible=False,
    why="A public post is seen (and copied) the moment it is published.",
)


def publish_post(args: dict[str, Any], key: str, settings: Settings) -> dict[str, Any]:
    """Append the post to `feed.jsonl`; a post whose key is already there is not added again."""
    path = settings.home / "feed.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as feed:
        fcntl.flock(feed, fcntl.LOCK_EX)
        feed.seek(0)
        for line_no, line in enumerate(feed, start=1):
            if line.strip() and json.loads(line).get("key") == key:
                log.info("post %s already in the feed; not posting again", key[:12])
                return {"transport": "feed", "path": str(path), "line": line_no}
        entry = {
            "key": key,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "text": strip_citations(args["text"]),
        }
        feed.write(json.dumps(entry) + "\n")
        feed.flush()
    with open(path, encoding="utf-8") as feed:
        line_no = sum(1 for _ in feed)
    log.info("posted %s to %s", key[:12], path)
    return {"transport": "feed", "path": str(path), "line": line_no}


PUBLISH_POST = OutboundTool(
    name="publish_post",
    channel="social",
    title="Publish social post",
    args_model=PostArgs,
    risk=RISK,
    run=publish_post,
    honours_key=lambda settings: True,
    preview=lambda args: str(args.get("text", "")),
)
