"""The response schema of each interrupt: every rule a decision must meet, in one place.

LangGraph validates a resume against `interrupt(..., response_schema=...)` before it stores
anything (langgraph ≥ 1.2.12): a decision refused here is never saved and the interrupt can be
answered again. A rule checked later, inside the node, would be stored with the thread and fail
every later resume: the thread would be stuck. So the schema of one interrupt holds all of them:

- the decision types allowed for this item (no `approve` over a hard limit, no `revise` once the
  rounds are used up; holds take cancel / send now, and the scheduler's release);
- `approve` of a draft with unsupported claims needs `checked: true`;
- an edit carries the tool's full, valid arguments (a partial edit is laid over the draft) and
  must pass the connector in use (a network's post length, the ad currency) and the draft's own
  hard rules (graphs/checks/edits.py: no new recipient, no link or contact from outside the brief,
  brand or allowlist, no spend over a budget);
- size limits on feedback, reasons and comments, and on the whole decision's size and depth
  (graphs/decisions.py `size_problem`: checked first, iteratively, so no payload can recurse);
- the ecosystem's dialects (graphs/dialects.py), mapped onto Signoff's own before all of that.

Whoever drives the graph — Signoff's runtime, `langgraph dev`, Studio, Agent Inbox — gets the
same refusals.
"""

from __future__ import annotations

import json
import marshal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, ClassVar, cast

from pydantic import (
    Field,
    GetJsonSchemaHandler,
    PrivateAttr,
    RootModel,
    TypeAdapter,
    ValidationInfo,
    model_validator,
)
from pydantic.functional_validators import ModelWrapValidatorHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from graphs.checks.edits import edit_problems
from graphs.decisions import (
    HOLD_DECISIONS,
    Approve,
    Cancel,
    Expire,
    Reject,
    Release,
    Revise,
    SendNow,
    edit_model,
    size_problem,
)
from graphs.dialects import dialect_of, to_signoff
from graphs.humanize import count
from tools.base import Settings
from tools.registry import get_tool


