"""The landing page channel: the model writes a title, an intro, two or three sections and a call
to action, each a plain field; the Markdown, the slug and the link are assembled."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

from graphs.channels.base import NO_PLACEHOLDER, Channel, register
from graphs.channels.text import clean

TASK = """Write one landing page.
Return JSON with: title (under 60 characters), intro (two sentences), sections (two or three,
each with a heading of a few words and a text of two to four sentences) and call_to_action (one
sentence). Plain text in every field: no Markdown, no link."""


class Section(BaseModel):
    heading: str = Field(min_length=3, max_length=60, pattern=NO_PLACEHOLDER)
    text: str = Field(min_length=40, max_length=600, pattern=NO_PLACEHOLDER)


class PageDraft(BaseModel):
    title: str = Field(min_length=3, max_length=70, pattern=NO_PLACEHOLDER)
    intro: str = Field(min_length=20, max_length=400, pattern=NO_PLACEHOLDER)
    sections: list[Section] = Field(min_length=2, max_length=3)
    call_to_action: str = Field(min_length=5, max_length=160, pattern=NO_PLACEHOLDER)


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:60].strip("-") or "campaign"


def assemble(
    draft: Any,
    brief: Mapping[str, Any],
    brand: Mapping[str, Any],
    previous: Mapping[str, Any] | None,
    notes: Mapping[str, Any],
) -> dict[str, Any]:
    parts = [clean(draft.intro)]
    for section in draft.sections:
        heading = " ".join(section.heading.strip(" #*").split())
        parts.append(f"## {heading}\n\n{clean(section.text)}")
    cta = clean(draft.call_to_action)
    if brief.get("link"):
        cta = f"{cta} {brief['link']}"
    parts.append(cta)
    slug = previous["args"]["slug"] if previous else slugify(str(brief.get("product", "")))
    return {"slug": slug, "title": " ".join(draft.title.split()), "body": "\n\n".join(parts)}


def copy(args: Mapping[str, Any]) -> str:
    return f"{args.get('title', '')}\n\n{args.get('body', '')}"


CHANNEL = register(
    Channel(
        key="cms",
        action="publish_page",
        prefix="page",
        label="landing page",
        schema=lambda brief: PageDraft,
        task=TASK,
        assemble=assemble,
        copy=copy,
        limit=lambda: 4000,
        preview=lambda args: f"# {args.get('title', '')}\n\n{args.get('body', '')}",
    )
)
