"""Brand: who emails are from, how they are signed, what the copy must never say, and the rules
learned from edits and send-backs. Render only: reads and writes go through graphs.brand."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import streamlit as st

from graphs.brand import Brand, BrandBook, brand_from_dict
from graphs.errors import InvalidInput
from ui.state import flash, plain, show_flash, signoff

ORIGINS = {"edit": "learned from an edit", "send back": "learned from a send-back"}


def book() -> BrandBook:
    return BrandBook(Path(signoff().home))


def _save(name: str) -> None:
    fields = {
        key: st.session_state.get(f"brand-{key}", "")
        for key in (
            "sender_name",
            "from_address",
            "signature",
            "postal_address",
            "unsubscribe",
            "tone",
            "link",
            "avoid",
            "products",
        )
    }
    brands = book()
    try:
        current = brands.get(name) if name else Brand(name="")
    except InvalidInput:
        current = Brand(name=name)
    new_name = str(st.session_state.get("brand-name", "")).strip() or name
    try:
        saved = brands.save(brand_from_dict({**current.as_dict(), **fields, "name": new_name}))
    except InvalidInput as err:
        flash("error", str(err))
        return
    if name and saved.name != name:
        brands.delete(name)
    st.session_state["brand-pick"] = saved.name
    flash("success", f"Saved the settings of {saved.name}.")


def _add_rule(name: str) -> None:
    text = str(st.session_state.get("brand-new-rule", ""))
    try:
        book().add_rule(name, text)
    except InvalidInput as err:
        flash("error", str(err))
        return
    st.session_state["brand-new-rule"] = ""
    flash("success", "Added the rule; the next drafts follow it.")


def _update_rule(name: str, rule_id: str) -> None:
    book().update_rule(name, rule_id, str(st.session_state.get(f"brand-rule-{rule_id}", "")))
    flash("success", "Changed the rule.")


def _delete_rule(name: str, rule_id: str) -> None:
    book().remove_rule(name, rule_id)
    flash("success", "Deleted the rule.")


def render(brand: Brand, is_new: bool) -> None:
    with st.form(f"brand-form-{brand.name or 'new'}", border=True):
        st.text_input("Brand name", value=brand.name, key="brand-name")
        left, right = st.columns(2, gap="large")
        with left:
            st.text_input("Sender name", value=brand.sender_name, key="brand-sender_name")
            st.text_input(
                "From address",
                value=brand.from_address,
                key="brand-from_address",
                help="Every email of this brand is sent from this address.",
            )
            st.text_input("Signature", value=brand.signature, key="brand-signature")
            st.text_input("Tone", value=brand.tone, key="brand-tone")
        with right:
            st.text_input("Postal address", value=brand.postal_address, key="brand-postal_address")
            st.text_input("Unsubscribe line", value=brand.unsubscribe, key="brand-unsubscribe")
            st.text_input("Default link", value=brand.link, key="brand-link")
            st.text_input(
                "Products (comma-separated)",
                value=", ".join(brand.products),
                key="brand-products",
                help="Campaigns for these products use this brand.",
            )
        st.text_area(
            "Words to avoid (comma-separated)",
            value=", ".join(brand.avoid),
            key="brand-avoid",
            height=68,
        )
        st.form_submit_button(
            "Save brand",
            icon=":material/save:",
            on_click=_save,
            args=("" if is_new else brand.name,),
        )
    if is_new:
        return
    st.subheader("Rules the drafts follow", anchor=False)
    st.caption(
        "Learned from your edits and send-backs, or added here. Change or delete any of them; "
        "the next campaign follows what is here."
    )
    for rule in brand.rules:
        with st.container(border=True, key=f"brand-rule-box-{rule.id}"):
            text, save, delete = st.columns([6, 1, 1], vertical_alignment="bottom")
            with text:
                st.text_input(
                    ORIGINS.get(rule.origin, "added by you").capitalize(),
                    value=rule.text,
                    key=f"brand-rule-{rule.id}",
                )
            save.button(
                "Save",
                key=f"brand-rule-save-{rule.id}",
                on_click=_update_rule,
                args=(brand.name, rule.id),
            )
            delete.button(
                "Delete",
                key=f"brand-rule-delete-{rule.id}",
                icon=":material/delete:",
                on_click=_delete_rule,
                args=(brand.name, rule.id),
            )
    if not brand.rules:
        st.info("No rules yet: edits and send-backs add them.", icon=":material/rule:")
    st.text_input("New rule", key="brand-new-rule", placeholder="e.g. Never say 'not perfect'")
    st.button("Add rule", key="brand-add-rule", on_click=_add_rule, args=(brand.name,))


st.title("Brand")
st.caption(
    "What every draft is assembled with: the sender and From address, the signature, the "
    "footer with postal address and unsubscribe line, the words to avoid and the tone."
)
show_flash()
try:
    brands = book().all()
except InvalidInput as err:
    st.error(plain(str(err)))
    st.stop()
names = [b.name for b in brands] + ["+ New brand"]
pick = st.selectbox("Brand", names, key="brand-pick")
if pick == "+ New brand":
    render(dataclasses.replace(Brand(name=""), rules=()), is_new=True)
else:
    render(next(b for b in brands if b.name == pick), is_new=False)
