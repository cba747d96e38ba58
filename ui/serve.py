"""What `signoff ui` / `make run` serves: the app behind a Host check (DESIGN.md §5b).

Streamlit checks the Origin of the websocket but not the Host of a request, so a page reached
through another name (DNS rebinding: `Host: evil.example:8501`) would be served. Streamlit 1.67
runs an `st.App` under uvicorn/Starlette when `streamlit run` finds one in the script; this file
is that script, and Starlette's own TrustedHostMiddleware refuses every HTTP request and
websocket whose Host is not the configured one (loopback names, the host of the sign-in's
`redirect_uri`, and SIGNOFF_ALLOWED_HOSTS). ui/app.py is the Streamlit script itself.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from ui.hosts import allowed_hosts, auth_section

app = st.App(
    str(Path(__file__).with_name("app.py")),
    middleware=[
        Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(auth_section())),
    ],
)
