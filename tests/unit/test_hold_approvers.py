"""Each held action names the person who approved it, read for all holds at once."""

from __future__ import annotations

from policy_support import Clock

from graphs.policy import DEFAULT_POLICY
from graphs.runtime import Signoff


def test_each_hold_names_its_own_approver_across_campaigns(home, model, brief):
    """Two campaigns hold an action with the same id; each names the person who approved it
    in its own campaign."""
    with Signoff(home, model=model, policy_path=DEFAULT_POLICY, clock=Clock()) as held:
        first = held.start(brief)
        second = held.start(brief)
        email = {
            t["thread_id"]: next(p for p in t["pending"] if p["action"] == "send_email")
            for t in (first, second)
        }
        assert email[first["thread_id"]]["action_id"] == email[second["thread_id"]]["action_id"]
        held.decide(email[first["thread_id"]]["id"], {"type": "approve"}, by="ann")
        held.decide(email[second["thread_id"]]["id"], {"type": "approve"}, by="bob")

        by_thread = {h["thread_id"]: h["approved_by"] for h in held.holds()}
        assert by_thread == {first["thread_id"]: "ann", second["thread_id"]: "bob"}
