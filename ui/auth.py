"""Who is using the page: sign-in with Streamlit's OpenID Connect, or local mode.

With `[auth]` in `.streamlit/secrets.toml`, nothing but the sign-in page is served until the
person signs in (`st.login`); their identity is the ID token's email, and only a verified one
(`email_verified: true`). Without it, Signoff runs in local mode: served on loopback only, and
the person is the operating-system user running the server (or $SIGNOFF_USER, set by the admin).
Every run also checks the request's Host header against the configured address.
"""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st

from ui.hosts import HOW_TO_SIGN_IN, host_allowed, is_loopback

log = logging.getLogger(__name__)


def auth_config() -> dict[str, Any] | None:
    """The [auth] section of Streamlit's secrets, or None (local mode)."""
    try:
        section = st.secrets.get("auth")
    except Exception:  # no secrets file at all
        return None
    return dict(section) if section else None


def local_user() -> str:
    """Local mode's person: $SIGNOFF_USER (set by the admin) or the operating-system user; the
    same identity the CLI records decisions under (`ui.cli_common._identity`, kept free of
    Streamlit so the CLI starts without importing it)."""
    from ui.cli_common import _identity

    return _identity()


def current_identity() -> str | None:
    """Who this session is, without drawing anything: the verified email of the signed-in
    person (None when nobody is, or the email is not verified), or in local mode the OS user."""
    if auth_config() is None:
        return local_user()
    if not st.user.is_logged_in or st.user.get("email_verified") is not True:
        return None
    email = str(st.user.get("email") or "").strip().lower()
    return email or None


def require_identity() -> str:
    """The identity of this session, or stop the run after drawing the sign-in page."""
    auth = auth_config()
    host = st.context.headers.get("Host") if st.context.headers else None
    if host is not None:  # a real request (AppTest has no headers)
        if not host_allowed(host, auth):
            log.warning("refused a request for Host %r", host)
            st.error(
                f"This address ({host}) is not where Signoff is served. Open it at its "
                "configured address."
            )
            st.stop()
        if auth is None and not is_loopback(st.get_option("server.address")):
            st.error(HOW_TO_SIGN_IN)
            st.stop()
    if auth is None:
        return local_user()
    if not st.user.is_logged_in:
        sign_in_page()
        st.stop()
    email = str(st.user.get("email") or "").strip().lower()
    if not email or st.user.get("email_verified") is not True:
        st.error(
            f"Your sign-in did not give a verified email address (got {email or 'none'}). "
            "Signoff records decisions under a verified email only: verify it with your "
            "identity provider, then sign in again."
        )
        st.button("Sign out", on_click=st.logout, key="logout-unverified")
        st.stop()
    return email


def sign_in_page() -> None:
    st.title(":material/task_alt: Signoff")
    st.markdown("**The AI proposes, a person signs off.** Sign in to see what waits for you.")
    st.button("Sign in", type="primary", icon=":material/login:", on_click=st.login, key="login")
