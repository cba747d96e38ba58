"""AppTest fixtures: a data directory per test, campaigns seeded with the scripted model.

The app's own runtime (`ui.state.get_signoff`, cached per home path) is built with no model, so
the graph asks the one seam, `graphs.model.load_chat_model`: `app_model` patches it (AppTest runs
the app in this process).

By default the policy has no hold windows (an approval executes at once) and the app's
background scheduler is off (SIGNOFF_SCHEDULER=off), so a test moves time itself with
`seeded.tick(now=...)`. The hold tests pass a policy of their own (`hold_policy`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

import os  # noqa: E402

from fakes import ScriptedChatModel  # noqa: E402
from policy_support import no_holds, write_policy  # noqa: E402
from ui_support import PageWorker  # noqa: E402

from graphs.runtime import Signoff  # noqa: E402


@pytest.fixture
def ui_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "signoff-home"
    monkeypatch.setenv("SIGNOFF_HOME", str(home))
    monkeypatch.setenv("SIGNOFF_POLICY", str(no_holds(tmp_path / "policy-no-holds.yaml")))
    monkeypatch.setenv("SIGNOFF_SCHEDULER", "off")
    for name in list(os.environ):  # connector settings of the developer's shell stay out
        if name.startswith("SIGNOFF_") and name not in (
            "SIGNOFF_HOME",
            "SIGNOFF_POLICY",
            "SIGNOFF_SCHEDULER",
        ):
            monkeypatch.delenv(name, raising=False)
    yield home
    from ui.state import get_signoff

    get_signoff.clear()  # the next test gets a fresh runtime for its own home


@pytest.fixture
def app_model(monkeypatch: pytest.MonkeyPatch) -> ScriptedChatModel:
    """The model the app's runtime gets from the seam: scripted."""
    import graphs.model

    model = ScriptedChatModel()
    monkeypatch.setattr(graphs.model, "load_chat_model", lambda **_: model)
    return model


@pytest.fixture
def seeded(ui_home: Path) -> Iterator[Signoff]:
    """A runtime over the same home, with the scripted model, for seeding and checking."""
    runtime = Signoff(ui_home, model=ScriptedChatModel())
    yield runtime
    runtime.close()


@pytest.fixture
def hold_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ui_home: Path) -> Path:
    """The shipped policy with its hold windows (email 10 min), for the app and `seeded`."""
    path = write_policy(tmp_path / "policy-holds.yaml", send_email={"hold_seconds": 600})
    monkeypatch.setenv("SIGNOFF_POLICY", str(path))
    return path


@pytest.fixture(autouse=True)
def no_real_model_in_this_process() -> Iterator[None]:
    """A page test that drafts (a new campaign, a send-back) must give the app the scripted
    model (`app_model`): the real embedded model started inside the test process would stay up
    and be read by every later test as "this process's server" (graphs/model_status.py)."""
    from graphs import embedded

    before = embedded.current_server()
    yield
    started = embedded.current_server()
    if started is not None and started is not before and started.is_running:
        started.stop()
        pytest.fail("this test started the real embedded model: give it the `app_model` fixture")


@pytest.fixture(autouse=True)
def page_worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[PageWorker]:
    from streamlit.testing.v1 import AppTest

    worker = PageWorker()
    real_run = AppTest._run

    def run(self: AppTest, widget_state: object = None, timeout: float | None = None) -> AppTest:
        result = real_run(self, widget_state, timeout=timeout)  # type: ignore[arg-type]
        if worker.drain():
            result = self._tree.run(timeout=timeout)  # the page redraws with the run's result
        return result

    monkeypatch.setattr(AppTest, "_run", run)
    yield worker
    worker.close()
