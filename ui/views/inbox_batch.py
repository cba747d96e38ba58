"""One audience batch in the Inbox: the template, its count and a sample, the contacts' drafts a
page at a time (never all loaded), approve all, a selection, or the rest after a sample — each in
one submission."""

from __future__ import annotations

import random
import re
from email.utils import parseaddr
from typing import Any

import streamlit as st

from graphs.humanize import clip
from ui.clicks import queue
from ui.components.campaign_link import campaign_link
from ui.components.preview import render_draft
from ui.state import (
    ACTION_ICONS,
    RISK_COLORS,
    count,
    flash,
    plain,
    reviewer,
    short_id,
    signoff,
    when,
)
from ui.views.inbox_card import expiry_badges, render_card, render_panel, render_preview
from ui.views.inbox_decide import (
    REASON_NEEDED,
    REJECT_REASONS,
    _approval,
    _submit,
    _title,
    _toggle_panel,
    needs_check,
    post_limit,
)

SAMPLE_SIZE = 3  # "Review a sample" shows this many random drafts of a batch
BATCH_ROWS = 25  # rows of a batch shown per page of the batch


def _batch_approve(batch: str, items: list[dict[str, Any]], keep_sample: bool = False) -> None:
    """Approve these drafts of a batch; 'Approve the rest' keeps the sample's cards open."""
    checked = bool(st.session_state.get(f"batch-checked-{batch}"))
    _submit(
        {i["id"]: _approval(i, checked) for i in items},
        "approve",
        {i["id"]: _title(i) for i in items},
    )
    if not keep_sample:
        st.session_state.pop(f"sample-{batch}", None)


def _batch_selected(batch: str, items: list[dict[str, Any]], kind: str) -> None:
    chosen = [i for i in items if st.session_state.get(f"select-{i['id']}")]
    if not chosen:
        flash("warning", "Select at least one draft first (tick its box).")
        return
    if kind == "approve":
        _batch_approve(batch, chosen)
    else:
        reason = st.session_state.get(f"batch-reject-reason-{batch}")
        if reason not in REJECT_REASONS:  # none picked: nothing recorded
            flash(
                "warning",
                f"To reject the selected drafts, {REASON_NEEDED[0].lower()}{REASON_NEEDED[1:]}",
            )
            return
        _submit(
            {
                i["id"]: {
                    "type": "reject",
                    "reason": reason,
                    "comment": "",
                    "seen": i["content_hash"],
                }
                for i in chosen
            },
            "reject",
            {i["id"]: _title(i) for i in chosen},
        )
    for i in chosen:
        st.session_state.pop(f"select-{i['id']}", None)


def _sample(batch: str, ids: list[str], must: list[str] | None = None) -> None:
    """A random sample, plus every draft with links or contacts nobody gave (never 'the rest')."""
    must = [i for i in must or [] if i in ids]
    others = [i for i in ids if i not in must]
    k = min(max(0, SAMPLE_SIZE - len(must)), len(others))
    st.session_state[f"sample-{batch}"] = must + random.sample(others, k)


def _end_sample(batch: str) -> None:
    st.session_state.pop(f"sample-{batch}", None)


def _sample_batch(batch: str, lead: dict[str, Any]) -> None:
    _sample(
        batch,
        signoff().batch_ids(lead["thread_id"], lead["batch"]),
        signoff().batch_foreign_ids(lead["thread_id"], lead["batch"]),
    )


def _queue_batch(
    lead: dict[str, Any],
    decision: dict[str, Any],
    *,
    exclude: list[str] | None = None,
    checked: bool = False,
) -> None:
    """One submission deciding a whole batch (but `exclude`) with ONE decision on its
    interrupt; the runtime reads the batch from the index, so the page never holds all of it."""
    queue(
        "queued",
        {
            "batch": {
                "thread": lead["thread_id"],
                "name": lead["batch"],
                "exclude": list(exclude or []),
                "checked": checked,
                "decision": decision,
            },
            "decisions": {},
            "label": decision["type"],
            "titles": {},
            "title": _title(lead),
            "by": reviewer(),
        },
    )


