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


def _built(runtime_home: str) -> bool:
    from ui.state import get_signoff

    return "graph" in vars(get_signoff(runtime_home))


def test_the_campaign_page_reads_the_campaign_without_building_the_graph(
    ui_home: Path, seeded: Signoff
) -> None:
    from ui.state import home_path

    thread = seeded.start(dict(BRIEF))["thread_id"]
    post = next(p for p in seeded.pending(thread) if p["action"] == "publish_post")
    seeded.decide(post["id"], {"type": "reject", "reason": "Off-brand", "comment": ""})
    at = open_app("views/campaign.py", thread=thread)
    assert not at.exception
    assert not _built(home_path())
    # what the graph's state says, read from the checkpoints: both drafts, the post's outcome
    # (its branch finished while the email's still waits), the evidence
    journey = at.get("graphviz_chart")[0].proto.spec
    assert "email-1" in journey and "post-1" in journey and "Rejected" in journey
    assert {m.label: m.value for m in at.metric}["Rejected"] == "1"
    assert "Research evidence (6 passages)" in [e.label for e in at.expander]
    at.toggle(key="campaign-draw-graph").set_value(True).run()  # the agent's graph, on request
    assert not at.exception and _built(home_path())


def test_an_audience_approved_in_the_inbox_is_reported_without_building_the_graph(
    ui_home: Path, seeded: Signoff
) -> None:
    from ui.state import home_path

    contacts = [{"email": f"{n}@example.com", "name": n.title()} for n in ("ann", "bob")]
    thread = seeded.start({**BRIEF, "channels": ["email"]}, audience=contacts)["thread_id"]
    at = open_app("views/inbox.py")
    at.button(key=f"batch-approve-{thread[:8]}-audience").click().run()
    assert not at.exception
    assert "2 actions went out" in " ".join(str(s.value) for s in at.success)
    assert not _built(home_path())
