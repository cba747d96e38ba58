"""The campaign graph's whole topology.

START ─► researcher ─► writer ══Send per action══► review ─► END
                                                    │
                      review (one per action):  gate ─approve/edit─► publisher
                                                 ▲ │
                                      revise ─► writer   reject ─► END
"""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from typing_extensions import TypedDict

from graphs.gate import gate
from graphs.publisher import publisher
from graphs.researcher import researcher
from graphs.state import ActionState, CampaignState, Context, Outcome
from graphs.writer import redraft, writer


class ReviewOutput(TypedDict):
    outcomes: list[Outcome]


def build_review_graph() -> CompiledStateGraph[Any, Any, Any, Any]:
    """One action's review: pauses at the gate; runs its publisher as soon as it is approved."""
    builder = StateGraph(ActionState, context_schema=Context, output_schema=ReviewOutput)
    builder.add_node("gate", gate)
    builder.add_node("writer", redraft)
    builder.add_node("publisher", publisher)
    builder.add_edge(START, "gate")
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
    return builder.compile(checkpointer=checkpointer, name="campaign")


# For LangGraph Studio / `langgraph dev` (it brings its own checkpointer).
graph = build_graph()
