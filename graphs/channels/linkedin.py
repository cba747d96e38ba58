"""The LinkedIn post channel: the model writes a short post for the brand's LinkedIn page, within
LinkedIn's real limit (3,000 characters, the link counted); the link is appended. Its own checks
(the point before LinkedIn's "…see more" fold, a few hashtags at most) and its own preview (the
post as the feed folds it) are registered with it. The connector is `tools/linkedin.py`.

This module is the whole channel: the only other line is its import in `__init__.py`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field, create_model

from graphs.channels.base import NO_PLACEHOLDER
from graphs.channels.post import complete, copy, post_channel
from graphs.channels.text import clean

ACTION = "publish_linkedin_post"
FOLD = 210  # LinkedIn shows this many characters of a post before "…see more"
MAX_HASHTAGS = 3

TASK = """Write one LinkedIn post from the company's page: a first sentence that makes the point,
then two or three short sentences for professionals, under {target} characters in all. Return
JSON with: text. Do not write a link: it is added for you."""


def network_limit() -> int:
    from tools.registry import get_tool

    limits = get_tool(ACTION).limits
    return min(v["max_chars"] for v in limits.values())


def _link_room(brief: Mapping[str, Any]) -> int:
    return len(str(brief["link"])) + 2 if brief.get("link") else 0


def schema_for(limit: int) -> type[BaseModel]:
    return create_model(
        "LinkedInDraft",
        text=(str, Field(min_length=40, max_length=limit, pattern=NO_PLACEHOLDER)),
    )


def assemble(
    draft: Any,
    brief: Mapping[str, Any],
    brand: Mapping[str, Any],
    previous: Mapping[str, Any] | None,
    notes: Mapping[str, Any],
) -> dict[str, Any]:
    text = complete(clean(draft.text))
    if notes.get("add_offer") and brief.get("offer"):
        text = f"{text}\n\nOffer: {brief['offer']}."
    if notes.get("add_quote"):  # a send-back's asked quote (graphs/writer_quotes.py)
        text = f"{text}\n\n{notes['add_quote'][0]}"
    if brief.get("link"):
        text = f"{text}\n\n{brief['link']}"
    return {"text": text}


def checks(args: Mapping[str, Any], brief: Mapping[str, Any]) -> list[Any]:
    """LinkedIn's own: the point made before the fold; a few hashtags, not a wall of them."""
    from graphs.checks.draft import Problem

    text = copy(args)
    problems = []
    first = re.split(r"(?<=[.!?])\s|\n", text.strip(), maxsplit=1)[0]
    if len(first) > FOLD:
        problems.append(
            Problem(
                "channel",
                f"The first sentence is {len(first)} characters: LinkedIn folds the post at "
                f"{FOLD}, so readers do not see the point",
                f"Make the first sentence shorter than {FOLD} characters.",
            )
        )
    tags = re.findall(r"(?<!\w)#\w+", text)
    if len(tags) > MAX_HASHTAGS:
        problems.append(
            Problem(
                "channel",
                f"{len(tags)} hashtags; at most {MAX_HASHTAGS} read well on LinkedIn",
                f"Use at most {MAX_HASHTAGS} hashtags.",
            )
        )
    return problems


def preview(args: Mapping[str, Any]) -> str:
    """The post as LinkedIn's feed shows it: folded after the first lines, then whole."""
    text = copy(args)
    folded = text if len(text) <= FOLD else text[:FOLD].rsplit(" ", 1)[0] + " …see more"
    return (
        f"{folded}\n\n— whole post —\n{text}\n\n({len(text):,} of {network_limit():,} characters)"
    )


CHANNEL = post_channel(
    key="linkedin",
    action=ACTION,
    prefix="linkedin",
    label="LinkedIn post",
    limit=network_limit,
    room=_link_room,
    schema_for=schema_for,
    task=TASK,
    assemble=assemble,
    preview=preview,
    checks=checks,
    target=600,
)
