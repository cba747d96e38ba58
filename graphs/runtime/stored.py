"""A campaign read from what is stored, without building the graph.

Building the campaign graph imports the writer and the model's client (seconds on a page's first
render); a page that only shows a campaign (its values, its proposed actions, a draft's checks)
reads the checkpoints instead:

- the campaign's values: the channel values of its last checkpoint with the writes of the
  branches that already finished in its step (a rejected email's outcome while the post still
  waits), through the state's own reducers, as `get_state` shows them; for a pruned campaign,
  the copy the audit kept (graphs/retention.py);
- the actions of the branches still waiting (at the gate, or on hold): each waiting branch wrote
  its interrupt into the campaign's last checkpoint, and keeps its own checkpoints under the
  namespace `<node>:<task id>` (the node is the one the campaign sent the branch to). This is
  what `graph.get_state(config, subgraphs=True)` reads for them (graphs/branches.py).

A branch still drafting (no interrupt yet) is not listed until it reaches its gate.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, get_type_hints

from graphs import retention
from graphs.state import CampaignState, ProposedAction, merge_actions

INTERRUPT = "__interrupt__"  # the channel a task's interrupt is written to
SENDS = "__pregel_tasks"  # the channel holding the campaign's Send()s to its branches


@cache
def _reducers() -> dict[str, Callable[[Any, Any], Any]]:
    """The campaign state's reducers by channel (`Annotated[list[...], reducer]`)."""
    hints = get_type_hints(CampaignState, include_extras=True)
    return {k: h.__metadata__[0] for k, h in hints.items() if getattr(h, "__metadata__", None)}


def _config(thread_id: str, ns: str = "") -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id, "checkpoint_ns": ns}}


def last_checkpoint(checkpointer: Any, thread_id: str) -> Any:
    """The campaign's last checkpoint (a CheckpointTuple), or None."""
    return checkpointer.get_tuple({"configurable": {"thread_id": thread_id}})


def stored_values(
    checkpointer: Any, store: Any, thread_id: str, saved: Any = None
) -> dict[str, Any]:
    """The campaign's state values as last saved (a pruned campaign: the audit's copy)."""
    saved = saved if saved is not None else last_checkpoint(checkpointer, thread_id)
    values = dict(saved.checkpoint.get("channel_values") or {}) if saved else {}
    values.pop(SENDS, None)
    reducers = _reducers()
    for _task, channel, value in saved.pending_writes or () if saved else ():
        if channel.startswith("__") or ":" in channel:  # interrupts, resumes, errors, branches
            continue
        reduce = reducers.get(channel)
        values[channel] = reduce(values.get(channel) or [], value) if reduce else value
    return values or retention.kept_values(store, thread_id)


def next_branches(checkpointer: Any, thread_id: str) -> tuple[str, ...] | None:
    """What `graph.get_state(config).next` says for a campaign whose writer sent its actions to
    their branches, read from its last checkpoint without building the graph: one name per
    branch task that has not finished (no output written; a branch waiting at an interrupt has
    not), e.g. ("review",). () when no branch is pending (the writer's Send()s stay in the
    checkpoint until the step that runs them ends). With branches of several kinds (an
    audience's batch beside a post's review) a finished branch's kind is read from the
    namespace its own checkpoints are under (`<node>:<task id>`): the same names as `next`,
    in the writer's order by kind; None when a finished branch left no checkpoint to tell."""
    from langgraph.pregel._task_status import read_task_statuses  # LangGraph's own reading

    saved = last_checkpoint(checkpointer, thread_id)
    if saved is None:
        return ()
    sends = saved.checkpoint.get("channel_values", {}).get(SENDS) or []
    nodes = [str(getattr(s, "node", "")) for s in sends]
    statuses = read_task_statuses(saved.pending_writes or ())
    finished = [task_id for task_id, status in statuses.items() if status.output]
    if len(set(nodes)) <= 1:
        return tuple(nodes[: max(0, len(nodes) - len(finished))])
    left = list(nodes)
    for task_id in finished:  # which kind of branch it was: where its checkpoints are
        kind = next(
            (
                node
                for node in dict.fromkeys(left)
                if checkpointer.get_tuple(_config(thread_id, f"{node}:{task_id}")) is not None
            ),
            None,
        )
        if kind is None:
            return None
        del left[len(left) - 1 - left[::-1].index(kind)]  # its kind's last: one fewer left
    return tuple(left)


def waiting_branches(checkpointer: Any, thread_id: str, saved: Any) -> list[tuple[str, Any]]:
    """(node, values) of each branch waiting at its gate or hold, in the order their interrupts
    were saved: the branch's last saved state, as `get_state(subgraphs=True)`'s tasks show it."""
    if saved is None:
        return []
    sends = saved.checkpoint.get("channel_values", {}).get(SENDS) or []
    nodes = list(
        dict.fromkeys(str(getattr(s, "node", "")) for s in sends if getattr(s, "node", ""))
    )
    tasks = list(dict.fromkeys(w[0] for w in saved.pending_writes or () if w[1] == INTERRUPT))
    found: list[tuple[str, Any]] = []
    for task_id in tasks:
        for node in nodes:
            branch = checkpointer.get_tuple(_config(thread_id, f"{node}:{task_id}"))
            if branch is not None:
                found.append((node, branch.checkpoint.get("channel_values") or {}))
                break
    return found


def waiting_branch_actions(checkpointer: Any, thread_id: str, saved: Any) -> list[ProposedAction]:
    """The proposed actions of the branches waiting at their gate or hold, in the order their
    interrupts were saved."""
    found: list[ProposedAction] = []
    for _node, values in waiting_branches(checkpointer, thread_id, saved):
        found = merge_actions(found, list(values.get("actions") or []))
    return found


def stored_campaign(
    checkpointer: Any, store: Any, thread_id: str
) -> tuple[dict[str, Any], list[ProposedAction]]:
    """(values, actions): the campaign's values and its proposed actions (those its finished
    branches reported, then those of the branches still waiting), from the checkpoints."""
    saved = last_checkpoint(checkpointer, thread_id)
    values = stored_values(checkpointer, store, thread_id, saved)
    done = list(values.get("actions") or [])
    return values, merge_actions(done, waiting_branch_actions(checkpointer, thread_id, saved))
