"""`graphs`, `tools` and `ui` are generic names: make sure ours are the ones imported."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "module",
    [
        "graphs.campaign",
        "graphs.runtime",
        "graphs.model",
        "tools.registry",
        "tools.email",
        "ui.cli",
    ],
)
def test_project_packages_are_the_ones_imported(module):
    mod = importlib.import_module(module)
    assert Path(mod.__file__).resolve().is_relative_to(ROOT), mod.__file__


def test_studio_graph_is_exported():
    import json

    spec = json.loads((ROOT / "langgraph.json").read_text())
    path, _, attr = spec["graphs"]["campaign"].partition(":")
    assert path == "./graphs/campaign.py"
    graph = getattr(importlib.import_module("graphs.campaign"), attr)
    assert {"researcher", "writer", "review"} <= set(graph.get_graph().nodes)
