"""Shared fixtures: a temporary data directory, the scripted model, connectors that count."""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fakes import ScriptedChatModel  # noqa: E402
from policy_support import no_holds  # noqa: E402

from graphs.runtime import Signoff  # noqa: E402
from tools import registry  # noqa: E402

BRIEF = {
    "product": "Brightloop 2 smart thermostat",
    "audience": "homeowners with high heating bills",
    "goal": "pre-orders before winter",
}


@pytest.fixture
def brief() -> dict[str, str]:
    return dict(BRIEF)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data directory. Its policy is the shipped one without holds, so an approval
    executes at once (the hold tests pass their own policy)."""
    path = tmp_path / "signoff-home"
    monkeypatch.setenv("SIGNOFF_HOME", str(path))
    monkeypatch.setenv("SIGNOFF_POLICY", str(no_holds(tmp_path / "policy-no-holds.yaml")))
    monkeypatch.delenv("SIGNOFF_SMTP_URL", raising=False)
    for name in list(os.environ):  # connector settings of the developer's shell stay out
        if name.startswith("SIGNOFF_") and name not in ("SIGNOFF_HOME", "SIGNOFF_POLICY"):
            monkeypatch.delenv(name, raising=False)
    return path


@pytest.fixture
def model() -> ScriptedChatModel:
    return ScriptedChatModel()


@pytest.fixture
def signoff(
    home: Path, model: ScriptedChatModel, request: pytest.FixtureRequest
) -> Iterator[Signoff]:
    if "database" in request.fixturenames:  # a test on both databases: pick this one first
        request.getfixturevalue("database")
    runtime = Signoff(home, model=model)
    yield runtime
    runtime.close()


@pytest.fixture
def connector_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Every real connector call, recorded (the connectors still deliver for real)."""
    calls: list[tuple[str, dict[str, Any]]] = []
    for name, tool in list(registry.TOOLS.items()):

        def run(call: Any, _tool: Any = tool) -> dict[str, Any]:
            calls.append((_tool.name, dict(call.args)))
            return _tool.run(call)

        monkeypatch.setitem(registry.TOOLS, name, dataclasses.replace(tool, run=run))
    return calls


@pytest.fixture
def cli_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The data directory of `home`, with the CLI's user set (decisions are by "tester")."""
    monkeypatch.setenv("SIGNOFF_USER", "tester")
    return home


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch) -> list[ScriptedChatModel]:
    """Patch the one model seam (the CLI builds its own model); the list holds every model the
    code asked for."""
    import graphs.model

    made: list[ScriptedChatModel] = []

    def load_chat_model(**kw: Any) -> ScriptedChatModel:
        made.append(ScriptedChatModel())
        return made[-1]

    monkeypatch.setattr(graphs.model, "load_chat_model", load_chat_model)
    return made


@pytest.fixture(scope="session")
def postgres() -> Iterator[Any]:
    """The throwaway PostgreSQL cluster (tests/pg_cluster.py); fails when it cannot start."""
    from pg_cluster import Cluster

    cluster = Cluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, home: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test on each database: SQLite in `home`, or a fresh schema of the test cluster
    through SIGNOFF_DATABASE_URL. Returns "sqlite" or the PostgreSQL URL."""
    if request.param == "sqlite":
        return "sqlite"
    url: str = request.getfixturevalue("postgres").new_schema()
    monkeypatch.setenv("SIGNOFF_DATABASE_URL", url)
    return url
