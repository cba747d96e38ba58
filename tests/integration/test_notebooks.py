"""Notebooks run top to bottom in a real kernel from the project's environment, real model included."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture
def venv_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A `python3` kernelspec that resolves to this interpreter (the project's venv under uv)."""
    spec_dir = tmp_path / "jupyter" / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (Signoff venv)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))  # searched before user/system
    assert KernelSpecManager().get_kernel_spec("python3").argv[0] == sys.executable
    return "python3"


def outputs_text(nb: nbformat.NotebookNode) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                parts.append(out["text"])
            parts.extend(str(v) for k, v in out.get("data", {}).items() if k == "text/plain")
    return "\n".join(parts)


@pytest.mark.timeout(2400)
def test_quickstart_runs_and_sends_the_email(
    venv_kernel: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SIGNOFF_MODEL", "SIGNOFF_SMTP_URL"):
        monkeypatch.delenv(var, raising=False)  # the embedded model, the Maildir
    nb = nbformat.read(ROOT / "notebooks" / "01_quickstart.ipynb", as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=venv_kernel,
        timeout=1200,  # per cell: drafting on a busy 2-core machine is slow
        resources={"metadata": {"path": str(tmp_path)}},  # the packages come from the venv, not cwd
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    text = outputs_text(nb)
    assert "send_email: executed" in text  # the outcome line of the approved email
    assert "publish_post: rejected" in text
    assert "Subject:" in text and "/maildir/new/" in text


@pytest.mark.timeout(600)
def test_oversight_notebook_replays_and_plots(venv_kernel: str, tmp_path: Path) -> None:
    nb = nbformat.read(ROOT / "notebooks" / "03_oversight.ipynb", as_version=4)
    client = NotebookClient(
        nb, kernel_name=venv_kernel, timeout=300, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    text = outputs_text(nb)
    assert "'policy': 'shipped policy'" in text and "'policy': 'candidate (60 % bound)'" in text
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    # the plot of reviews saved against risk let through (an image with the inline backend)
    assert len(images) == 1 or "<Figure size" in text


@pytest.mark.timeout(2400)
def test_drafts_notebook_runs_a_slice_and_plots_the_scores(
    venv_kernel: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SIGNOFF_MODEL", "SIGNOFF_SMTP_URL"):
        monkeypatch.delenv(var, raising=False)  # the embedded model
    monkeypatch.setenv("SIGNOFF_NOTEBOOK_PRODUCTS", "1")
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend draws
    nb = nbformat.read(ROOT / "notebooks" / "02_drafts.ipynb", as_version=4)
    client = NotebookClient(
        nb, kernel_name=venv_kernel, timeout=1800, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    text = outputs_text(nb)
    assert "| model | campaigns | drafts | send-ready |" in text
    assert "as the reviewer sees it" in text or "no email was drafted" in text
    assert "sentences_holdout" in text and "precision" in text
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert images or "<Figure" in text  # the scores were plotted
