"""The campaign graph's whole topology.

START ─► researcher ─► writer ══Send per channel══► review ─► END
                                 ╚═Send an audience's email═► batch ─► END

review (one per action, each on its own: its draft reaches the gate while others are drafted):

    draft ─review─► gate ─approve/edit─► hold? ─release/send now─► publisher
    (first  │  ▲      │ │                  └─cancel─► END
     draft, │  └ writer ◄┘ └─reject/expire─► END
     AI     │  (revise: the redraft, then assess)
     review,├─auto/notify──► hold? ─► publisher
     assess)└─skip (daily limit)──► END

`assess` (the policy's route, graphs/assess.py) runs in the same step as the draft or the redraft
it routes (`then_assess`): the draft and its route are checkpointed together, before the gate.

batch (an audience's email, graphs/batch.py): the template drafted once, ONE review for the
whole audience (per-contact exceptions in its decision), one hold, then one send per contact:

    draft ─► assess ─► gate ─approve/edit─► hold? ─► publisher (each contact, via the outbox)
"""

from __future__ import annotations

from typing import Any

from langgraph._internal._constants import CONFIG_KEY_STRICT_RESUME
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from typing_extensions import TypedDict

from graphs.assess import assess, then_assess
from graphs.batch import batch_gate, batch_hold, batch_publisher
from graphs.gate import gate
from graphs.hold import hold
from graphs.publisher import publisher
from graphs.researcher import researcher
from graphs.state import ActionState, CampaignState, Context, Outcome, ProposedAction
from graphs.writer import draft, draft_batch, redraft, writer


class ReviewOutput(TypedDict):
    outcomes: list[Outcome]
    actions: list[ProposedAction]  # the branch's first drafts, for the campaign's record


def build_review_graph() -> CompiledStateGraph[Any, Any, Any, Any]:
    """One action's branch: drafted and reviewed by the AI (when it has no draft yet), routed
    by the policy; it runs as soon as it may, on its own."""
    builder = StateGraph(ActionState, context_schema=Context, output_schema=ReviewOutput)
    builder.add_node("draft", then_assess(draft, "draft"))
    builder.add_node("gate", gate)
    builder.add_node("writer", then_assess(redraft, "redraft"))
    builder.add_node("hold", hold)
    builder.add_node("publisher", publisher)
    builder.add_edge(START, "draft")
    builder.add_edge("publisher", END)
    return builder.compile()


def build_batch_graph() -> CompiledStateGraph[Any, Any, Any, Any]:
    """An audience's email (graphs/batch.py): drafted once, one review and one hold for the
    whole audience, then one send per contact."""
    builder = StateGraph(ActionState, context_schema=Context, output_schema=ReviewOutput)
    builder.add_node("draft", draft_batch)
    builder.add_node("assess", assess)
    builder.add_node("gate", batch_gate)
    builder.add_node("writer", redraft)
    builder.add_node("hold", batch_hold)
    builder.add_node("publisher", batch_publisher)
    builder.add_edge(START, "draft")
    builder.add_edge("publisher", END)
    return builder.compile()


def build_graph(checkpointer: Any = None) -> CompiledStateGraph[Any, Any, Any, Any]:
    """The campaign graph. Pass a checkpointer (SqliteSaver, PostgresSaver) to pause and resume."""
    builder = StateGraph(CampaignState, context_schema=Context)
    builder.add_node("researcher", researcher)
    builder.add_node("writer", writer)
    review = build_review_graph()
    builder.add_node("review", review)
    builder.add_node("batch", build_batch_graph())
    builder.add_edge(START, "researcher")
    builder.add_edge("researcher", "writer")
    builder.add_edge("review", END)
    builder.add_edge("batch", END)
    compiled = builder.compile(checkpointer=checkpointer, name="campaign")
    # Strict resume: a decision on an interrupt that is no longer pending (already answered)
    # is refused with UnknownInterruptError before anything is written, under any driver.
    return compiled.with_config(configurable={CONFIG_KEY_STRICT_RESUME: True})


# For LangGraph Studio / `langgraph dev` (it brings its own checkpointer).
graph = build_graph()
