"""A card's campaign line: the product and short campaign id as a link to the Campaign page,
then what the card says of it ("proposed …", "approved by … at …")."""

from __future__ import annotations

import streamlit as st

from ui.state import PAGE_CAMPAIGN, plain, short_id


def campaign_link(thread_id: str, product: str, tail: str) -> None:
    """`tail` is shown as given: pass text already made safe (`plain`, `when`)."""
    st.page_link(
        PAGE_CAMPAIGN,
        label=f"{plain(product)} · campaign {short_id(thread_id)} · {tail}",
        icon=":material/link:",
        query_params={"thread": thread_id},
    )
