"""The decisions a person can give at the gate, validated before anything is saved."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    ValidationError,
    create_model,
)

from graphs.errors import InvalidDecision
from tools.base import validation_problems
from tools.registry import get_tool

DECISIONS = ("approve", "edit", "revise", "reject")  # what a person may answer a review with
HOLD_DECISIONS = ("cancel", "send_now", "release")  # release: the scheduler, at the hold's time
MAX_REASON = 500  # characters of a rejection's or a cancel's reason
MAX_TEXT = 4000  # characters of feedback or a comment

# A decision is small and flat: {"type": "edit", "args": {"subject": "…"}}. These bounds hold for
# every driver (CLI, page, LangGraph's server): they are checked first by `validate_decision` and
# by the response schemas (graphs/response_schema.py), before anything else reads the decision.
MAX_DEPTH = 8  # levels of nesting (objects and lists)
MAX_ITEMS = 2_000  # values in all
MAX_TOTAL_TEXT = 250_000  # characters in all strings together (a page body is up to 200,000)


def size_problem(value: Any) -> str | None:
    """Why a decision is too big or too deep to be one, or None. Iterative: any depth is safe."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    items = chars = 0
    while stack:
        item, depth = stack.pop()
        items += 1
        if depth > MAX_DEPTH:
            return f"it is nested more than {MAX_DEPTH} levels deep"
        if items > MAX_ITEMS:
            return f"it holds more than {MAX_ITEMS:,} values"
        if isinstance(item, str):
            chars += len(item)
            if chars > MAX_TOTAL_TEXT:
                return f"its text is longer than {MAX_TOTAL_TEXT:,} characters"
        elif isinstance(item, dict):
            for k, v in item.items():
                chars += len(k) if isinstance(k, str) else 0
                stack.append((v, depth + 1))
        elif isinstance(item, list | tuple):
            stack.extend((v, depth + 1) for v in item)
    return None


def bounded(value: Any) -> Any:
    """A pydantic before-validator: refuse a decision over the size or depth limits."""
    problem = size_problem(value)
    if problem:
        raise ValueError(f"The decision is too large to be one: {problem}")
    return value


class Approve(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["approve"]
    checked: bool = Field(
        default=False, description="the reviewer checked the claims the verifier could not support"
    )


class Expire(BaseModel):
    """Nobody answered in time. Its own state: never a rejection, never an approval."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["expire"]


class Cancel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["cancel"]
    reason: str = Field(default="", max_length=MAX_REASON)


class SendNow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["send_now"]


class Release(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["release"]


class HoldDecision(RootModel[Any]):
    root: Annotated[Cancel | SendNow | Release, Field(discriminator="type")]


class Revise(BaseModel):
    """Send back to the writer with feedback; the redraft comes back for review."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    type: Literal["revise"]
    feedback: str = Field(
        min_length=1, max_length=MAX_TEXT, description="what the writer should change"
    )


class Reject(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    type: Literal["reject"]
    reason: str = Field(min_length=1, max_length=MAX_REASON, description="why it must not go out")
    comment: str = Field(default="", max_length=MAX_TEXT)


def decision_model(action_name: str) -> type[RootModel[Any]]:
    """The response schema for one action type: `edit` carries that tool's full, valid args."""
    return _decision_model(action_name, get_tool(action_name).args_model)


def edit_model(action_name: str) -> type[BaseModel]:
    """`{"type": "edit", "args": ...}` with that tool's full, valid args."""
    return _edit_model(action_name, get_tool(action_name).args_model)


@cache
def _edit_model(action_name: str, args_model: type[BaseModel]) -> type[BaseModel]:
    edit_type: Any = Literal["edit"]
    return create_model(
        f"Edit_{action_name}",
        __config__=ConfigDict(extra="forbid"),
        type=(edit_type, ...),
        args=(args_model, ...),
    )


@cache
def _decision_model(action_name: str, args_model: type[BaseModel]) -> type[RootModel[Any]]:
    edit = _edit_model(action_name, args_model)
    union = Annotated[
        Approve | edit | Revise | Reject | Expire,  # type: ignore[valid-type]
        Field(discriminator="type"),
        BeforeValidator(bounded),
    ]
    return RootModel[union]


FIELDS = {
    "approve": "checked (true when the item has unsupported claims you checked)",
    "edit": "args (the edited action arguments)",
    "revise": "feedback (text)",
    "reject": "reason (text), comment (optional)",
    "expire": "no fields (the scheduler, when nobody answered in time)",
    "cancel": "reason (optional)",
    "send_now": "no fields",
    "release": "no fields (the scheduler, at the release time)",
}


def validate_decision(
    action_name: str, original_args: dict[str, Any], raw: Any, allowed: list[str]
) -> dict[str, Any]:
    """A JSON-ready, validated decision; raises InvalidDecision naming what is allowed.

    An edit may give only the fields it changes: they are laid over the original args.
    """
    expected = "; ".join(f"{d}: {FIELDS[d]}" for d in allowed)
    problem = size_problem(raw)
    if problem:
        raise InvalidDecision(
            f"The decision is too large to be one: {problem}. A decision is a small JSON object "
            f'such as {{"type": "{allowed[0]}"}} ({expected}). Nothing was saved.'
        )
    if not isinstance(raw, dict):
        raise InvalidDecision(
            f'A decision is a JSON object such as {{"type": "{allowed[0]}"}}; got '
            f"{type(raw).__name__} {raw!r}. Allowed types: {list(allowed)} ({expected}). "
            "Nothing was saved."
        )
    if "type" not in raw:
        raise InvalidDecision(
            f"The decision has no 'type'; expected one of {list(allowed)} ({expected}). "
            "Nothing was saved."
        )
    if raw.get("type") not in allowed:
        got = raw.get("type") if isinstance(raw, dict) else raw
        raise InvalidDecision(
            f"Unknown decision {got!r}; expected one of {list(allowed)} ({expected}). Nothing was saved."
        )
    data = dict(raw)
    if data["type"] == "edit":
        if not isinstance(data.get("args"), dict) or not data["args"]:
            raise InvalidDecision(
                f"An edit needs args: a JSON object with the fields to change, e.g. "
                f"{_example(action_name)}. Nothing was saved."
            )
        unknown = sorted(set(data["args"]) - set(get_tool(action_name).args_model.model_fields))
        if unknown:
            raise InvalidDecision(
                f"Unknown {'field' if len(unknown) == 1 else 'fields'} {unknown} for {action_name}; expected "
                f"{sorted(get_tool(action_name).args_model.model_fields)}. Nothing was saved."
            )
        data["args"] = {**original_args, **data["args"]}
    model = HoldDecision if data["type"] in HOLD_DECISIONS else decision_model(action_name)
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        raise InvalidDecision(
            f"Invalid {data['type']} decision: {validation_problems(exc)}"
            f" — {data['type']} takes {FIELDS[data['type']]}. Nothing was saved."
        ) from exc
    return dump(parsed)


def dump(parsed: Any) -> dict[str, Any]:
    inner = parsed.root if isinstance(parsed, RootModel) else parsed
    result: dict[str, Any] = inner.model_dump()
    return result


def _example(action_name: str) -> str:
    fields = list(get_tool(action_name).args_model.model_fields)
    return "{" + f'"{fields[-1]}": "..."' + "}"
