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


class PageDraft(BaseModel):
    title: str = Field(min_length=3, max_length=90)
    body: str = Field(min_length=80, max_length=2500, description="Markdown")
    claims: list[DraftClaim] = Field(max_length=5)
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


def draft_page(
    model: BaseChatModel, brief: Brief, evidence: list[Evidence], task: str
) -> ProposedAction:
    d: PageDraft = _draft(model, PageDraft, _system(brief, evidence), task)
    return ProposedAction(
        id="page-1",
        name="publish_page",
        channel="cms",
        args={"slug": slugify(brief["product"]), "title": d.title.strip(), "body": d.body.strip()},
        claims=_claims(d.claims, evidence, d.body),
        confidence=round(float(d.confidence), 2),
        revision=0,
    )


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:60].strip("-") or "campaign"


_GREETING = re.compile(r"^\s*(hi|hello|dear|hey)\b[^\n]{0,60}[,!]?\s*\n+", re.IGNORECASE)


def personalise(
    template: ProposedAction, contact: dict[str, str], n: int, size: int
) -> ProposedAction:
    """One email per contact: the contact's address and a greeting by name. `{column}` fields of
    the audience file in the draft (e.g. {company}) are filled in; nothing else changes."""
    name = (contact.get("name") or contact.get("first_name") or "").strip()
    first = name.split()[0] if name else ""
    body = _GREETING.sub("", template["args"]["body"], count=1)
    for column, value in contact.items():
        body = body.replace("{" + column + "}", value)
    greeting = f"Hi {first}," if first else "Hello,"
    return ProposedAction(
        id=f"email-{n}",
        name="send_email",
        channel="email",
        args={
            "to": contact["email"],
            "subject": template["args"]["subject"],
            "body": f"{greeting}\n\n{body}",
        },
        claims=template["claims"],
        confidence=template["confidence"],
        revision=0,
        batch="audience",
        batch_size=size,
    )


def engagements(brief: Brief) -> list[ProposedAction]:
    """Micro-engagements the marketer listed: like a post (URL), follow an account (@handle)."""
    actions = []
    for n, target in enumerate(brief.get("engage", []), start=1):
        target = target.strip()
        if not target:
            continue
        if target.startswith("@"):
            name, args = "follow_account", {"account": target}
        else:
            name, args = "like_post", {"post": target}
        actions.append(
            ProposedAction(
                id=f"{name.split('_')[0]}-{n}",
                name=name,
                channel="social",
                args=args,
                claims=[],
                confidence=1.0,
                revision=0,
            )
        )
    return actions


def writer(state: CampaignState, runtime: Runtime[Context]) -> Command[Literal["review"]]:
    """First drafts, each reviewed on its own branch: the email (one per contact when there is
    an audience), a social post, optionally a landing page and an ad spend, and the
    micro-engagements the brief lists."""
    brief, evidence = state["brief"], state["evidence"]
    channels = brief.get("channels") or ["email", "social"]
    model = chat_model(runtime) if {"email", "social", "cms"} & set(channels) else None
    actions: list[ProposedAction] = []
    if "email" in channels and model is not None:
        email = draft_email(model, brief, evidence, prompts.EMAIL_TASK)
        audience = state.get("audience") or []
        if audience:
            actions += [
                personalise(email, contact, n, len(audience))
                for n, contact in enumerate(audience, start=1)
            ]
        else:
            actions.append(email)
    if "social" in channels and model is not None:
        actions.append(draft_post(model, brief, evidence, prompts.POST_TASK))
    if "cms" in channels and model is not None:
        actions.append(draft_page(model, brief, evidence, prompts.PAGE_TASK))
    if "ads" in channels and brief.get("ad_budget"):
        actions.append(ad_spend(brief, runtime))
    actions += engagements(brief)
    log.info("writer proposed %s", [a["id"] for a in actions])
    return Command(
        update={"actions": actions},
        goto=[
            Send("review", ActionState(brief=brief, evidence=evidence, action=a, outcomes=[]))
            for a in actions
        ],
    )


def ad_spend(brief: Brief, runtime: Runtime[Context] | None) -> ProposedAction:
    """The ad spend the marketer budgeted: the amount is theirs, never the model's."""
    currency = "EUR"
    ctx = runtime.context if runtime is not None else None
    if ctx is not None and ctx.policy is not None:
        currency = ctx.policy.action("spend_ads").limits.get("currency", currency)
    return ProposedAction(
        id="ads-1",
        name="spend_ads",
        channel="ads",
        args={
            "amount": round(float(brief.get("ad_budget", 0)), 2),
            "currency": currency,
            "description": f"{brief['product']}: {brief['goal']}"[:200],
        },
        claims=[],
        confidence=1.0,
        revision=0,
    )


def redraft(state: ActionState, runtime: Runtime[Context]) -> Command[Literal["assess"]]:
    """A send-back: redraft this one action with the reviewer's feedback; the policy routes the
    redraft again (a redraft always comes back to the person who sent it back)."""
    model = chat_model(runtime)
    action, brief, evidence = state["action"], state["brief"], state["evidence"]
    from tools.registry import get_tool

    task = prompts.REVISE_TASK.format(
        draft=get_tool(action["name"]).preview(action["args"]),
        feedback="\n".join(f"- {f}" for f in state.get("feedback", [])),
    )
    base = {"email": prompts.EMAIL_TASK, "cms": prompts.PAGE_TASK}.get(
        action["channel"], prompts.POST_TASK
    )
    make = {"email": draft_email, "cms": draft_page}.get(action["channel"], draft_post)
    new = make(model, brief, evidence, base + "\n\n" + task)
    if action["channel"] == "email":
        new["args"]["to"] = action["args"]["to"]  # the recipient is the marketer's, not the model's
    if action["channel"] == "cms":
        new["args"]["slug"] = action["args"]["slug"]
    if "batch" in action:
        new["batch"] = action["batch"]
        new["batch_size"] = action.get("batch_size", 1)
    new["id"] = action["id"]
    new["revision"] = action["revision"] + 1
    log.info("writer redrafted %s (revision %d)", new["id"], new["revision"])
    return Command(update={"action": new}, goto="assess")
