"""Knowledge: what the researcher quotes from. Upload files, add web pages, search, remove.

Render only: every read and write goes through `tools.kb.KnowledgeBase` (one per data
directory and server, like the runtime). A new data directory starts with the sample brand kit,
exactly what a first campaign would quote.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import streamlit as st

from tools.fetch import MB, FetchLimits
from tools.kb import SUPPORTED, SUPPORTED_HELP, KnowledgeBase, SourceInfo
from ui.state import count, flash, plain, reviewer, show_flash, signoff, when

UPLOAD_TYPES = sorted({suffix.lstrip(".") for suffix in SUPPORTED})
KIND_ICONS = {
    "md": ":material/article:",
    "txt": ":material/notes:",
    "html": ":material/language:",
    "pdf": ":material/picture_as_pdf:",
}


@st.cache_resource(show_spinner="Opening the knowledge base…")
def _open(db_path: str) -> KnowledgeBase:
    """One knowledge base per database file and server (keyed on the path, like the runtime)."""
    kb = KnowledgeBase.open(Path(db_path))
    kb.ensure_sample()
    return kb


def knowledge_base() -> KnowledgeBase:
    """The runtime's knowledge base when it has one, else the data directory's."""
    runtime = signoff()
    kb = getattr(getattr(runtime, "context", None), "kb", None)
    if isinstance(kb, KnowledgeBase):
        kb.ensure_sample()
        return kb
    return _open(str(Path(runtime.home) / "signoff.db"))


# -- actions (each says what happened on the next run) ----------------------------------------
def _added(info: SourceInfo) -> None:
    message = f"Added {plain(info.name)} ({count(info.passages, 'passage')})."
    if info.flags:
        flash(
            "warning",
            message + f" Flagged: {', '.join(info.flags)} — it is used as data only, and the "
            "reviewer sees the flag next to any claim that cites it.",
        )
    else:
        flash("success", message)


def _allowed() -> bool:
    """The policy's authority: may this person change the knowledge base (refusals audited)."""
    from graphs.errors import NotAllowed

    try:
        signoff().authorize(reviewer(), "add_knowledge", "change the knowledge base")
    except NotAllowed as err:
        flash("error", str(err))
        return False
    return True


def add_uploads(kb: KnowledgeBase, files: list[Any], product: str = "") -> None:
    if not _allowed():
        return
    cap = FetchLimits.from_env().max_bytes
    for file in files:
        size = int(getattr(file, "size", 0) or 0)
        if size > cap:  # before reading it: the same cap as a fetched page
            flash(
                "error",
                f"{plain(file.name)} is {size / MB:.1f} MB; a source may be at most "
                f"{cap // MB} MB. Split it into smaller files or upload an extract.",
            )
            continue
        try:
            _added(kb.add_bytes(file.name, file.getvalue(), product=product))
        except ValueError as err:
            flash("error", str(err))


URL_ERROR = "kb-url-error"  # said by the "Add page" box, not at the top of the page
# tools/fetch.py's refusal of a private or local address names the setting that admits one
_REFUSED = re.compile(r"^Refused to fetch (?P<host>\S+): it is (?P<why>.+?) \((?P<address>[^)]*)\)")


def url_problem(error: str) -> str:
    """A fetch error as the person adding a page can act on it (no setting names)."""
    refused = _REFUSED.match(error)
    if refused:
        return (
            f"Signoff did not add this page: {refused.group('host')} is not on the public web "
            "(a private or local address), and Signoff only adds public web pages. If it is "
            "your company's own site, ask whoever runs Signoff to allow this site, then add it "
            "again."
        )
    return error


def add_url(kb: KnowledgeBase, url: str, product: str = "") -> None:
    url = url.strip()
    st.session_state.pop(URL_ERROR, None)
    if not _allowed():
        return
    if not url:
        st.session_state[URL_ERROR] = "Type a web address first, starting with https://."
        return
    try:
        _added(kb.add_url(url, product=product))
    except ValueError as err:
        st.session_state[URL_ERROR] = url_problem(str(err))


def add_pasted(kb: KnowledgeBase, product: str, name: str, text: str) -> None:
    product = " ".join(product.split())
    if not product:
        flash("error", "Say which product these facts are about first (e.g. Northpeak backpack).")
        return
    if not text.strip():
        flash("error", "Paste the fact sheet's text first: prices, offers, features.")
        return
    try:
        _added(kb.add_text(name.strip() or f"{product} facts", text, kind="md", product=product))
    except ValueError as err:
        flash("error", str(err))


def _remove(source_id: int) -> None:
    if not _allowed():
        return
    removed = knowledge_base().remove(source_id)
    if removed is None:
        flash("info", "That source was already removed.")
    else:
        flash(
            "success",
            f"Removed {plain(removed.name)} and its {count(removed.passages, 'passage')}.",
        )


