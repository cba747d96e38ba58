"""The Inbox as compact rows, one entry open beside them (the "Rows" switch, or `?view=rows`).

Each entry of the page (a draft, a whole audience batch, or the receipt of one decided since) is
one line: what it is, its campaign, its risk, what needs a look. A click on a line opens that
entry beside the rows, drawn as the card view draws it (the same card, batch or receipt, with the
same buttons), so deciding works exactly as in the cards. A decided line stays where it was and
says what was decided: the lines never move under the pointer, and the next one is a click away.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from graphs.humanize import clip
from ui.state import plain
from ui.views.inbox_batch import batch_key, render_batch
from ui.views.inbox_card import render_card
from ui.views.inbox_decide import needs_check
from ui.views.inbox_receipt import LIST, RECEIPTS, VERBS, entry_key
from ui.views.inbox_receipt_view import ICONS, render_receipt

OPEN = "inbox-open"  # the key of the entry open beside the rows
VIEW = "inbox-view-rows"  # the switch; `?view=rows` turns it on for a link or a bookmark
# One line per row, left-aligned and cut with an ellipsis: a label that wrapped would change its
# row's height when it changes (a decided row says "Approved"), and the rows must not move.
ROW_CSS = (
    "<style>"
    ".st-key-inbox-rows button{justify-content:flex-start;text-align:left;overflow:hidden}"
    ".st-key-inbox-rows button>div{justify-content:flex-start}"
    ".st-key-inbox-rows button div,.st-key-inbox-rows button p"
    "{white-space:nowrap;overflow:hidden;text-overflow:ellipsis;min-width:0}"
    "</style>"
)


def wanted() -> bool:
    """Does the reviewer want rows? The URL says (`?view=rows`), so a reload or a shared link
    opens the same view; the switch below follows it."""
    return st.query_params.get("view") == "rows"


def switch() -> None:
    """The switch, set from the URL before it is drawn; a change goes into the URL."""
    st.session_state[VIEW] = wanted()
    st.toggle(
        "Rows",
        key=VIEW,
        on_change=_remember,
        help="One line per draft, the one you open beside them",
    )


def _remember() -> None:
    if st.session_state.get(VIEW):
        st.query_params["view"] = "rows"
    else:
        st.query_params.pop("view", None)


def _open(key: str) -> None:
    st.session_state[OPEN] = key


def _key(kind: str, entry: Any) -> str:
    return str(entry) if kind == "receipt" else entry_key(entry)


def _label(kind: str, entry: Any, products: dict[str, str]) -> str:
    """One line: the receipt's verdict, or what waits, where from, its risk and its flags."""
    key = _key(kind, entry)
    shown = st.session_state[LIST]["entries"][key]
    what = f"{shown['icon']} {plain(clip(shown['what'], 70))}"
    if kind == "receipt":
        verdict = st.session_state[RECEIPTS][key]["kind"]
        icon = ICONS.get(verdict, ":material/info:")
        return f"{icon} **{VERBS.get(verdict, 'No longer waiting')}** · {what}"
    item: dict[str, Any] = entry
    parts = [
        f"**{what}**",
        plain(clip(products.get(item["thread_id"], "Campaign"), 40)),
        f"{str(item.get('risk') or '').capitalize()} risk",
    ]
    if key.startswith("batch-"):
        parts.append(f"{int(item.get('open') or 1):,} contacts")
    if needs_check(item):
        parts.append(":orange[:material/warning: claims to check]")
    if item.get("foreign_contacts"):
        parts.append(":orange[:material/link_off: links to check]")
    return " · ".join(parts)


def render_rows(entries: list[tuple[str, Any]], products: dict[str, str]) -> None:
    """The page's entries as rows, the open one beside them (the first waiting one unless the
    reviewer opened another; a decided one stays open, as its receipt, until they pick the
    next)."""
    keys = [_key(kind, entry) for kind, entry in entries]
    open_key = st.session_state.get(OPEN)
    if open_key not in keys:
        live = [k for (kind, _), k in zip(entries, keys, strict=True) if kind == "live"]
        open_key = live[0] if live else keys[0]
        # pinned: once decided it stays open as its receipt, so the pane never jumps to the next
        # draft under the pointer (a double click would otherwise approve that one too)
        st.session_state[OPEN] = open_key
    st.html(ROW_CSS)
    rows, pane = st.columns([2, 3], gap="medium")
    with rows, st.container(gap="small", key="inbox-rows"):
        for (kind, entry), key in zip(entries, keys, strict=True):
            st.button(
                _label(kind, entry, products),
                key=f"inbox-row-{key}",
                type="secondary" if key == open_key else "tertiary",
                on_click=_open,
                args=(key,),
                width="stretch",
            )
    with pane:
        render_entry(*entries[keys.index(open_key)], products)


def render_entry(kind: str, entry: Any, products: dict[str, str]) -> None:
    """One entry as the cards show it: a receipt, a draft's card, or an audience batch."""
    if kind == "receipt":
        render_receipt(entry)
    elif (group := batch_key(entry)) is None or (
        entry.get("open", 1) == 1 and (entry.get("batch_size") or 1) <= 1
    ):
        render_card(entry, products)
    else:
        render_batch(group, entry, products, entry.get("open"))
