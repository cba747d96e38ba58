"""The first page renders sooner: `import ui.state` does not import the runtime (LangGraph,
storage, connectors: 2–6 s measured), and an Inbox card does not build the campaign graph
(the writer and the model's client: seconds more) to check its sentences."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ui_support import BRIEF, open_app

from graphs.runtime import Signoff

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_page_helpers_leaves_the_runtime_for_later() -> None:
    probe = (
        "import sys, ui.state, ui.components.item_link, ui.views.inbox_card; "
        "heavy = sorted(m for m in ('graphs.runtime', 'langgraph', 'langchain_core', 'openai') "
        "if m in sys.modules); print(','.join(heavy))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "", done.stdout


def test_an_inbox_card_does_not_build_the_graph(ui_home: Path, seeded: Signoff) -> None:
    seeded.start(dict(BRIEF))
    at = open_app("views/inbox.py")
    assert not at.exception
    assert "Facts, sentence by sentence" in " ".join(str(m.value) for m in at.markdown)
    from ui.state import get_signoff, home_path

    assert "graph" not in vars(get_signoff(home_path()))  # a cached_property, never built
