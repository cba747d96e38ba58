"""Where a fact comes from, as a marketer names it: the document's title, never a file name.

The knowledge base keeps each document's title beside its file name (`pricing.md` is "Brightloop
pricing"). Evidence, sentence checks and claim checks carry the file name, sometimes with the
section after it (`pricing.md › Price`); `readable("pricing.md › Price")` gives
"Brightloop pricing › Price". A name the knowledge base does not know (a removed document, a
web page) becomes a readable name: no folders, no extension, no dashes ("spring-offer.md" →
"Spring offer"; "https://example.com/blog/new-plans" → "New plans (example.com)").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlparse

import streamlit as st

SEPARATOR = " › "
_EXTENSION = re.compile(r"\.(md|markdown|txt|html?|pdf|csv|json|ya?ml|docx?|rst)$", re.IGNORECASE)


@st.cache_data(ttl=30, show_spinner=False)
def _titles(home: str) -> dict[str, str]:
    from ui.state import opened

    runtime = opened(home)
    titles: dict[str, str] = {}
    for source in runtime.kb.sources() if runtime is not None else []:
        if source.title:
            titles.setdefault(source.name, source.title)
            titles.setdefault(source.uri, source.title)
    return titles


def titles() -> dict[str, str]:
    """File name (and address) → title, for every document in the knowledge base of the
    runtime this server opened (none opened: {}, and names are only made readable)."""
    from ui.state import home_path, opened

    home = home_path()
    if opened(home) is None:  # never opens one (a card drawn on its own)
        return {}
    try:
        return _titles(home)
    except Exception:  # the knowledge base cannot be read: readable names only
        return {}


def pretty_name(name: str) -> str:
    """A file name or address a person can read: 'spring-offer.md' → 'Spring offer'."""
    name = name.strip()
    if not name:
        return ""
    url = urlparse(name)
    if url.scheme in ("http", "https") and url.netloc:
        last = url.path.rstrip("/").rsplit("/", 1)[-1]
        words = pretty_name(last) if last else ""
        return f"{words} ({url.netloc})" if words else url.netloc
    for prefix in ("sample:", "upload:", "text:", "file:"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    name = re.split(r"[\\/]", name)[-1]
    name = _EXTENSION.sub("", name)
    words = " ".join(re.sub(r"[-_]+", " ", name).split())
    return words[:1].upper() + words[1:] if words else name


def readable(source: object, known: Mapping[str, str] | None = None) -> str:
    """'pricing.md › Price' → 'Brightloop pricing › Price' (the title, or a readable name)."""
    text = str(source or "").strip()
    if not text:
        return ""
    known = titles() if known is None else known
    document, sep, section = text.partition(SEPARATOR)
    name = known.get(document.strip()) or (
        document.strip() if document.strip() == "the brief" else pretty_name(document)
    )
    return f"{name}{SEPARATOR}{section}" if sep and section else name


def in_words(text: object, known: Mapping[str, str] | None = None) -> str:
    """A sentence that names documents by file name ('Supported by pricing.md › Price'), with
    each known file name replaced by its title and any other file name made readable."""
    known = titles() if known is None else known
    out = str(text or "")
    for name in sorted(known, key=len, reverse=True):
        if name and name in out:
            out = out.replace(name, known[name])
    return re.sub(
        r"[\w./\\:-]+\.(?:md|markdown|txt|html?|pdf|csv|rst)\b",
        lambda m: pretty_name(m.group(0)),
        out,
    )
