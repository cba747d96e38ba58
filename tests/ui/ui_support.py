"""Shared by the AppTest tests (a module of its own: every conftest is named `conftest`)."""

from __future__ import annotations

import mailbox
from pathlib import Path
from typing import Any

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


def texts(at: AppTest) -> str:
    """Every markdown, caption and alert text of the page, for `in` checks (unescaped)."""
    parts: list[str] = []
    for kind in (
        "markdown",
        "caption",
        "success",
        "info",
        "warning",
        "error",
        "header",
        "subheader",
        "title",
    ):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts).replace("\\", "")


def keys(at: AppTest) -> set[str]:
    """The keys of every button on the page."""
    return {b.key for b in at.button if b.key}


def maildir(home: Path) -> list[Any]:
    root = home / "maildir"
    return list(mailbox.Maildir(str(root), create=False)) if root.exists() else []


def present(at: AppTest, key: str) -> bool:
    """Is an element with this key on the page?"""
    try:
        at.get_by_key(key)
    except KeyError:
        return False
    return True