# -- rendering ---------------------------------------------------------------------------------
def render_add(kb: KnowledgeBase) -> None:
    product = st.text_input(
        "Product these sources are about",
        key="kb-product",
        placeholder="e.g. Northpeak backpack",
        help="Campaigns use a source only for its own product; leave empty for a source that "
        "names its products itself.",
    )
    with st.form("kb-text-form", clear_on_submit=True, border=True):
        st.markdown("**Paste a fact sheet**")
        name = st.text_input("Name", key="kb-text-name", placeholder="e.g. Spring price list")
        text = st.text_area(
            "Facts",
            key="kb-text",
            height=160,
            placeholder="Prices, offers and codes, features, customer quotes…",
        )
        if st.form_submit_button("Add facts", icon=":material/post_add:", key="kb-add-text"):
            add_pasted(kb, product, name, text)
            st.rerun()
    left, right = st.columns(2, gap="large")
    with left, st.form("kb-upload-form", clear_on_submit=True, border=True):
        st.markdown("**Upload files**")
        files = st.file_uploader(
            f"Documents ({SUPPORTED_HELP})",
            type=UPLOAD_TYPES,
            accept_multiple_files=True,
            key="kb-upload",
            help="Uploading a file with the same name again replaces it.",
        )
        if st.form_submit_button("Add to knowledge base", icon=":material/upload:", key="kb-add"):
            if files:
                add_uploads(kb, list(files), product)
                st.rerun()
            else:
                st.warning("Choose one or more files first.")
    with right, st.form("kb-url-form", clear_on_submit=True, border=True):
        st.markdown("**Add a web page**")
        url = st.text_input(
            "Web address", key="kb-url", placeholder="https://example.com/product-page"
        )
        if st.form_submit_button("Add page", icon=":material/language:", key="kb-add-url"):
            add_url(kb, url, product)
            st.rerun()
        problem = st.session_state.get(URL_ERROR)
        if problem:
            st.error(plain(problem), icon=":material/language:")


def render_search(kb: KnowledgeBase) -> None:
    query = st.text_input(
        "Search the knowledge base",
        key="kb-query",
        placeholder="e.g. price of the thermostat, warranty, customer quotes",
        icon=":material/search:",
    )
    if not query.strip():
        return
    hits = kb.search(query, k=8)
    if not hits:
        st.info(f"No passage matches {plain(query)}.", icon=":material/search_off:")
        return
    # a style guide's passages say how to write, never what is true: the facts come first
    voice = {s.id for s in kb.sources() if s.role == "voice"}
    hits.sort(key=lambda hit: hit.source_id in voice)  # stable: best match first in each
    quoted = sum(hit.source_id not in voice for hit in hits)
    st.caption(
        f"{count(quoted, 'passage')} a campaign would quote, best match first"
        + (
            f"; then {count(len(hits) - quoted, 'style-guide passage')}"
            if quoted < len(hits)
            else ""
        )
        + "."
    )
    for hit in hits:
        with st.container(border=True):
            st.markdown(f"> {plain(hit.text)}")
            about = (
                " · style guide: how to write, never quoted as evidence"
                if hit.source_id in voice
                else ""
            )
            st.caption(f":material/description: {plain(hit.source)} › {plain(hit.location)}{about}")
            flags = list(dict.fromkeys([*hit.flags, *hit.source_flags]))
            if flags:
                st.warning(
                    f"Flagged: {', '.join(flags)}. Used as data, never as instructions.",
                    icon=":material/gpp_maybe:",
                )


def render_sources(kb: KnowledgeBase) -> None:
    sources = kb.sources()
    if not sources:
        st.info(
            "The knowledge base is empty: campaigns will find no evidence, and every claim will "
            "be marked unsupported. Upload your product facts, pricing and customer quotes above.",
            icon=":material/menu_book:",
        )
        return
    flagged = [s for s in sources if s.flags]
    st.caption(
        f"{count(len(sources), 'source')}, {count(sum(s.passages for s in sources), 'passage')}"
        + (f" · {len(flagged)} flagged" if flagged else "")
    )
    for s in sources:
        with st.container(border=True, key=f"kb-source-{s.id}"):
            head, action = st.columns([5, 1], vertical_alignment="center")
            with head:
                st.markdown(
                    f"{KIND_ICONS.get(s.kind, ':material/description:')} **{plain(s.name)}**"
                )
                title = f"{plain(s.title)} · " if s.title and s.title != s.name else ""
                about = (
                    "style guide, never quoted as evidence"
                    if s.role == "voice"
                    else f"about {plain(s.product)}"
                    if s.product
                    else "about the products it names"
                )
                st.caption(
                    f"{title}{about} · {s.kind.upper()} · {count(s.passages, 'passage')} · added "
                    f"{when(s.added_at)}"
                )
            with action:
                st.button(
                    "Remove",
                    key=f"kb-remove-{s.id}",
                    icon=":material/delete:",
                    on_click=_remove,
                    args=(s.id,),
                    help="Remove this source and its passages from the knowledge base.",
                )
            with st.expander("How it was split into passages"):
                for n, p in enumerate(kb.passages(s.id), start=1):
                    st.caption(f"{n}. {plain(p.location)}")
                    st.markdown(f"> {plain(p.text)}")
            if s.flags:
                st.warning(
                    "**This source may carry instructions for an AI.** It stays usable as "
                    "evidence, shown with a warning; nothing in it is followed.  \n"
                    + "  \n".join(f"- {plain(r)}" for r in s.reasons),
                    icon=":material/gpp_maybe:",
                )


# -- the page ---------------------------------------------------------------------------------
st.title("Knowledge")
st.caption(
    "What the researcher quotes from. Every claim in a draft points to a passage here, and "
    "claims whose numbers, prices or names are not in their quote are marked for your check."
)
show_flash()
kb = knowledge_base()
render_add(kb)
st.subheader("Search", anchor=False)
render_search(kb)
st.subheader("Sources", anchor=False)
render_sources(kb)
