"""A draft as it will appear, its sentence checks, and the edit box that checks an edit again.

- `render_draft(item, limit=...)`: the email with From, To and subject; the post with its
  character count against the network's limit; the page rendered with its title and address;
  the ad spend with its amount. Citation marks never show: they do not go out.
- `render_sentence_checks(checks)`: for every sentence with a checkable fact, the passage that
  supports it, or what differs ("says €79; the fact sheet says €59"). Each warning once.
- `edit_fields(item, limit=...)`: the edit box (text without citation marks, characters counted
  after each change; a post's box, LinkedIn's too, counts as you type and stops at the
  network's limit). Any other registered channel draws its own preview (graphs/channels).

Render only: the checks come from the runtime facade (`Signoff.check_draft`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from graphs.checks.facts import strip_citations
from graphs.humanize import money
from ui.components.sources import readable
from ui.state import plain

FROM_DEFAULT = "Signoff <marketing@signoff.local>"
POST_LIMIT = 280
STATUS_ICON = {
    "supported": ":material/check_circle:",
    "attributed": ":material/format_quote:",
    "unsupported": ":material/warning:",
}
TEXT_FIELDS = ("subject", "title", "body", "text", "description")
LONG = {"body", "text"}


def out(text: Any) -> str:
    """A field as it goes out: citation marks removed."""
    return strip_citations(str(text or "")).strip()


def char_count(text: str, limit: int | None) -> str:
    n = len(text)
    if limit is None:
        return f"{n:,} characters"
    left = limit - n
    if left < 0:
        return f":red[**{n:,} / {limit:,} characters** — {-left:,} over the network's limit]"
    return f"{n:,} / {limit:,} characters ({left:,} left)"


def render_draft(item: dict[str, Any], *, limit: int | None = POST_LIMIT) -> None:
    """The draft as the recipient, the follower or the visitor will see it."""
    args = item.get("args") or {}
    action = item.get("action") or item.get("name")
    with st.container(border=True, key=f"preview-{item.get('id', 'draft')}"):
        if action == "send_email":
            sender = args.get("sender") or item.get("sender") or FROM_DEFAULT
            st.caption(f"**From** {plain(sender)}  \n**To** {plain(args.get('to', ''))}")
            st.markdown(f"**{plain(out(args.get('subject')))}**")
            st.divider()
            st.text(out(args.get("body")))
        elif action == "publish_post":
            text = out(args.get("text"))
            st.markdown(plain(text))
            st.caption(char_count(text, limit))
        elif action == "publish_page":
            slug = args.get("slug")
            if slug:
                st.caption(f":material/link: /{plain(slug)}")
            st.markdown(f"# {plain(out(args.get('title')))}")
            st.markdown(out(args.get("body")))  # Markdown, rendered as the page shows it
        elif action == "spend_ads":
            st.markdown(f"**Spend {plain(money(args.get('amount'), args.get('currency')))}**")
            st.caption(plain(out(args.get("description"))))
        elif (channel := registered(action)) is not None and channel.preview is not None:
            # any other channel draws itself: its preview is registered with it
            st.text(out(channel.preview({k: out(v) for k, v in args.items()})))
        else:
            st.markdown(plain(out(item.get("text") or args)))


def registered(action: Any) -> Any:
    """The channel (graphs/channels) that drafts `action`, or None (a like, a follow)."""
    from graphs.channels import by_action

    try:
        return by_action(str(action))
    except ValueError:
        return None


def text_limit(action: Any, name: str, post_limit: int | None) -> int | None:
    """The characters a text field may hold as it goes out: a post's network limit, or the
    limit its channel registers (e.g. LinkedIn's 3,000)."""
    if name != "text":
        return None
    if action == "publish_post":
        return post_limit
    channel = registered(action)
    return channel.limit() if channel is not None else None


def warnings_once(checks: Sequence[dict[str, Any]]) -> list[str]:
    """The distinct warnings of a draft's sentence checks, in order."""
    seen: dict[str, None] = {}
    for c in checks:
        if c.get("status") == "unsupported":
            seen.setdefault(f"“{c['sentence']}” — {c.get('differs') or 'not in the fact sheet'}")
    return list(seen)


def render_sentence_checks(
    checks: Sequence[dict[str, Any]],
    *,
    key: str = "checks",
    quotes: Mapping[str, str] | None = None,
) -> int:
    """One line per sentence with a fact: supported by which document (its title, the quote
    on hover when `quotes` has it: sentence as `same_sentence` gives it → quote), or what
    differs. Returns the number of sentences that need a person's check."""
    from ui.components.claims import same_sentence

    facts = [c for c in checks if c.get("status") != "no_facts"]
    if not facts:
        st.caption(":material/info: No figures, dates, codes or names to check in this draft.")
        return 0
    bad = sum(1 for c in facts if c.get("status") == "unsupported")
    with st.container(key=f"sentence-checks-{key}"):
        st.markdown(
            f"**Facts, sentence by sentence** — {len(facts) - bad} of {len(facts)} found in "
            "the product's knowledge"
        )
        shown: set[str] = set()
        for c in facts:
            line = plain(c["sentence"])
            if line in shown:
                continue  # each sentence (and its warning) once
            shown.add(line)
            status = c.get("status")
            icon = STATUS_ICON.get(str(status), ":material/help:")
            if status == "unsupported":  # the one place this warning is shown
                st.markdown(f"{icon} :orange-background[{line}]")
                st.warning(
                    f"Not supported: {plain(c.get('differs') or 'not in the fact sheet')}. "
                    "Check it before approving.",
                    icon=":material/warning:",
                )
            else:
                where = readable(c.get("source") or "the brief")
                verb = "quoted from" if status == "attributed" else "found in"
                st.markdown(f"{icon} {line}")
                quote = (quotes or {}).get(same_sentence(c["sentence"]))
                st.caption(f"{verb} {plain(where)}", help=f"“{quote}”" if quote else None)
    return bad


def edit_fields(item: dict[str, Any], *, limit: int | None = POST_LIMIT) -> dict[str, Any]:
    """The edit box: each text field without citation marks, counted after each change (the
    post's box counts live and stops at the limit). Returns the edited arguments."""
    item_id = item["id"]
    args = dict(item.get("args") or {})
    edited: dict[str, Any] = {}
    for name, value in args.items():
        key = f"edit-{name}-{item_id}"
        label = name.replace("_", " ").capitalize()
        if not isinstance(value, str):
            st.session_state.setdefault(key, str(value))
            edited[name] = st.text_input(label, key=key)
            continue
        start = out(value) if name in TEXT_FIELDS else value
        st.session_state.setdefault(key, start)
        if name in LONG or len(start) > 80:
            max_chars = text_limit(item.get("action"), name, limit)
            text = st.text_area(label, key=key, height=200, max_chars=max_chars)
            st.caption(
                char_count(text, max_chars)
                if max_chars
                else f"{len(text):,} characters · {len(text.split()):,} words"
            )
        else:
            text = st.text_input(label, key=key)
        edited[name] = text
    return edited
