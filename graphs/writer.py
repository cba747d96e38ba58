"""writer: turns brief + evidence into proposed actions with claims, citations and confidence.

The small embedded model never emits native tool calls, so the actions are chosen here and the
model fills each one through grammar-constrained structured output.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langgraph.runtime import Runtime
from langgraph.types import Command, Send
from openai import LengthFinishReasonError
from pydantic import BaseModel, Field, ValidationError

from graphs import prompts
from graphs.state import (
    ActionState,
    Brief,
    CampaignState,
    Claim,
    Context,
    Evidence,
    ProposedAction,
)

log = logging.getLogger(__name__)


# Bounds are part of the grammar on the embedded model: they stop a small model's run-on output.
class DraftClaim(BaseModel):
    text: str = Field(min_length=3, max_length=200, description="the factual claim, as written")
    evidence: list[int] = Field(max_length=3, description="numbers of the evidence it rests on")


class EmailDraft(BaseModel):
    subject: str = Field(min_length=3, max_length=90)
    body: str = Field(min_length=40, max_length=1400)
    claims: list[DraftClaim] = Field(max_length=5)
    confidence: float = Field(ge=0, le=1)


class PostDraft(BaseModel):
    text: str = Field(min_length=10, max_length=480)
    claims: list[DraftClaim] = Field(max_length=3)
    confidence: float = Field(ge=0, le=1)


ATTEMPTS = 3  # a small model occasionally loops until max_tokens; try again, then the error
RETRYABLE: tuple[type[Exception], ...] = (ValueError, ValidationError, LengthFinishReasonError)


def chat_model(runtime: Runtime[Context] | None) -> BaseChatModel:
    """The context's model when a caller injected one (tests), else the one seam."""
    ctx = runtime.context if runtime is not None else None
    if ctx is not None and ctx.model is not None:
        return ctx.model
    from graphs.model import load_chat_model

    return load_chat_model()


def _evidence_block(evidence: list[Evidence]) -> str:
    lines = [
        f"[{i}] {e['quote']} (source: {e['source']}, {e['location']})"
        for i, e in enumerate(evidence, 1)
    ]
    return "\n".join(lines) or "(no evidence found)"


def _system(brief: Brief, evidence: list[Evidence]) -> str:
    return prompts.WRITER_SYSTEM.format(
        product=brief["product"],
        audience=brief["audience"],
        goal=brief["goal"],
        evidence=_evidence_block(evidence),
    )


def _claims(draft_claims: list[DraftClaim], evidence: list[Evidence], text: str) -> list[Claim]:
    """Map evidence numbers to ids; numbers cited inline but not listed become claims too."""

    def ids(numbers: list[int]) -> list[str]:
        return [evidence[n - 1]["id"] for n in numbers if 1 <= n <= len(evidence)]

    claims = [
        Claim(text=c.text.strip(), evidence_ids=ids(c.evidence))
        for c in draft_claims
        if c.text.strip()
    ]
    listed = {e for c in claims for e in c["evidence_ids"]}
    for sentence in re.split(r"(?<=[.?!])\s+", text):
        cited = [int(n) for n in re.findall(r"\[(\d+)\]", sentence)]
        new = [i for i in ids(cited) if i not in listed]
        if new:
            claims.append(Claim(text=re.sub(r"\s*\[\d+\]", "", sentence).strip(), evidence_ids=new))
            listed.update(new)
    return claims


def _draft(model: BaseChatModel, schema: type[BaseModel], system: str, task: str) -> Any:
    structured = model.with_structured_output(schema, method="json_schema")
    for attempt in range(1, ATTEMPTS + 1):
        try:
            result = structured.invoke([("system", system), ("user", task)])
            break
        except RETRYABLE as exc:  # cut off at max_tokens, or unparsable
            if attempt == ATTEMPTS:
                raise
            log.warning("draft attempt %d failed (%s); trying again", attempt, type(exc).__name__)
    if isinstance(result, dict):
        result = schema.model_validate(result)
    return result


def draft_email(
    model: BaseChatModel, brief: Brief, evidence: list[Evidence], task: str
) -> ProposedAction:
    d: EmailDraft = _draft(model, EmailDraft, _system(brief, evidence), task)
    return ProposedAction(
        id="email-1",
        name="send_email",
        channel="email",
        args={"to": brief["to"], "subject": d.subject.strip(), "body": d.body.strip()},
        claims=_claims(d.claims, evidence, d.body),
        confidence=round(float(d.confidence), 2),
        revision=0,
    )


def draft_post(
    model: BaseChatModel, brief: Brief, evidence: list[Evidence], task: str
) -> ProposedAction:
    d: PostDraft = _draft(model, PostDraft, _system(brief, evidence), task)
    return ProposedAction(
        id="post-1",
        name="publish_post",
        channel="social",
        args={"text": d.text.strip()},
        claims=_claims(d.claims, evidence, d.text),
        confidence=round(float(d.confidence), 2),
        revision=0,
    )


def writer(state: CampaignState, runtime: Runtime[Context]) -> Command[Literal["review"]]:
    """First drafts: one email and one social post, each reviewed on its own branch."""
    model = chat_model(runtime)
    brief, evidence = state["brief"], state["evidence"]
    actions = [
        draft_email(model, brief, evidence, prompts.EMAIL_TASK),
        draft_post(model, brief, evidence, prompts.POST_TASK),
    ]
    log.info("writer proposed %s", [a["name"] for a in actions])
    return Command(
        update={"actions": actions},
        goto=[
            Send("review", ActionState(brief=brief, evidence=evidence, action=a, outcomes=[]))
            for a in actions
        ],
    )


def redraft(state: ActionState, runtime: Runtime[Context]) -> Command[Literal["gate"]]:
    """A send-back: redraft this one action with the reviewer's feedback, then review it again."""
    model = chat_model(runtime)
    action, brief, evidence = state["action"], state["brief"], state["evidence"]
    from tools.registry import get_tool

    task = prompts.REVISE_TASK.format(
        draft=get_tool(action["name"]).preview(action["args"]),
        feedback="\n".join(f"- {f}" for f in state.get("feedback", [])),
    )
    base = prompts.EMAIL_TASK if action["channel"] == "email" else prompts.POST_TASK
    make = draft_email if action["channel"] == "email" else draft_post
    new = make(model, brief, evidence, base + "\n\n" + task)
    if action["channel"] == "email":
        new["args"]["to"] = action["args"]["to"]  # the recipient is the marketer's, not the model's
    new["id"] = action["id"]
    new["revision"] = action["revision"] + 1
    log.info("writer redrafted %s (revision %d)", new["id"], new["revision"])
    return Command(update={"action": new}, goto="gate")
