"""Fixtures for tests that use the real embedded model."""

from __future__ import annotations

import pytest

MODEL_ENV = ("SIGNOFF_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "SIGNOFF_MODEL_CACHE")


@pytest.fixture
def embedded_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No model configuration in the environment: the seam picks the embedded default."""
    for var in MODEL_ENV:
        monkeypatch.delenv(var, raising=False)
    return monkeypatch
