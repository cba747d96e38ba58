"""Fixtures for tests that use the real embedded model."""

from __future__ import annotations

import pytest

MODEL_ENV = ("SIGNOFF_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "SIGNOFF_MODEL_CACHE")


@pytest.fixture
def embedded_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> pytest.MonkeyPatch:
    """No model configuration in the environment: the seam picks the embedded default (the real
    weights on their default path). The shared server's record goes to a folder of the test's
    own, so a server the developer is running (`make run`) is neither joined nor stopped."""
    for var in MODEL_ENV:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SIGNOFF_MODEL_SHARE_DIR", str(tmp_path_factory.mktemp("model-share")))
    return monkeypatch
