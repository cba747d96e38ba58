"""The social post channel: the model writes the words, within the network's real limit (the
link, when the brief has one, is appended and counted)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, Field, create_model

from graphs.channels.base import NO_PLACEHOLDER, Channel, DraftModel, field_limit, register
from graphs.channels.text import clean

TARGET = 280  # what the prompt asks for and the grammar allows, at most the network's limit

TASK = """Write one social media post from the brand's account: two short sentences, under
{target} characters. Return JSON with: text. No link: it is added for you."""


def network_limit() -> int:
    from tools.registry import get_tool
    from tools.social import MAX_POST_CHARS

    model = get_tool("publish_post").args_model
    return min(TARGET, MAX_POST_CHARS, field_limit(model, "text", MAX_POST_CHARS))


def _link_room(brief: Mapping[str, Any]) -> int:
    return len(str(brief["link"])) + 1 if brief.get("link") else 0


@lru_cache(maxsize=64)  # one class per limit: pydantic builds one in ~1-4 ms, per draft
def schema_for(limit: int) -> type[BaseModel]:
    return create_model(
        "PostDraft",
        __base__=DraftModel,
        text=(str, Field(min_length=20, max_length=max(limit, 40), pattern=NO_PLACEHOLDER)),
    )


def assemble(
    draft: Any,
    brief: Mapping[str, Any],
    brand: Mapping[str, Any],
    previous: Mapping[str, Any] | None,
    notes: Mapping[str, Any],
) -> dict[str, Any]:
    text = complete(" ".join(clean(draft.text).split()))
    room = network_limit() - _link_room(brief)
    added = [f"Offer: {brief['offer']}."] if notes.get("add_offer") and brief.get("offer") else []
    forms = list(notes.get("add_quote", ()))
    if forms:  # a send-back's asked quote (graphs/writer_quotes.py): the longest form that fits
        quote = next((q for q in forms if len(text) + _length([q, *added]) <= room), "")
        if not quote:  # else the model's last sentences make room for it; one of them stays
            kept = ((fit(text, room - _length([q, *added])), q) for q in forms)
            text, quote = next(((t, q) for t, q in kept if t), (text, ""))
        added = [quote, *added] if quote else added
    if added:
        text = " ".join([fit(text, room - _length(added)), *added]).strip()
    if brief.get("link"):
        text = f"{text} {brief['link']}"
    return {"text": text}


def _length(parts: list[str]) -> int:
    """The characters `parts` take after the model's text, a space before each."""
    return sum(len(p) + 1 for p in parts)


def complete(text: str) -> str:
    """Without a last sentence the grammar's limit left unfinished (whole sentences only)."""
    if not text or text[-1] in '.!?…"”)':
        return text
    ends = [m.end() for m in re.finditer(r"[.!?…][\"”)]?(?=\s)", text)]
    return text[: ends[-1]] if ends else text


def fit(text: str, room: int) -> str:
    """The whole sentences of `text` that fit in `room` characters."""
    while len(text) > room:
        shorter = complete(text[: max(room, 0)].rsplit(" ", 1)[0])
        if shorter == text or not shorter or shorter[-1] not in '.!?…"”)':
            return ""
        text = shorter
    return text


def copy(args: Mapping[str, Any]) -> str:
    return str(args.get("text", ""))


def post_channel(
    *,
    limit: Callable[[], int],
    room: Callable[[Mapping[str, Any]], int],
    schema_for: Callable[[int], type[BaseModel]],
    **fields: Any,
) -> Channel:
    """Register a channel whose draft is one `text` within the network's `limit()`, less the
    `room(brief)` its appended link takes: this social post, and any network's post like it."""
    return register(
        Channel(
            schema=lambda brief: schema_for(limit() - room(brief)),
            copy=copy,
            limit=limit,
            room=room,
            **fields,
        )
    )


CHANNEL = post_channel(
    key="social",
    action="publish_post",
    prefix="post",
    label="social post",
    limit=network_limit,
    room=_link_room,
    schema_for=schema_for,
    task=TASK,
    assemble=assemble,
    preview=lambda args: (
        f"{args.get('text', '')}\n\n({len(copy(args))} of {network_limit()} characters)"
    ),
)