def _batch_approve_all(batch: str, lead: dict[str, Any], exclude: list[str] | None = None) -> None:
    """Approve every undecided draft of a batch (but `exclude`, the sample's) in one submission."""
    checked = bool(st.session_state.get(f"batch-checked-{batch}"))
    _queue_batch(lead, {"type": "approve"}, exclude=exclude, checked=checked)
    if exclude is None:
        st.session_state.pop(f"sample-{batch}", None)


def _batch_send_back(batch: str, lead: dict[str, Any]) -> None:
    """Send the batch's one template back to the writer with feedback: ONE decision on the
    batch's interrupt (the runtime reads the batch from the index); the redraft comes back as
    the same batch, every contact's email drafted from it again."""
    feedback = str(st.session_state.get(f"batch-feedback-{batch}") or "").strip()
    if not feedback:
        flash("warning", "Say what the writer should change first (the box above the button).")
        return
    _queue_batch(lead, {"type": "revise", "feedback": feedback})
    st.session_state.pop(f"batch-feedback-{batch}", None)
    st.session_state.pop(f"sample-{batch}", None)


def _send_back_form(batch: str, lead: dict[str, Any], template: dict[str, Any], total: int) -> None:
    """Below the template: feedback and "Send back the template" (when its review allows it)."""
    if "revise" not in (template.get("allowed_decisions") or []):
        return
    st.text_area(
        "What should the writer change? (for every contact's email)",
        key=f"batch-feedback-{batch}",
        placeholder="Shorter, and lead with the winter offer.",
    )
    st.button(
        f"Send back the template ({total:,} contacts)",
        key=f"batch-send-back-{batch}",
        icon=":material/undo:",
        on_click=_batch_send_back,
        args=(batch, lead),
    )


# -- one batch --------------------------------------------------------------------------------
def batch_key(item: dict[str, Any]) -> str | None:
    """A batch within its campaign (batch ids are only unique per campaign): '1a2b3c4d-audience'."""
    return f"{short_id(item['thread_id'])}-{item['batch']}" if item.get("batch") else None


def _recipient(item: dict[str, Any]) -> str:
    args = item["args"]
    return str(args.get("to") or args.get("url") or args.get("handle") or args.get("account") or "")


GREETING = re.compile(
    r"^(?:hi|hello|hey|dear|good (?:morning|afternoon|evening))\s+(.+?)[,!.:]?$", re.I
)


def _lines(text: Any) -> list[str]:
    return [" ".join(line.split()) for line in str(text or "").splitlines() if line.strip()]


def differences(item: dict[str, Any], template: dict[str, Any] | None) -> list[str]:
    """What this contact's draft says that the template does not: its own lines (the greeting
    by name, a personal line), and any field that differs (a subject); the recipient aside."""
    if template is None:
        return []
    mine, base = item.get("args") or {}, template.get("args") or {}
    found: list[str] = []
    for name, value in mine.items():
        if name in ("to", "sender") or value == base.get(name):
            continue
        theirs = set(_lines(base.get(name)))
        found += [line for line in _lines(value) if line not in theirs]
    return found


def contact_name(item: dict[str, Any], differs: list[str]) -> str:
    """The contact's name: from 'Ann <ann@example.com>', or from the greeting ('Hi Ann,')."""
    name, _ = parseaddr(_recipient(item))
    if name:
        return name
    for line in differs:
        if m := GREETING.match(line):
            return m.group(1)
    return ""


def _open_row(batch: str, item_id: str) -> None:
    st.session_state[f"batch-open-{batch}"] = item_id


def render_batch_row(
    item: dict[str, Any], template: dict[str, Any] | None, batch: str, is_open: bool
) -> None:
    """One line per contact: tick box, name, address, what differs from the template and the
    flag if any; a click opens the draft beside the list."""
    item_id = item["id"]
    differs = differences(item, template)
    name = contact_name(item, differs)
    to = _recipient(item) or _title(item)
    parts = [f"**{name}**" if name else "", to]
    extra = [d for d in differs if not (name and GREETING.match(d))]
    if extra:
        parts.append(clip(" · ".join(extra), 48))
    elif not differs:
        parts.append("same as the template")
    label = " · ".join(p for p in parts if p)
    if needs_check(item):
        label += " · :orange[:material/warning: claims to check]"
    if item.get("foreign_contacts"):
        label += " · :orange[:material/link_off: links to check]"
    with st.container(
        horizontal=True, vertical_alignment="center", gap="small", key=f"row-{item_id}"
    ):
        st.checkbox("Select", key=f"select-{item_id}", label_visibility="collapsed", width=28)
        st.button(
            label,
            key=f"open-{item_id}",
            type="secondary" if is_open else "tertiary",
            on_click=_open_row,
            args=(batch, item_id),
            width="stretch",
            help=None if is_open else "Open this contact's email beside the list",
        )


