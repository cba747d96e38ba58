"""graphs/runtime/stored.py reads a campaign from its checkpoints as `graph.get_state` shows it
(values, and the proposed actions of the branches still waiting), in every state a page shows:
waiting, one branch finished while the other waits (rejected, sent back and redrafted), held,
an audience approved and held, done, stopped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fakes import ScriptedChatModel
from policy_support import write_policy

from graphs.branches import campaign_actions
from graphs.errors import RunStopped
from graphs.runtime import Signoff
from graphs.runtime.stored import stored_campaign

CONTACTS = [{"email": f"{n}@example.com", "name": n.title()} for n in ("ann", "bob", "cy")]


def _same(runtime: Signoff, thread_id: str) -> None:
    config = runtime._config(thread_id)
    values = runtime.graph.get_state(config).values
    actions = campaign_actions(runtime.graph, config, values)
    stored_values, stored_actions = stored_campaign(runtime.checkpointer, runtime.store, thread_id)
    for key in ("brief", "evidence", "outcomes", "audience", "brand"):
        assert stored_values.get(key) == values.get(key), key
    assert sorted(map(repr, stored_actions)) == sorted(map(repr, actions))


def test_the_stored_campaign_is_what_the_graph_shows(
    home: Path, brief: dict[str, str], tmp_path: Path
) -> None:
    policy = write_policy(tmp_path / "holds.yaml", send_email={"hold_seconds": 600})
    with Signoff(home, model=ScriptedChatModel(), policy_path=policy) as runtime:

        def started(**kw: Any) -> tuple[str, dict[str, Any]]:
            result = runtime.start(dict(brief), **kw)
            return result["thread_id"], {p["action"]: p for p in result["pending"]}

        waiting, _ = started()
        held, p = started()
        runtime.decide(p["send_email"]["id"], {"type": "approve"})
        runtime.decide(p["publish_post"]["id"], {"type": "approve", "checked": True})
        mixed, p = started()
        runtime.decide(p["send_email"]["id"], {"type": "reject", "reason": "Off-brand"})
        runtime.decide(p["publish_post"]["id"], {"type": "revise", "feedback": "Shorter."})
        audience, _ = started(audience=CONTACTS)
        runtime.decide_batch(audience, "audience", {"type": "approve"}, checked=True)
        done, p = started()
        for item in p.values():
            runtime.decide(item["id"], {"type": "reject", "reason": "Off-brand"})
        assert runtime.store.campaign(done)["status"] == "done"
        assert any(h["thread_id"] == audience for h in runtime.holds())
        for thread_id in (waiting, held, mixed, audience, done):
            _same(runtime, thread_id)

        def timed_out(schema: Any, prompt: str) -> dict[str, Any]:
            raise TimeoutError("Request timed out.")

        runtime.context.model = ScriptedChatModel(script=[timed_out])
        with pytest.raises(RunStopped):
            runtime.start(dict(brief))
        stopped = next(c["thread_id"] for c in runtime.campaigns() if c["status"] == "error")
        _same(runtime, stopped)
