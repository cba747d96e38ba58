"""Each action is drafted on its own branch: a draft reaches the inbox while the others are
still drafted, and progress tells each action's draft with its id and elapsed seconds."""

from __future__ import annotations

import time
from typing import Any

from fakes import ScriptedChatModel, default_answer
from pydantic import BaseModel

from graphs.runtime import Signoff

GUARD_S = 60.0  # only against a hang: the test never measures time


def test_a_ready_draft_is_in_the_inbox_while_another_is_drafted(home, brief):
    """The email's model call waits until the post is in the inbox (the runtime's own index).
    Drafted one after the other in one node, the post could not get there first: the email's
    call would give up and the campaign would fail."""
    seen: dict[str, Any] = {}
    runtime: Signoff

    def email_after_post(schema: type[BaseModel], prompt: str) -> dict[str, Any]:
        deadline = time.monotonic() + GUARD_S
        while time.monotonic() < deadline:
            waiting = [p["action"] for p in runtime.pending()]
            if "publish_post" in waiting:
                seen["inbox_while_email_drafted"] = waiting
                return default_answer(schema, prompt)
            time.sleep(0.05)
        raise RuntimeError("the post never reached the inbox while the email was drafted")

    email_after_post.schemas = ("EmailDraft",)  # type: ignore[attr-defined]  # the post: default
    model = ScriptedChatModel(script=[email_after_post])
    with Signoff(home, model=model) as runtime:
        result = runtime.start(brief)
        assert seen["inbox_while_email_drafted"] == ["publish_post"]
        assert sorted(p["action"] for p in result["pending"]) == ["publish_post", "send_email"]
        # the campaign's record has both first drafts, waiting at their gates
        actions = runtime.campaign(result["thread_id"])["actions"]
        assert sorted(a["id"] for a in actions) == ["email-1", "post-1"]
        assert all(a["args"] for a in actions)


def test_progress_events_name_each_action_and_its_elapsed_seconds(home, brief):
    model = ScriptedChatModel()
    with Signoff(home, model=model) as runtime:
        payload = {
            "brief": {**brief, "to": "customers@example.com"},
            "evidence": [],
            "actions": [],
            "outcomes": [],
        }
        events = []
        config = {"configurable": {"thread_id": "progress-1"}}
        for _ns, mode, chunk in runtime.graph.stream(
            payload,
            config,
            context=runtime.context,
            stream_mode=["custom", "updates"],
            subgraphs=True,
        ):
            if mode == "custom":
                events.append(chunk)
    per_action = [e for e in events if "action_id" in e]
    assert {e["action_id"] for e in per_action} == {"email-1", "post-1"}
    for action_id, label in (("email-1", "email"), ("post-1", "social post")):
        mine = [e for e in per_action if e["action_id"] == action_id]
        assert [e["message"].split(" ", 2)[:2] for e in mine] == [
            ["Drafting", "the"],
            ["Drafted", "the"],
        ]
        assert label in mine[0]["message"] and mine[0]["message"].endswith(" s)")
        assert all(e["step"] == "writer" and e["elapsed_s"] >= 0 for e in mine)
        assert mine[1]["elapsed_s"] >= mine[0]["elapsed_s"]
    # the plan is announced once, before any draft
    assert events[0]["message"].startswith("Drafting the social post and the email")
