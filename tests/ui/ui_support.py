"""Shared by the AppTest tests (a module of its own: every conftest is named `conftest`)."""

from __future__ import annotations

import mailbox
import os
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from graphs.runtime import Signoff

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


def runs(at: AppTest) -> list[str]:
    """The labels of the progress panel's run boxes: open runs (an expander with the working
    icon, ui/progress.py) first, then ended ones (st.status)."""
    from ui.progress import RUNNING_ICON

    return [e.label for e in at.expander if e.icon == RUNNING_ICON] + [s.label for s in at.status]


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


class PageWorker:
    """The worker the page's queued runs need (the page enqueues; a worker runs the graph).

    After every AppTest run it runs each queued job over the app's data directory (the model
    through the same seam, so `app_model` scripts it) and, if it ran any, the page runs once
    more, as the live page does when its progress panel sees a run end. `enabled = False` leaves
    the queue alone (a test of what the page shows while a run waits)."""

    def __init__(self) -> None:
        self.enabled = True
        self.ran: list[dict[str, object]] = []
        self._runtime: Signoff | None = None

    def drain(self) -> int:
        home = os.environ.get("SIGNOFF_HOME")
        if not self.enabled or not home or not (Path(home) / "signoff.db").exists():
            return 0
        if self._runtime is None:
            self._runtime = Signoff(home, recover=False, queued=True)
        before = len(self.ran)
        while (job := self._runtime.work_once("page-test-worker")) is not None:
            self.ran.append(job)
        return len(self.ran) - before

    def close(self) -> None:
        if self._runtime is not None:
            self._runtime.close()


def tick(at: AppTest) -> AppTest:
    """What the browser does every second: rerun the page's fragments alone (not the page), as
    Streamlit's auto-rerun of `st.fragment(run_every=...)` does. The tree then holds what the
    fragments drew."""
    from unittest import mock

    from streamlit.testing.v1 import local_script_runner

    ids = list(at._fragment_storage._fragments)  # noqa: SLF001 - no public API for this
    real = local_script_runner.RerunData

    def fragments_only(**kw: Any) -> Any:
        return real(**kw, fragment_id_queue=list(ids), is_auto_rerun=True)

    with mock.patch.object(local_script_runner, "RerunData", fragments_only):
        return at.run()