class DecisionSchema(RootModel[Any]):
    """A validated decision; `dialect` says which shape it came in (signoff, langchain,
    agent-inbox)."""

    _dialect: str = PrivateAttr(default="signoff")
    # What the JSON schema depends on (kind, action, allowed types): not the draft's args, the
    # unsupported claims or the settings, which only the validator reads.
    _schema_key: ClassVar[tuple[str, ...]] = ()
    # A review class bound to one draft's rules (`review_schema`); None: the rules bound in the
    # context (`review_decision` + `bound`).
    _bound_rules: ClassVar[Any] = None

    @property
    def dialect(self) -> str:
        return self._dialect

    @model_validator(mode="wrap")
    @classmethod
    def _validate(
        cls, raw: Any, handler: ModelWrapValidatorHandler[Any], info: ValidationInfo
    ) -> Any:
        """The one validator of every decision class: an already validated decision passes as
        it is; anything else goes through the class's own rules (`_rules`)."""
        if isinstance(raw, DecisionSchema):
            return raw
        return cls._rules(raw, handler)

    @classmethod
    def _rules(cls, raw: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        """A decision class's checks around pydantic's own (`handler`); none by default."""
        return handler(raw)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The JSON schema shown with every interrupt, generated once per key.

        LangGraph regenerates it on every `interrupt()` that pauses (pydantic: ~30 ms for a
        review's union); the gate pauses again each time a sibling action is resumed.
        """
        key = cls._schema_key
        if not key:
            return handler(core_schema)
        cached = _JSON_SCHEMAS.get(key)
        if cached is None:
            _JSON_SCHEMAS[key] = ""  # while generating: the nested call takes the plain path
            try:
                cached = json.dumps(_inline(TypeAdapter(cls).json_schema()))
            finally:
                _JSON_SCHEMAS.pop(key, None)
            _JSON_SCHEMAS[key] = cached
        elif not cached:
            return handler(core_schema)
        return cast(JsonSchemaValue, json.loads(cached))  # a fresh copy (callers may change it)


_JSON_SCHEMAS: dict[tuple[str, ...], str] = {}


def _inline(schema: JsonSchemaValue) -> JsonSchemaValue:
    """`schema` with every `$ref` into its `$defs` replaced by the definition (no cycles in a
    decision), so it can stand in for a definition inside another generation. A
    discriminator's `mapping` (OpenAPI, refs into `$defs`) goes; its `propertyName` stays."""
    defs = schema.get("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/") and len(node) == 1:
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {
                k: {"propertyName": v["propertyName"]}
                if k == "discriminator" and isinstance(v, dict) and "propertyName" in v
                else resolve(v)
                for k, v in node.items()
                if k != "$defs"
            }
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return cast(JsonSchemaValue, resolve(schema))


@dataclass(frozen=True)
class EditRules:
    """What an edit is checked against beyond the connector: the contacts the draft may carry
    (brief, brand, allowlist) and, for a spend, the budget's verdict on the edited arguments
    (a function of the ledger at the time of the decision)."""

    contacts_allowed: tuple[str, ...] = ()
    over_budget: Callable[[dict[str, Any]], str | None] | None = None

    def refusal(self, name: str, before: dict[str, Any], after: dict[str, Any]) -> str | None:
        over = self.over_budget(after) if self.over_budget else None
        problems = edit_problems(name, before, after, list(self.contacts_allowed), over_budget=over)
        if not problems:
            return None
        return (
            "The edit was refused: " + "; ".join(problems) + ". Change it (or add the link "
            "or contact to the brief or the policy's allowlist) and try again. Nothing was saved."
        )


def review_schema(
    action_name: str,
    args: dict[str, Any],
    allowed: list[str],
    unsupported: list[str],
    settings: Settings | None,
    edit_rules: EditRules | None = None,
) -> type[DecisionSchema]:
    """The schema of one review interrupt (see the module docstring), bound to this draft: it
    validates on its own. (The gate uses `review_decision`: one shared class per action type
    and allowed decisions, with the draft's rules bound only while it asks.)"""
    return _bound_review_schema(
        action_name,
        json.dumps(args, sort_keys=True, default=str),
        tuple(allowed),
        tuple(unsupported),
        settings,
        edit_rules,
    )


@dataclass(frozen=True, eq=False)
class ReviewRules:
    """What a review decision is checked against beyond its shape: the draft's arguments (an
    edit is laid over them), its unsupported claims (approve needs `checked`), the connectors'
    settings and the edit's hard rules."""

    action_name: str
    original: dict[str, Any]
    unsupported: tuple[str, ...] = ()
    settings: Settings | None = None
    edit_rules: EditRules | None = None


_BOUND: ContextVar[ReviewRules | None] = ContextVar("signoff_review_rules", default=None)


def review_decision(
    action_name: str,
    args: dict[str, Any],
    allowed: list[str],
    unsupported: list[str],
    settings: Settings | None,
    edit_rules: EditRules | None = None,
) -> tuple[type[DecisionSchema], ReviewRules]:
    """The review interrupt's schema as the gate asks with it: the class shared by every draft
    of this action type with these allowed decisions (built once per process), and this draft's
    rules, to be bound with `bound(rules)` around the `interrupt()` that validates the resume.

    A class per draft would be built on every campaign (pydantic: ~3 ms each); the rules differ
    per draft, the JSON schema shown to clients does not."""
    return _review_class(action_name, tuple(allowed)), ReviewRules(
        action_name, dict(args), tuple(unsupported), settings, edit_rules
    )


@contextmanager
def bound(rules: ReviewRules) -> Iterator[None]:
    """The draft whose decision the shared review class validates in this context."""
    token = _BOUND.set(rules)
    try:
        yield
    finally:
        _BOUND.reset(token)


def for_interrupt(schema: type[DecisionSchema], index: int = 0) -> Any:
    """What to pass as `interrupt(..., response_schema=)` for this node's `index`-th interrupt.

    With a resume value waiting for it, the class itself: LangGraph validates the value with it
    before it stores anything. Without one, `interrupt()` pauses, and all LangGraph does with the
    class then is generate its JSON schema for the client (pydantic: ~1 ms a pause, and a gate
    pauses again each time a sibling action is resumed); the JSON schema is the same for every
    draft of a class, so the one generated first is given instead. In doubt, the class."""
    from langgraph._internal._constants import CONFIG_KEY_SCRATCHPAD
    from langgraph.config import get_config

    try:
        scratchpad = get_config()["configurable"][CONFIG_KEY_SCRATCHPAD]
        waiting = index < len(scratchpad.resume) or (scratchpad.get_null_resume(False) is not None)
    except Exception:  # not inside a run, or LangGraph changed: let it do the work
        return schema
    if waiting:
        return schema
    key = schema._schema_key
    cached = _PAUSE_SCHEMAS.get(key) if key else None
    if cached is None:
        # marshal (JSON's types only, our own bytes): a fresh copy at half json.loads' cost
        cached = marshal.dumps(TypeAdapter(schema).json_schema())
        if key:
            _PAUSE_SCHEMAS[key] = cached
    return marshal.loads(cached)  # a fresh copy: the interrupt keeps it


_PAUSE_SCHEMAS: dict[tuple[str, ...], bytes] = {}


def _rules_of(cls: type[DecisionSchema]) -> ReviewRules:
    rules = cls._bound_rules or _BOUND.get()
    if rules is None:  # pragma: no cover - a programming error, never a client's
        raise RuntimeError(
            f"{cls.__name__} validates a draft's decision; bind the draft's rules with "
            "graphs.response_schema.bound(rules) around interrupt()."
        )
    return rules


@lru_cache(maxsize=512)
def _bound_review_schema(
    action_name: str,
    args_json: str,
    allowed: tuple[str, ...],
    unsupported: tuple[str, ...],
    settings: Settings | None,
    edit_rules: EditRules | None,
) -> type[DecisionSchema]:
    shared = _review_class(action_name, allowed)
    rules = ReviewRules(action_name, json.loads(args_json), unsupported, settings, edit_rules)
    bound_cls = cast(type[DecisionSchema], type(shared.__name__, (shared,), {}))
    bound_cls._bound_rules = rules
    return bound_cls


@lru_cache(maxsize=128)
def _review_class(action_name: str, allowed: tuple[str, ...]) -> type[DecisionSchema]:
    tool = get_tool(action_name)
    by_type: dict[str, Any] = {
        "approve": Approve,
        "edit": edit_model(action_name),
        "revise": Revise,
        "reject": Reject,
    }
    members = tuple(by_type[t] for t in allowed if t in by_type) + (Expire,)
    union: Any = Annotated[_union(members), Field(discriminator="type")]
    accepted = [*allowed, "expire"]

    class ReviewDecision(DecisionSchema):
        root: union

        @classmethod
        def _rules(cls, raw: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
            rules = _rules_of(cls)
            original = rules.original
            unsupported = rules.unsupported
            _refuse_oversized(raw)
            dialect = dialect_of(raw)
            mapped = to_signoff(raw, "review", {"name": action_name, "args": original})
            if isinstance(mapped, dict) and "type" in mapped:
                if mapped["type"] not in accepted:
                    raise ValueError(
                        f"{mapped['type']!r} is not a choice for this item; expected one of "
                        f"{list(allowed)}."
                    )
                if mapped["type"] == "edit" and isinstance(mapped.get("args"), dict):
                    mapped = {**mapped, "args": {**original, **mapped["args"]}}
            parsed = handler(mapped)
            decision = parsed.root
            if decision.type == "approve" and unsupported and not decision.checked:
                shown = "; ".join(f"'{c[:90]}'" for c in unsupported[:5])
                raise ValueError(
                    f"This draft has {count(len(unsupported), 'claim')} the evidence does not support: "
                    f"{shown}. Check them and approve with checked=true, or edit or send it back."
                )
            if decision.type == "edit" and rules.settings is not None:
                tool.validate_args(decision.args.model_dump(), rules.settings)  # refused
            if decision.type == "edit" and rules.edit_rules is not None:
                refused = rules.edit_rules.refusal(
                    action_name, original, decision.args.model_dump()
                )
                if refused:
                    raise ValueError(refused)
            parsed._dialect = dialect
            return parsed

    ReviewDecision.__name__ = f"ReviewDecision_{action_name}"
    ReviewDecision._schema_key = ("review", action_name, *allowed)
    return ReviewDecision


@lru_cache(maxsize=128)
def hold_schema(action_name: str) -> type[DecisionSchema]:
    """The schema of a hold interrupt: one class per action type (a hold's choices, cancel,
    send now and the scheduler's release, do not depend on the draft)."""
    action: dict[str, Any] = {"name": action_name, "args": {}}  # a hold's dialects read no args
    union: Any = Annotated[Cancel | SendNow | Release, Field(discriminator="type")]

    class HoldDecision(DecisionSchema):
        root: union

        @classmethod
        def _rules(cls, raw: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
            _refuse_oversized(raw)
            dialect = dialect_of(raw)
            mapped = to_signoff(raw, "hold", action)
            if isinstance(mapped, dict) and mapped.get("type") not in (None, *HOLD_DECISIONS):
                raise ValueError(
                    f"{mapped.get('type')!r} is not a choice for a held send; expected one of "
                    f"{list(HOLD_DECISIONS)}."
                )
            parsed = handler(mapped)
            parsed._dialect = dialect
            return parsed

    HoldDecision._schema_key = ("hold", action_name)
    return HoldDecision


def _refuse_oversized(raw: Any) -> None:
    problem = size_problem(raw)
    if problem:
        raise ValueError(f"The decision is too large to be one: {problem}. Nothing was saved.")


def _union(members: tuple[Any, ...]) -> Any:
    result = members[0]
    for member in members[1:]:
        result = result | member
    return result
