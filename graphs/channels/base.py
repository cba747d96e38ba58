"""What every channel is: how it is drafted, assembled, checked and previewed.

A channel module (email.py, post.py, page.py, ads.py, …) builds one `Channel` and
registers it: its drafting (schema, task, assembly), its checks and its preview. The writer, the
AI review, the redraft and the card look channels up here and never dispatch by hand. Adding a
channel is one new module plus its outbound tool (the README shows a whole one).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, model_validator

# Every drafted field's grammar: no brackets or braces (no "[Your Name]", "{company}"), no angle
# brackets (no HTML, no "<email>"), and no "://" or "//" (links are assembled from the brief, never
# written by the model: forbidding "://" alone, the 0.5B wrote "https//..."). A colon is allowed
# when no slash follows it, a slash when no slash or colon follows it ("24/7", "1/2").
NO_PLACEHOLDER = r"^([^\[\]{}<>:\\|/]|:[^/\[\]{}<>\\|]|/[^/\[\]{}<>:\\|])*$"


def scrub(value: str, pattern: str) -> str:
    """`value` with the links and backslashes its `pattern` forbids taken out, when that is all
    that keeps it from matching; otherwise `value` as it came (and validation refuses it).

    llguidance enforces a field's pattern on the characters the model writes, but a JSON escape
    is a way round it: the 1.5B wrote "https:\\/\\/x" (decoded "https://x") and the 0.5B "\\N"
    (a backslash), so a draft the grammar accepted failed its own schema three times and the
    whole campaign stopped. Anything else the pattern forbids (a line break in a subject, a
    bracketed placeholder) is still refused, never repaired."""
    if re.fullmatch(pattern, value):
        return value
    fixed = re.sub(r"\b(?:https?:?/*|www\.)\S*", "", value, flags=re.IGNORECASE)
    fixed = re.sub(r"/{2,}", "/", re.sub(r":+/+", ": ", fixed.replace("\\", "")))
    fixed = fixed.rstrip(":/")
    return fixed if re.fullmatch(pattern, fixed) else value


class DraftModel(BaseModel):
    """What the model drafts: its string fields are scrubbed to their grammar's pattern before
    they are validated (see `scrub`); the JSON schema, and so the grammar, is unchanged."""

    @model_validator(mode="before")
    @classmethod
    def _scrub(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        out = dict(data)
        for name, info in cls.model_fields.items():
            pattern = next(
                (getattr(m, "pattern", None) for m in info.metadata if getattr(m, "pattern", None)),
                None,
            )
            if pattern and isinstance(out.get(name), str):
                out[name] = scrub(out[name], pattern)
        return out


@dataclass(frozen=True)
class Channel:
    """One channel of the brief (`key`) and the outbound tool it proposes (`action`)."""

    key: str  # as in the brief's channels: "email", "social", "cms", "ads"
    action: str  # the tool name, e.g. "send_email"
    prefix: str  # action ids: "email-1", "post-1"
    label: str  # for progress and the page: "email", "social post"
    # The model's part, None when the system assembles the whole action (an ad spend).
    # (brief) -> the structured-output model the grammar is built from.
    schema: Callable[[Mapping[str, Any]], type[BaseModel]] | None = None
    task: str = ""  # may name {limit}: the characters the model may write
    # (draft or None, brief, brand snapshot, previous action on a redraft, notes) -> args.
    # notes: {"feedback": [...], "currency": "EUR"}.
    assemble: Callable[..., dict[str, Any]] = field(default=lambda *a: {})
    # The text the model wrote, as it goes out (what the AI review checks).
    copy: Callable[[Mapping[str, Any]], str] = field(default=lambda args: "")
    # The longest copy the network takes (characters), for the length check; None: no limit.
    limit: Callable[[], int | None] = field(default=lambda: None)
    # The characters of the limit the assembled parts take (e.g. a post's link).
    room: Callable[[Mapping[str, Any]], int] = field(default=lambda brief: 0)
    preview: Callable[[Mapping[str, Any]], str] | None = None
    # The channel's own checks in the AI review, besides the common ones (facts, placeholders,
    # length, words to avoid, offer, link, repetition): (args, brief) -> [Problem].
    checks: Callable[[Mapping[str, Any], Mapping[str, Any]], list[Any]] = field(
        default=lambda args, brief: []
    )
    # The characters the task asks for; None: two thirds of what the model may write.
    target: int | None = None

    @property
    def drafted(self) -> bool:
        return self.schema is not None

    def max_tokens(self, brief: Mapping[str, Any]) -> int:
        """The most tokens the model may spend on this channel's JSON: the grammar's longest
        strings at ~3 characters a token, plus the JSON around them. A small model that loops
        stops here instead of at a generic budget (0: nothing is drafted)."""
        if self.schema is None:
            return 0
        return _schema_tokens(self.schema(brief))

    def model_limit(self, brief: Mapping[str, Any]) -> int | None:
        """What the model may write: the network's limit less the assembled parts."""
        limit = self.limit()
        return None if limit is None else limit - self.room(brief)


JSON_TOKENS = 24  # braces, quotes and field names of a small JSON object


@lru_cache(maxsize=256)  # per schema class: pydantic regenerates its JSON schema on every call
def _schema_tokens(schema: type[BaseModel]) -> int:
    return JSON_TOKENS + longest_chars(schema.model_json_schema()) // 3


def longest_chars(schema: Mapping[str, Any], defs: Mapping[str, Any] | None = None) -> int:
    """The characters a JSON schema's strings may hold at most, all fields and items counted."""
    defs = defs if defs is not None else schema.get("$defs", {})
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return longest_chars(defs.get(ref.rsplit("/", 1)[-1], {}), defs)
    kind = schema.get("type")
    if kind == "string":
        return int(schema.get("maxLength", 200))
    if kind == "array":
        items = schema.get("items", {})
        return int(schema.get("maxItems", 3)) * (longest_chars(items, defs) + 8)
    if kind == "object" or "properties" in schema:
        return sum(longest_chars(v, defs) + 8 for v in schema.get("properties", {}).values())
    return 16  # a number or a boolean


REGISTRY: dict[str, Channel] = {}


def register(channel: Channel) -> Channel:
    REGISTRY[channel.key] = channel
    return channel


def by_key(key: str) -> Channel:
    try:
        return REGISTRY[key]
    except KeyError:
        raise ValueError(
            f"Unknown channel {key!r}; expected one of {sorted(REGISTRY)}. Add a module under "
            "graphs/channels/ and register it."
        ) from None


def by_action(action: str) -> Channel:
    for channel in REGISTRY.values():
        if channel.action == action:
            return channel
    raise ValueError(
        f"No channel drafts {action!r}; expected one of "
        f"{sorted(c.action for c in REGISTRY.values())}."
    )


def field_limit(model: type[BaseModel], name: str, default: int) -> int:
    """The max_length a tool's argument model puts on a field (the network's real limit)."""
    info = model.model_fields.get(name)
    if info is None:
        return default
    for meta in info.metadata:
        if getattr(meta, "max_length", None):
            return int(meta.max_length)
    return default
