"""Shared by the AppTest tests (a module of its own: every conftest is named `conftest`)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[2] / "ui" / "app.py"
BRIEF = {
    "product": "Brightloop 2 smart thermostat",
    "audience": "Homeowners with high heating bills",
    "goal": "Pre-orders before winter",
}


def open_app(page: str | None = None, **query: str) -> AppTest:
    """The app at one page (`views/inbox.py`, ...), run once; `query` becomes `?key=value`."""
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.run()
    if page:
        at.query_params.update(query)
        at.switch_page(page).run()
    return at
