"""The campaign's proposed actions while its branches still run or wait.

Each action is drafted on its own branch (graphs/campaign.py) and reports its first draft to the
campaign's state when the branch ends; until then the draft sits in the branch's own state. This
reads both, in the order the writer planned them.
"""

from __future__ import annotations

from typing import Any

from graphs.state import ProposedAction, merge_actions


def _branch_actions(snapshot: Any) -> list[ProposedAction]:
    found: list[ProposedAction] = []
    for task in getattr(snapshot, "tasks", ()) or ():
        state = getattr(task, "state", None)
        values = getattr(state, "values", None)
        if not isinstance(values, dict):
            continue
        found = merge_actions(found, list(values.get("actions") or []))
        found = merge_actions(found, _branch_actions(state))
    return found


def campaign_actions(graph: Any, config: Any, values: dict[str, Any]) -> list[ProposedAction]:
    """The campaign's first drafts: those its finished branches reported, then those of the
    branches still waiting (drafted, at the gate or on hold)."""
    done = list(values.get("actions") or [])
    snapshot = graph.get_state(config, subgraphs=True)
    return merge_actions(done, _branch_actions(snapshot))
