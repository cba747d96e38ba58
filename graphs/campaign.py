"""The campaign graph's whole topology.

START ─► researcher ─► writer ══Send per action══► review ─► END

review (one per proposed action):

    assess ─review─► gate ─approve/edit─► hold? ─release/send now─► publisher
      │  ▲             │ │                  └─cancel─► END
      │  └── writer ◄──┘ └─reject/expire─► END
      │     (revise)
      ├─auto/notify──► hold? ─► publisher
      └─skip (daily limit)──► END
"""

from __future__ import annotations

from typing import Any

from langgraph._internal._constants import CONFIG_KEY_STRICT_RESUME
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from typing_extensions import TypedDict

from graphs.assess import assess
from graphs.gate import gate
from graphs.hold import hold
from graphs.publisher import publisher
from graphs.researcher import researcher
from graphs.state import ActionState, CampaignState, Context, Outcome
from graphs.writer import redraft, writer


class ReviewOutput(TypedDict):
    outcomes: list[Outcome]


def build_review_graph() -> CompiledStateGraph[Any, Any, Any, Any]:
    """One action's review: routed by the policy; runs as soon as it may, on its own."""
    builder = StateGraph(ActionState, context_schema=Context, output_schema=ReviewOutput)
    builder.add_node("assess", assess)
    builder.add_node("gate", gate)
    builder.add_node("writer", redraft)
    builder.add_node("hold", hold)
    builder.add_node("publisher", publisher)
    builder.add_edge(START, "assess")
    builder.add_edge("publisher", END)
    return builder.compile()


def build_graph(checkpointer: Any = None) -> CompiledStateGraph[Any, Any, Any, Any]:
    """The campaign graph. Pass a checkpointer (SqliteSaver, PostgresSaver) to pause and resume."""
    builder = StateGraph(CampaignState, context_schema=Context)
    builder.add_node("researcher", researcher)
    builder.add_node("writer", writer)
    builder.add_node("review", build_review_graph())
    builder.add_edge(START, "researcher")
    builder.add_edge("researcher", "writer")
    builder.add_edge("review", END)
    compiled = builder.compile(checkpointer=checkpointer, name="campaign")
    # Strict resume: a decision on an interrupt that is no longer pending (already answered)
    # is refused with UnknownInterruptError before anything is written, under any driver.
    return compiled.with_config(configurable={CONFIG_KEY_STRICT_RESUME: True})


# For LangGraph Studio / `langgraph dev` (it brings its own checkpointer).
graph = build_graph()
