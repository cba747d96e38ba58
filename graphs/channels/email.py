"""The email channel: the model writes the subject and the message; the greeting, the link, the
signature and the footer (sender, postal address, unsubscribe) come from the brief and the brand."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from graphs.channels.base import NO_PLACEHOLDER, Channel, DraftModel, register
from graphs.channels.text import clean, title_case_end, without_call_out

# No hashtags in an email, besides the placeholders no draft may have.
EMAIL_TEXT = NO_PLACEHOLDER.replace("[^\\[", "[^#\\[", 1)
# a header field is one line: the grammar cannot write a CR/LF (or a tab) into a subject
ONE_LINE = (
    EMAIL_TEXT.replace("[^#\\[", "[^\\r\\n\\t#\\[", 1)
    .replace(":[^/", ":[^/\\r\\n\\t", 1)
    .replace("|/[^/", "|/[^/\\r\\n\\t", 1)
)

SUBJECT_MAX = 70
BODY_MAX = 1200  # the message part the model writes; the assembled email adds the rest

TASK = """Write one marketing email. Return JSON with: subject (under 60 characters) and body
(two short paragraphs, 50 to 90 words, ending with one call to action). No greeting, signature,
link or footer: they are added for you."""


class EmailDraft(DraftModel):
    subject: str = Field(min_length=8, max_length=SUBJECT_MAX, pattern=ONE_LINE)
    body: str = Field(min_length=120, max_length=BODY_MAX, pattern=EMAIL_TEXT)


def footer(brand: Mapping[str, Any]) -> str:
    lines = [
        " · ".join(p for p in (brand.get("sender_name", ""), brand.get("postal_address", "")) if p),
        brand.get("unsubscribe", ""),
    ]
    return "\n".join(line for line in lines if line)


def assemble(
    draft: Any,
    brief: Mapping[str, Any],
    brand: Mapping[str, Any],
    previous: Mapping[str, Any] | None,
    notes: Mapping[str, Any],
) -> dict[str, Any]:
    core = without_call_out(clean(draft.body), str(brief.get("audience") or ""))
    parts = ["Hello,", core]
    if notes.get("add_quote"):  # a send-back's asked quote (graphs/writer_quotes.py)
        parts.append(notes["add_quote"][0])
    if notes.get("add_offer") and brief.get("offer"):
        parts.append(f"Our offer: {brief['offer']}.")
    if brief.get("link"):
        parts.append(str(brief["link"]))
    if brand.get("signature"):
        parts.append(str(brand["signature"]))
    end = footer(brand)
    body = "\n\n".join(parts) + (f"\n\n--\n{end}" if end else "")
    to = previous["args"]["to"] if previous else brief.get("to", "")
    args: dict[str, Any] = {"to": to, "subject": title_case_end(draft.subject), "body": body}
    if brand.get("sender"):
        args["sender"] = brand["sender"]
    return args


def copy(args: Mapping[str, Any]) -> str:
    """Subject and message as they go out (the model's part; the assembled parts are known)."""
    body = str(args.get("body", "")).split("\n--\n")[0]
    return f"{args.get('subject', '')}\n\n{body}"


def preview(args: Mapping[str, Any]) -> str:
    sender = args.get("sender") or ""
    return (
        f"From: {sender}\n" if sender else ""
    ) + f"To: {args.get('to', '')}\nSubject: {args.get('subject', '')}\n\n{args.get('body', '')}"


CHANNEL = register(
    Channel(
        key="email",
        action="send_email",
        prefix="email",
        label="email",
        schema=lambda brief: EmailDraft,
        task=TASK,
        assemble=assemble,
        copy=copy,
        limit=lambda: BODY_MAX,
        preview=preview,
    )
)
