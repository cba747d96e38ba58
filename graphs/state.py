"""Graph state and per-run context.

State is a `TypedDict` with explicit reducers. Big artefacts (documents, pages) stay out of it:
the checkpointer stores the whole state in every checkpoint.
"""

from __future__ import annotations

import operator
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, NotRequired

from typing_extensions import TypedDict


class Brief(TypedDict):
    """What the marketer asks for."""

    product: str
    audience: str
    goal: str
    to: str  # who the campaign email goes to; never chosen by the model
    channels: NotRequired[list[str]]  # subset of email, social, cms, ads; default email+social
    ad_budget: NotRequired[float]  # the ad spend to propose (channel "ads"), in policy currency
    engage: NotRequired[list[str]]  # post URLs to like, @handles to follow: micro-engagements
    offer: NotRequired[str]  # the offer the copy must carry, e.g. "€59 until 31 May, code SPRING"
    link: NotRequired[str]  # where the copy sends people (assembled, never written by the model)
    tone: NotRequired[str]  # overrides the brand's tone for this campaign
    brand: NotRequired[str]  # the brand settings to use (graphs/brand.py); default: by product


class Evidence(TypedDict):
    """One passage the researcher found: a short quote and where it comes from."""

    id: str  # "E1", "E2", ... cited inline as [1], [2]
    source: str  # file name (or URL) inside the knowledge base
    location: str  # heading / page inside the source
    quote: str  # the exact passage text (short); the document itself stays in the KB
    ref: NotRequired[str]  # the passage's id in the knowledge base (tools/kb.py)
    flags: NotRequired[list[str]]  # e.g. ["contains instructions"]: data, never instructions


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
    batch: NotRequired[str]  # one personalised email per contact of an audience share a batch
    batch_size: NotRequired[int]
    checks: NotRequired[list[dict[str, Any]]]  # the AI review's sentence checks (claim checks)
    review_notes: NotRequired[list[str]]  # what the AI review left for the person, and why
    rounds: NotRequired[list[dict[str, Any]]]  # every AI review round: text and problems
    previous_args: NotRequired[dict[str, Any]]  # a redraft's previous draft (the card's diff)


def merge_actions(
    left: list[ProposedAction] | None, right: list[ProposedAction] | None
) -> list[ProposedAction]:
    """Actions by id: a later version replaces an earlier one in its place; new ones are added
    (each action is drafted on its own branch and reports itself when its branch ends)."""
    merged = {a["id"]: a for a in left or []}
    for action in right or []:
        merged[action["id"]] = action
    return list(merged.values())


class Outcome(TypedDict):
    """What finally happened to one proposed action."""

    action_id: str
    name: str
    status: str  # executed | rejected | failed | in_doubt | cancelled | expired | skipped
    detail: dict[str, Any]


class CampaignState(TypedDict):
    brief: Brief
    evidence: list[Evidence]
    actions: Annotated[list[ProposedAction], merge_actions]
    outcomes: Annotated[list[Outcome], operator.add]
    audience: NotRequired[list[dict[str, str]]]  # contacts for a batch (email, name, ...)
    brand: NotRequired[dict[str, Any]]  # the brand settings' snapshot (graphs/brand.py)


class ActionState(TypedDict):
    """State of the per-action subgraph (draft → AI review → gate ⇄ writer → publisher).

    Sent either with `action` (already known: a like, a follow, a personalised email) or with
    `channel` (the channel's key: the branch drafts its action first, on its own)."""

    brief: Brief
    evidence: list[Evidence]
    action: NotRequired[ProposedAction]
    channel: NotRequired[str]  # the channel to draft (graphs/channels), when no action yet
    since: NotRequired[float]  # epoch seconds the campaign's drafting began (progress)
    audience: NotRequired[list[dict[str, str]]]  # an email's contacts (one email each)
    # this branch's first draft, for the campaign (a branch starts without it: no write)
    actions: Annotated[NotRequired[list[ProposedAction]], merge_actions]
    assessment: NotRequired[dict[str, Any]]  # the policy's routing (graphs/assess.py)
    release_at: NotRequired[float]  # epoch seconds a held action may go out
    decision: NotRequired[dict[str, Any]]  # the validated human decision, JSON form
    feedback: NotRequired[list[str]]  # send-back notes, oldest first
    brand: NotRequired[dict[str, Any]]  # the brand settings' snapshot (graphs/brand.py)
    outcomes: Annotated[NotRequired[list[Outcome]], operator.add]  # empty until the branch ends


@dataclass
class Context:
    """Per-run settings (LangGraph `context_schema`).

    `model` and `executor` are left empty in production: the writer then asks the one model seam
    (`graphs.model.load_chat_model`) and the publisher builds an executor for `SIGNOFF_HOME`.
    Tests inject a scripted chat model and an executor over a temporary database.
    """

    model: Any = None
    executor: Any = None
    max_revisions: int = 3
    kb: Any = None  # tools.kb.KnowledgeBase; None: the data directory's (SIGNOFF_HOME)
    policy: Any = None  # graphs.policy.Policy; None: the shipped default
    store: Any = None  # graphs.store.Store, for autonomy levels and track record; None in Studio
    settings: Any = None  # tools.base.Settings of the connectors (ad budgets spent so far)
    clock: Callable[[], float] = time.time  # tests control time (holds, expiry)
    # who decides, when a LangGraph client resumes the graph (`context={"signoff_user": "ann"}`)
    signoff_user: str | None = None
