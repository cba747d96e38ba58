"""A real `streamlit run ui/app.py` on a free loopback port, and Debian's chromium to drive it.

Never `playwright install`: the browser is the system chromium. A missing chromium fails the
test with what to do; it never skips.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from e2e_support import CHROMIUM_ARGS, Server, serve


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app with the real embedded model and the shipped policy."""
    with serve(tmp_path_factory.mktemp("e2e") / "signoff-home") as running:
        yield running


@pytest.fixture(scope="module")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if not path:
        pytest.fail(
            "chromium is not installed, and the browser tests need it (they never download a "
            "browser). Install Debian's chromium: `sudo apt-get install -y chromium` "
            "(or `make browser`), then rerun."
        )
    return path


@pytest.fixture
def page(chromium_path: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            yield context.new_page()
        finally:
            browser.close()
