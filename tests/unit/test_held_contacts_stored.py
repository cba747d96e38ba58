"""An audience's contacts in its hold are read from the stored checkpoints (the audience, and
the batch's decision with the contacts' own rejections), as `graph.get_state(subgraphs=True)`
shows them, without building the graph; a page of them at a time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fakes import ScriptedChatModel
from policy_support import write_policy

from graphs.batch import TEMPLATE_ID
from graphs.runtime import Signoff

CONTACTS = [{"email": f"p{i}@example.com", "name": f"Pat{i} Lee"} for i in range(1, 8)]


def _from_the_graph(runtime: Signoff, thread_id: str) -> tuple[list[Any], dict[str, Any]]:
    """What the Scheduled page read before: the graph's own view of the held audience."""
    snap = runtime.graph.get_state(runtime._config(thread_id), subgraphs=True)
    [batch] = [t for t in snap.tasks if t.name == "batch"]
    return list(snap.values["audience"]), dict(batch.state.values["decision"])


@pytest.mark.usefixtures("database")
def test_a_held_audience_s_contacts_come_from_the_checkpoints(
    home: Path, brief: dict[str, str], tmp_path: Path
) -> None:
    policy = write_policy(tmp_path / "holds.yaml", send_email={"hold_seconds": 600})
    with Signoff(home, model=ScriptedChatModel(), policy_path=policy) as runtime:
        thread = runtime.start({**brief, "channels": ["email"]}, audience=CONTACTS)["thread_id"]
        [fourth] = [p for p in runtime.pending(thread) if p["action_id"] == "email-4"]
        runtime.decide(fourth["id"], {"type": "reject", "reason": "Not this one"})
        runtime.decide_batch(thread, "audience", {"type": "approve"}, checked=True)
        [hold] = runtime.holds()
        assert hold["action_id"] == TEMPLATE_ID
        runtime.cancel_contact(f"{hold['id']}-2", by="ann", reason="Unsubscribed by phone")
        assert runtime._held_state(thread) == _from_the_graph(runtime, thread)
    with Signoff(home, model=ScriptedChatModel(), policy_path=policy) as page:
        listed = page.hold_contacts(hold["id"], offset=2, limit=2)
        assert (listed["total"], listed["held"], listed["taken_out"]) == (6, 5, 1)
        assert listed["matching"] == 6
        assert [c["number"] for c in listed["contacts"]] == [3, 5]  # 4 was rejected on its own
        first = page.hold_contacts(hold["id"], limit=2)["contacts"]
        assert [(c["number"], c["status"], c["by"]) for c in first] == [
            (1, "held", None),
            (2, "taken_out", "ann"),
        ]
        found = page.hold_contacts(hold["id"], search="pat7")
        assert found["matching"] == 1 and found["contacts"][0]["email"] == "p7@example.com"
        assert found["total"] == 6
        page.cancel_contact(f"{hold['id']}-5", by="bob")
        assert page.hold_contacts(hold["id"])["taken_out"] == 2
        assert "graph" not in vars(page)  # a cached_property, never built
