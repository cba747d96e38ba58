"""drafting: the writer's model call: which chat model, the system prompt, the output budget and
the structured call that is tried again when a small model loops or answers unparsably.

The model fills only the words of an action (`graphs/writer.py` chooses the action); the prompt
holds the brief, the brand's rules and the facts the model may use (`facts_block`), and the
sentence checker reads every passage of the product (`passages`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langgraph.runtime import Runtime
from openai import LengthFinishReasonError
from pydantic import BaseModel, ValidationError

from graphs import prompts
from graphs.state import Context, Evidence

log = logging.getLogger("graphs.writer")  # the writer's logger, as before the split

ATTEMPTS = 3  # a small model occasionally loops until max_tokens; try again, then the error
RETRYABLE: tuple[type[Exception], ...] = (ValueError, ValidationError, LengthFinishReasonError)


def chat_model(runtime: Runtime[Context] | None) -> BaseChatModel:
    """The context's model when a caller injected one (tests), else the one seam."""
    ctx = runtime.context if runtime is not None else None
    if ctx is not None and ctx.model is not None:
        return ctx.model
    from graphs.model import load_chat_model

    return load_chat_model()


# -- the prompt ------------------------------------------------------------------------------------
def facts_block(evidence: Sequence[Evidence]) -> str:
    """The facts the model may use: one per line, no numbers or bullets to copy; a customer's
    quote with who said it (graphs/quotes.py). Passages flagged as carrying instructions
    are data for the reviewer only: the model never reads them."""
    from graphs.quotes import facts_lines

    return "\n".join(facts_lines(evidence)) or "(none)"


def system_prompt(
    brief: Mapping[str, Any], evidence: Sequence[Evidence], brand: Mapping[str, Any]
) -> str:
    from graphs.checks.draft import avoided_words

    extras = []
    if brief.get("offer"):
        extras.append(f"The offer to mention exactly: {brief['offer']}.")
    avoid = avoided_words(brand)
    if avoid:
        extras.append("Never use these words: " + ", ".join(f"'{w}'" for w in avoid) + ".")
    rules = [r if isinstance(r, str) else str(r.get("text", "")) for r in brand.get("rules", [])]
    if rules:
        extras.append("House rules: " + " ".join(r.rstrip(".") + "." for r in rules if r))
    return prompts.WRITER_SYSTEM.format(
        brand=brand.get("name") or brief["product"],
        product=brief["product"],
        audience=brief["audience"],
        goal=brief["goal"],
        tone=brief.get("tone") or brand.get("tone") or "warm and plain",
        facts=facts_block(evidence),
        extras="\n".join(extras),
    )


def bounded(model: BaseChatModel, max_tokens: int) -> BaseChatModel:
    """The model with its output budget tied to the channel's longest draft (a loop stops
    there, not at the generic 700 tokens); models without such a setting are left as they are."""
    if max_tokens <= 0 or "max_tokens" not in type(model).model_fields:
        return model
    current = getattr(model, "max_tokens", None)
    if current is not None and current <= max_tokens:
        return model
    return model.model_copy(update={"max_tokens": max_tokens})


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


# -- evidence as the checker's passages ----------------------------------------------------------
def passages(
    evidence: Sequence[Evidence], runtime: Runtime[Context] | None, brief: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """All of the product's passages (not only the evidence), whole, for the sentence checker;
    passages flagged as carrying instructions are never evidence."""
    from graphs.checks.sources import product_passages

    ctx = runtime.context if runtime is not None else None
    kb = getattr(ctx, "kb", None)
    clean = [e for e in evidence if not e.get("flags")]
    flagged = {e.get("ref") for e in evidence if e.get("flags")}
    return [p for p in product_passages(kb, brief, clean) if p["id"] not in flagged]
