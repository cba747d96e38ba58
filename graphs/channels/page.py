"""The landing page channel: the model writes a title, an intro, two or three sections and a call
to action, each a plain field; the Markdown, the slug and the link are assembled."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import Field

from graphs.channels.base import NO_PLACEHOLDER, Channel, DraftModel, register
from graphs.channels.text import clean, once, title_case_end

TASK = """Write one landing page of 120 to 200 words.
Return JSON with: title (under 60 characters), intro (two sentences), sections (exactly three,
each with a heading of two to four words and a text of three or four sentences) and
call_to_action (one sentence). Plain text in every field: no Markdown, no link."""

# A page needs 100+ words under ## headings (graphs/checks/drafts.py): the grammar makes the
# structure impossible to miss: three sections, each long enough for three sentences.
SECTIONS = 3
SECTION_MIN = 180
INTRO_MIN = 80


class Section(DraftModel):
    heading: str = Field(min_length=3, max_length=60, pattern=NO_PLACEHOLDER)
    text: str = Field(min_length=SECTION_MIN, max_length=600, pattern=NO_PLACEHOLDER)


class PageDraft(DraftModel):
    title: str = Field(min_length=3, max_length=70, pattern=NO_PLACEHOLDER)
    intro: str = Field(min_length=INTRO_MIN, max_length=400, pattern=NO_PLACEHOLDER)
    sections: list[Section] = Field(min_length=SECTIONS, max_length=SECTIONS)
    call_to_action: str = Field(min_length=5, max_length=160, pattern=NO_PLACEHOLDER)


# A section headed with a part of the form instead of words for a reader ("## Call to Action").
TEMPLATE_HEADING = re.compile(
    r"^(?:call[ -]to[ -]action|cta|intro(?:duction)?|conclusion|summary|title|body|text|"
    r"(?:section|heading)(?:\s+(?:\d+|one|two|three))?)[.:!]?$",
    re.IGNORECASE,
)


def template_headings(body: str) -> list[str]:
    """The `## ` headings of `body` that name a part of the template, as written."""
    headings = [
        line.strip().lstrip("#").strip()
        for line in body.splitlines()
        if line.lstrip().startswith("#")
    ]
    return [h for h in headings if TEMPLATE_HEADING.match(h)]


def checks(args: Mapping[str, Any], brief: Mapping[str, Any]) -> list[Any]:
    """A page's own: every section heading is words for a reader, not the template's name."""
    from graphs.checks.draft import Problem

    return [
        Problem(
            "channel",
            f"A section is headed “{heading}”, the template's name for a part, not words for a "
            "reader",
            f"The heading “{heading}” names a part of the page; write a heading of two to four "
            "words about what its section says.",
        )
        for heading in template_headings(str(args.get("body") or ""))
    ]


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
    seen: set[str] = set()  # a sentence said in the intro is not said again in a section
    parts = [once(clean(draft.intro), seen)]
    for section in draft.sections:
        heading = " ".join(section.heading.strip(" #*").split())
        text = once(clean(section.text), seen)
        if text:  # a section that only repeated the intro goes
            parts.append(f"## {heading}\n\n{text}")
    cta = once(clean(draft.call_to_action), seen) or clean(draft.call_to_action)
    if brief.get("link"):
        cta = f"{cta} {brief['link']}"
    parts.append(cta)
    slug = previous["args"]["slug"] if previous else slugify(str(brief.get("product", "")))
    return {"slug": slug, "title": title_case_end(draft.title), "body": "\n\n".join(parts)}


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
        checks=checks,
    )
)
