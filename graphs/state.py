"""Graph state and per-run context.

State is a `TypedDict` with explicit reducers. Big artefacts (documents, pages) stay out of it:
the checkpointer stores the whole state in every checkpoint.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Annotated, Any, NotRequired

from typing_extensions import TypedDict


class Brief(TypedDict):
    """What the marketer asks for."""

    product: str
    audience: str
    goal: str
    to: str  # who the campaign email goes to; never chosen by the model


class Evidence(TypedDict):
    """One passage the researcher found: a short quote and where it comes from."""

    id: str  # "E1", "E2", ... cited inline as [1], [2]
    source: str  # file name inside the knowledge base
    location: str  # heading inside the file
    quote: str


class Claim(TypedDict):
    text: str
    evidence_ids: list[str]


class ProposedAction(TypedDict):
    """An outbound action the writer proposes; nothing runs until the gate lets it."""

    id: str  # stable within the campaign: "email-1", "post-1"
    name: str  # tool name, e.g. "send_email", "publish_post"
    channel: str  # "email" | "social"
    args: dict[str, Any]
    claims: list[Claim]
    confidence: float  # the writer's self-rating, 0..1
    revision: int  # 0 for the first draft, +1 per send-back


class Outcome(TypedDict):
    """What finally happened to one proposed action."""

    action_id: str
    name: str
    status: str  # "executed" | "rejected" | "failed" | "in_doubt"
    detail: dict[str, Any]


class CampaignState(TypedDict):
    brief: Brief
    evidence: list[Evidence]
    actions: list[ProposedAction]
    outcomes: Annotated[list[Outcome], operator.add]


class ActionState(TypedDict):
    """State of the per-action review subgraph (gate ⇄ writer → publisher)."""

    brief: Brief
    evidence: list[Evidence]
    action: ProposedAction
    decision: NotRequired[dict[str, Any]]  # the validated human decision, JSON form
    feedback: NotRequired[list[str]]  # send-back notes, oldest first
    outcomes: Annotated[list[Outcome], operator.add]


@dataclass
class Context:
    """Per-run settings (LangGraph `context_schema`).

    `model` and `executor` are left empty in production: the writer then asks the one model seam
    (`graphs.model.load_chat_model`) and the publisher builds an executor for `SIGNOFF_HOME`.
    Tests inject a scripted chat model and an executor over a temporary database.
    """

    model: Any = None
    executor: Any = None
    min_confidence: float = 0.5
    max_revisions: int = 3
