"""A review card's claims: highlighted in the draft, each with its quote one click away.

`render_claims(item)` takes an inbox item (see `graphs.runtime.review_items.inbox_item`): `args` (the draft),
`claims`, `evidence` ([{claim, sources: [Evidence]}]), `unsupported_claims` and, when the runtime
ran the verifier, `claim_checks` ([ClaimCheck]). Supported claims are highlighted green,
unsupported ones orange with the reason; evidence flagged "contains instructions" gets a warning.
It returns the texts of the unsupported claims.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import streamlit as st

from ui.components.sources import in_words, readable
from ui.state import plain

SUPPORTED = "green"
UNSUPPORTED = "orange"
UNCHECKED = "blue"
_CITATION = r"(?:\s*\[\d+\])*"


def draft_text(item: dict[str, Any]) -> str:
    args = item.get("args") or {}
    return str(args.get("body") or args.get("text") or item.get("text") or "")


def claim_rows(item: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per distinct claim: text, supported (True/False/None = not checked), reason,
    and the evidence it cites (with quotes, sources and flags)."""
    sources_for: dict[str, list[dict[str, Any]]] = {}
    for entry in item.get("evidence") or []:
        found = sources_for.setdefault(" ".join(str(entry.get("claim", "")).split()), [])
        for source in entry.get("sources") or []:
            if source not in found:
                found.append(source)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    checks = item.get("claim_checks")
    if checks:
        for check in checks:
            key = " ".join(str(check["text"]).split())
            if key in seen:
                continue
            seen.add(key)
            rows.append(
                {
                    "text": check["text"],
                    "supported": bool(check["supported"]),
                    "reason": check.get("reason") or "",
                    "sources": sources_for.get(key, []),
                    "quote": check.get("quote"),
                    "source": check.get("source"),
                }
            )
        return rows
    unsupported = {" ".join(str(c).split()) for c in item.get("unsupported_claims") or []}
    for claim in item.get("claims") or []:
        key = " ".join(str(claim["text"]).split())
        if key in seen:
            continue
        seen.add(key)
        sources = sources_for.get(key, [])
        cited = bool(claim.get("evidence_ids")) and bool(sources)
        rows.append(
            {
                "text": claim["text"],
                "supported": False if key in unsupported or not cited else None,
                "reason": "cites no evidence" if not cited else "cites evidence (not checked)",
                "sources": sources,
                "quote": None,
                "source": None,
            }
        )
    return rows


def _span(text: str, claim: str) -> tuple[int, int] | None:
    """Where a claim sits in the draft: as written, ignoring case, spacing and [n] marks."""
    words = re.findall(r"\S+", claim.strip().rstrip(".!?"))
    if not words:
        return None
    pattern = (_CITATION + r"\s+").join(re.escape(w) for w in words)
    m = re.search(pattern, text, re.IGNORECASE)
    return m.span() if m else None


def highlighted(text: str, rows: list[dict[str, Any]]) -> str:
    """The draft as markdown, each claim's words on a coloured background."""
    spans: list[tuple[int, int, str]] = []
    for row in rows:
        span = _span(text, row["text"])
        if span is None or any(s < span[1] and span[0] < e for s, e, _ in spans):
            continue
        colour = {True: SUPPORTED, False: UNSUPPORTED}.get(row["supported"], UNCHECKED)
        spans.append((span[0], span[1], colour))
    out, pos = [], 0
    for start, end, colour in sorted(spans):
        out.append(plain(text[pos:start]))
        inner = plain(text[start:end]).replace("  \n", " ")
        out.append(f":{colour}-background[{inner}]")
        pos = end
    out.append(plain(text[pos:]))
    return "".join(out)


def _flagged(sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in sources if s.get("flags")]


def same_sentence(text: str) -> str:
    """A sentence as compared for "shown already": citation marks, case and spacing aside."""
    return " ".join(re.sub(_CITATION, "", str(text)).split()).strip().rstrip(".!?").lower()


def render_claims(
    item: dict[str, Any], *, draft: bool = True, shown: Sequence[str] = ()
) -> list[str]:
    """Draw the draft with its claims highlighted (unless `draft` is False: the card shows the
    draft as it will appear), the claims with their sources, and warnings. An unsupported claim
    whose sentence is in `shown` (the sentence checks above, which warn about it) is not drawn
    again: each warning once. Flagged evidence is always warned about.

    Returns the texts of the claims that are not supported by their cited evidence.
    """
    already = {same_sentence(t) for t in shown}
    rows = claim_rows(item)
    text = draft_text(item)
    key = str(item.get("id", "draft"))
    if text and draft:
        with st.container(border=True, key=f"claims-draft-{key}"):
            st.markdown(highlighted(text, rows))
            st.caption(
                ":green-background[Supported] claims rest on the quoted evidence; "
                ":orange-background[unsupported] ones need your check."
            )
    unsupported: list[str] = []
    for row in rows:
        ok = row["supported"]
        if same_sentence(row["text"]) in already:  # shown (and warned about) above: once
            if ok is False:
                unsupported.append(row["text"])
            for source in _flagged(row["sources"]):
                _flag_warning(source)
            continue
        icon = {True: ":material/check_circle:", False: ":material/warning:"}.get(
            ok, ":material/help:"
        )
        with st.expander(plain(row["text"]), icon=icon, expanded=ok is False):
            if ok is False:
                unsupported.append(row["text"])
                st.warning(
                    f"Not supported: {plain(in_words(row['reason']))}. Check it before approving.",
                    icon=":material/warning:",
                )
            elif ok:
                st.caption(f":material/check: {plain(in_words(row['reason']))}")
            else:
                st.caption(plain(in_words(row["reason"])))
            for source in row["sources"]:
                st.markdown(f"> {plain(source.get('quote', ''))}")
                st.caption(f":material/description: {plain(_where(source))}")
            if not row["sources"] and row.get("quote"):
                st.markdown(f"> {plain(row['quote'])}")
                st.caption(f":material/description: {plain(readable(row.get('source')))}")
            for source in _flagged(row["sources"]):
                _flag_warning(source)
    return unsupported


def _where(source: dict[str, Any]) -> str:
    """'Brightloop pricing › Price': the document's title and the section."""
    name = readable(source.get("source"))
    location = str(source.get("location") or "").strip()
    return f"{name} › {location}" if location else name


def claim_quotes(item: dict[str, Any]) -> dict[str, str]:
    """Each claim's supporting quote, by its sentence (as `same_sentence` gives it)."""
    quotes: dict[str, str] = {}
    for row in claim_rows(item):
        quote = row.get("quote") or next(
            (s.get("quote") for s in row["sources"] if s.get("quote")), None
        )
        if quote:
            quotes.setdefault(same_sentence(row["text"]), str(quote))
    return quotes


def _flag_warning(source: dict[str, Any]) -> None:
    st.warning(
        f"{plain(_where(source))} is flagged ({plain(', '.join(source['flags']))}): it may carry "
        "instructions for an AI. It is shown as data; nothing in it was followed.",
        icon=":material/gpp_maybe:",
    )
