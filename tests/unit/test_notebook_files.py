"""Committed notebooks: valid, outputs cleared, and they import the packages instead of defining them."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks() -> None:
    assert [p.name for p in NOTEBOOKS if p.name == "01_quickstart.ipynb"]
    assert all(p.name[:2].isdigit() and p.name[2] == "_" for p in NOTEBOOKS), (
        "name them NN_topic.ipynb"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_clean(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert cell.outputs == [] and cell.execution_count is None, (
            "clear the outputs before committing"
        )
        tree = ast.parse(cell.source)
        defined = [n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef)]
        assert not defined, f"notebooks import the packages, never define them: {defined}"
    imports = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "from graphs" in imports