def render_open_row(item: dict[str, Any], template: dict[str, Any] | None) -> None:
    """The open contact's draft, as it goes out, with Edit (the single item's panel)."""
    item_id = item["id"]
    with st.container(border=True, key=f"batch-open-item-{item_id}"):
        differs = differences(item, template)
        name = contact_name(item, differs) or _recipient(item)
        st.markdown(f"**{plain(name)}** — as it goes out")
        render_draft(item, limit=post_limit())
        if differs:
            st.caption("Differs from the template: " + " · ".join(plain(d) for d in differs))
        st.caption(
            ":material/info: This email is the batch's one template, greeted by name: it is "
            "never sent back on its own. To change it for this contact only, use Edit; to have "
            "the writer redo it for every contact, use **Send back the template** above."
        )
        st.button(
            "Edit",
            key=f"edit-{item_id}",
            icon=":material/edit:",
            on_click=_toggle_panel,
            args=(item_id, "edit"),
            disabled="edit" not in item["allowed_decisions"],
        )
        if st.session_state.get(f"panel-{item_id}") == "edit":
            render_panel(item, "edit")


def _rows_page(batch: str, number: int) -> None:
    st.session_state[f"batch-rows-{batch}"] = max(1, number)


def render_batch(
    batch: str, lead: dict[str, Any], products: dict[str, str], open_count: int | None = None
) -> None:
    """A batch: its template (the draft as it goes out, its claims), its count, a page of its
    contacts' drafts (BATCH_ROWS at a time, read from the index: never all of it), a sample on
    request. "Approve all" and "Approve the rest" decide the whole batch in one submission,
    through the runtime, without loading it here."""
    runtime = signoff()
    thread, name = lead["thread_id"], lead["batch"]
    n = int(open_count if open_count is not None else lead.get("open", 1))
    pages = max(1, -(-n // BATCH_ROWS))
    page = min(int(st.session_state.get(f"batch-rows-{batch}", 1)), pages)
    items = runtime.batch_items(thread, name, limit=BATCH_ROWS, offset=(page - 1) * BATCH_ROWS)
    first = items[0] if items else lead
    title = _title(first)
    total = max(int(first.get("batch_size") or n), n)
    template = runtime.batch_template(thread, name)
    n_flagged = runtime.batch_needing_check(thread, name)
    sample = runtime.items(st.session_state.get(f"sample-{batch}", []))
    sample_ids = [i["id"] for i in sample]
    with st.container(border=True, key=f"batch-{batch}"):
        head, badges = st.columns([3, 2], vertical_alignment="center")
        with head:
            st.subheader(
                f"{ACTION_ICONS.get(first['action'], ':material/bolt:')} {title} × {n:,}",
                anchor=False,
            )
        with badges, st.container(horizontal=True, horizontal_alignment="right"):
            st.badge(
                f"{first['risk'].capitalize()} risk",
                color=RISK_COLORS.get(first["risk"], "gray"),  # type: ignore[arg-type]
                icon=":material/shield:",
            )
            st.badge(f"Batch of {total:,}", color="blue", icon=":material/stacks:")
            soonest = template if template and template.get("expires_at") else None
            if soonest:
                expiry_badges(soonest)
        campaign_link(
            thread, products.get(thread, "Campaign"), f"proposed {when(first['created_at'])}"
        )
        waiting = f"{count(n, 'draft')} of this batch wait for you"
        st.caption(
            f"{waiting}. One email per contact, from one template; nothing in it goes out until "
            "every draft is decided: approve them all, pick some, or review a random sample "
            "first."
        )
        if template is not None:
            with st.expander(
                "The template (each contact's email is this one, greeted by name)",
                icon=":material/description:",
            ):
                render_preview(template)
                _send_back_form(batch, lead, template, total)
        if n_flagged:
            st.warning(
                f"{count(n_flagged, 'draft')} in this batch make claims the evidence does not "
                "support.",
                icon=":material/warning:",
            )
            st.checkbox(
                "I checked the flagged claims in this batch",
                key=f"batch-checked-{batch}",
                help="Required to approve drafts with unsupported claims; recorded in the audit.",
            )
        unchecked = bool(n_flagged) and not st.session_state.get(f"batch-checked-{batch}")
        n_foreign = len(runtime.batch_foreign_ids(thread, name))
        if n_foreign:
            st.warning(
                f"{count(n_foreign, 'draft')} in this batch carry links or contacts you did not "
                "give (from the audience file or a source). They are always in the sample and "
                "never approved in bulk: open them one by one.",
                icon=":material/link_off:",
            )

        if sample_ids:
            n_rest = n - len(sample)
            rest_flagged = n_flagged - sum(1 for i in sample if needs_check(i))
            st.markdown(
                f"**A random sample of {len(sample)}** — decide these, then approve the rest."
            )
            for item in sample:
                render_card(item, products)
            with st.container(horizontal=True):
                st.button(
                    f"Approve the rest ({n_rest:,})",
                    key=f"batch-approve-rest-{batch}",
                    type="primary",
                    icon=":material/done_all:",
                    on_click=_batch_approve_all,
                    args=(batch, first, sample_ids),
                    disabled=not n_rest or unchecked and rest_flagged > 0,
                )
                st.button(
                    "Back to the whole batch",
                    key=f"batch-sample-end-{batch}",
                    icon=":material/close:",
                    on_click=_end_sample,
                    args=(batch,),
                )
            return

        with st.container(horizontal=True):
            st.button(
                f"Approve all {n:,}",
                key=f"batch-approve-{batch}",
                type="primary",
                icon=":material/done_all:",
                on_click=_batch_approve_all,
                args=(batch, first),
                disabled=unchecked,
                help="Tick 'I checked the flagged claims' first." if unchecked else None,
            )
            st.button(
                f"Review a sample of {min(max(SAMPLE_SIZE, n_foreign), n)}",
                key=f"batch-sample-{batch}",
                icon=":material/shuffle:",
                on_click=_sample_batch,
                args=(batch, first),
            )
        opened = st.session_state.get(f"batch-open-{batch}")
        current = next((i for i in items if i["id"] == opened), items[0] if items else None)
        rows, beside = st.columns([2, 3], gap="medium")
        with rows, st.container(key=f"batch-rows-list-{batch}", gap=None):
            for item in items:
                render_batch_row(item, template, batch, current is not None and item is current)
        if current is not None:
            with beside:
                render_open_row(current, template)
        if pages > 1:
            start = (page - 1) * BATCH_ROWS + 1
            with st.container(horizontal=True, vertical_alignment="center"):
                st.button(
                    "Previous",
                    key=f"batch-rows-prev-{batch}",
                    icon=":material/chevron_left:",
                    on_click=_rows_page,
                    args=(batch, page - 1),
                    disabled=page <= 1,
                )
                st.caption(f"Drafts {start:,}–{start + len(items) - 1:,} of {n:,}")
                st.button(
                    "Next",
                    key=f"batch-rows-next-{batch}",
                    icon=":material/chevron_right:",
                    on_click=_rows_page,
                    args=(batch, page + 1),
                    disabled=page >= pages,
                )
        selected = [i for i in items if st.session_state.get(f"select-{i['id']}")]
        with st.container(horizontal=True, vertical_alignment="bottom"):
            st.button(
                f"Approve selected ({len(selected)})",
                key=f"batch-approve-selected-{batch}",
                icon=":material/check:",
                on_click=_batch_selected,
                args=(batch, items, "approve"),
                disabled=not selected or unchecked and any(needs_check(i) for i in selected),
            )
            st.selectbox(
                "Reason",
                REJECT_REASONS,
                index=None,
                placeholder="Pick a reason",
                key=f"batch-reject-reason-{batch}",
                label_visibility="collapsed",
                width=200,
            )
            st.button(
                f"Reject selected ({len(selected)})",
                key=f"batch-reject-selected-{batch}",
                icon=":material/block:",
                on_click=_batch_selected,
                args=(batch, items, "reject"),
                disabled=not selected,
            )
