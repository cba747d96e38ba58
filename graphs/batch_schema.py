"""The response schema of an audience batch's one review: a decision for the whole batch, with
per-contact exceptions.

    {"type": "approve"}                                   every contact's email
    {"type": "approve", "members": {"email-3": {"type": "reject", "reason": "…"}}}
                                                          all but the exceptions, which get theirs
    {"members": {"email-1": {…}, …, "email-N": {…}}}      every contact decided one by one

The whole-batch decision is validated by the template's own review schema (so every dialect —
LangChain's `decisions`, Agent Inbox's `accept` (= approve all) — and every rule of a review
apply); each exception by a member's schema: approve, edit (the contact's own email, checked
against the same hard rules) or reject. A draft that carries links or contacts nobody gave
(`flagged`) is never approved as part of the whole: it needs its own decision. Nothing refused
here is stored (graphs/response_schema.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, ClassVar, cast

from pydantic import (
    GetJsonSchemaHandler,
    TypeAdapter,
)
from pydantic.functional_validators import ModelWrapValidatorHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from graphs.decisions import Cancel, dump, size_problem
from graphs.dialects import dialect_of
from graphs.humanize import count
from graphs.response_schema import DecisionSchema, EditRules, hold_schema, review_schema
from tools.base import Settings


class ShownAsWhole(DecisionSchema):
    """A batch's decision class whose JSON schema (what clients are shown) is its `_whole`
    shape with a `_description`; what it accepts is checked by its `_rules`."""

    root: Any
    _whole: ClassVar[Any] = None
    _description: ClassVar[str] = ""

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        shown = json.loads(json.dumps(TypeAdapter(cls._whole).json_schema()))
        shown["description"] = cls._description
        return cast(JsonSchemaValue, shown)


def _split_members(raw: Any, size: int, what: str, ids: str = "") -> tuple[Any, dict[str, Any]]:
    """(the decision without 'members', 'members'): at most `size` contacts, as a mapping."""
    if not (isinstance(raw, dict) and "members" in raw):
        return raw, {}
    members = raw["members"]
    if not isinstance(members, dict) or len(members) > size:
        raise ValueError(
            f"'members' maps at most {size} contact ids{ids} to {what}. Nothing was saved."
        )
    return {k: v for k, v in raw.items() if k != "members"}, members


MEMBER_DECISIONS = ("approve", "edit", "reject")  # what one contact's email can be given


def batch_schema(
    action_name: str,
    template_args: dict[str, Any],
    allowed: list[str],
    unsupported: list[str],
    settings: Settings | None,
    edit_rules: EditRules | None,
    size: int,
    flagged: list[str],
    member_args: Callable[[str], dict[str, Any] | None],
) -> type[DecisionSchema]:
    """The schema of one batch interrupt (see the module docstring). `member_args(id)`: the
    personalised arguments of a contact's email, or None for an id not in the batch."""
    whole = review_schema(action_name, template_args, allowed, unsupported, settings, edit_rules)
    member_allowed = [d for d in MEMBER_DECISIONS if d in allowed or d == "reject"]
    must_decide = frozenset(flagged)

    def one(member_id: str, raw: Any) -> dict[str, Any]:
        args = member_args(member_id)
        if args is None:
            raise ValueError(
                f"{member_id!r} is not a contact of this batch; expected ids email-1 to "
                f"email-{size}. Nothing was saved."
            )
        if isinstance(raw, dict) and raw.get("type") not in member_allowed:
            raise ValueError(
                f"{raw.get('type')!r} is not a choice for one contact's email; expected one of "
                f"{member_allowed}."
            )
        # only an edit depends on the contact's own arguments (laid over them, checked against
        # the same rules); approve and reject are the same for every contact
        base = args if isinstance(raw, dict) and raw.get("type") == "edit" else template_args
        schema = review_schema(action_name, base, member_allowed, unsupported, settings, edit_rules)
        return dump(schema.model_validate(raw))

    class BatchDecision(ShownAsWhole):
        root: Any
        _whole: ClassVar[Any] = whole
        _description: ClassVar[str] = (
            f"A decision for all {size} emails of the batch; optional 'members' maps "
            "contact ids (email-1 …) to their own approve/edit/reject."
        )

        @classmethod
        def _rules(cls, raw: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
            top_raw, members_raw = _split_members(raw, size, "their decisions")
            members: dict[str, dict[str, Any]] = {}
            for member_id, decision in members_raw.items():
                problem = size_problem(decision)
                if problem:
                    raise ValueError(f"The decision on {member_id} is too large: {problem}.")
                members[str(member_id)] = one(str(member_id), decision)
            top: dict[str, Any] | None = None
            dialect = dialect_of(raw)
            if top_raw or len(members) < size:
                if isinstance(top_raw, dict) and not top_raw and members:
                    raise ValueError(
                        f"{count(size - len(members), 'contact')} of the batch "
                        f"{'has' if size - len(members) == 1 else 'have'} no decision: give "
                        "one for the whole batch ('type') or one for each contact. Nothing was "
                        "saved."
                    )
                parsed = whole.model_validate(top_raw)
                dialect = parsed.dialect
                top = dump(parsed)
            if top is not None and top["type"] in ("approve", "edit"):
                unseen = sorted(must_decide - set(members))
                if unseen:
                    raise ValueError(
                        f"{count(len(unseen), 'email')} of this batch "
                        f"{'carries' if len(unseen) == 1 else 'carry'} links or contacts you did not "
                        f"give ({', '.join(unseen[:5])}); they are never approved with the rest: "
                        "decide each of them in 'members'. Nothing was saved."
                    )
            result = handler({"top": top, "members": members})
            result._dialect = dialect
            return result

    BatchDecision.__name__ = f"BatchDecision_{action_name}"
    return BatchDecision


TAKE_OUT = "take_out"  # the field Agent Inbox's edit form shows on an audience's hold


def batch_hold_schema(
    action_name: str,
    size: int,
    contact_of: Callable[[str], str | None] | None = None,
    template_args: dict[str, Any] | None = None,
) -> type[DecisionSchema]:
    """The schema of an audience's one hold: the hold's own decision (cancel, send now, release;
    every dialect of `hold_schema`), with the contacts taken out of it:

        {"type": "release", "members": {"email-3": {"type": "cancel", "reason": "…"}}}
                                       those taken out, the rest goes out
        {"members": {"email-3": {"type": "cancel"}}}
                                       those taken out, the rest stays held (the hold asks
                                       again, same release time)
        Agent Inbox: [{"type": "edit", "args": {"args": {…, "take_out": "priya@…, 7"}}}]
                                       the same, for the emails or numbers in `take_out`

    Validated as {"top": hold decision or None, "members": {id: cancel}}; `size`: the
    audience's; `contact_of(token)`: the id (email-<n>) of an email address or a number, or
    None; `template_args`: what the edit form shows besides `take_out` (it may not change)."""
    whole = hold_schema(action_name)
    shown_args = dict(template_args or {})

    def ids_of(text: Any) -> dict[str, dict[str, Any]]:
        if not isinstance(text, str) or not text.strip():
            raise ValueError(
                f"'{TAKE_OUT}' names the contacts to take out: their emails or numbers, "
                f"separated by commas; got {text!r}. Nothing was saved."
            )
        found: dict[str, dict[str, Any]] = {}
        for token in (t.strip() for t in text.replace(";", ",").split(",")):
            if not token:
                continue
            member_id = contact_of(token) if contact_of else None
            if member_id is None:
                raise ValueError(
                    f"{token!r} is no contact of this held audience (expected an email of the "
                    f"audience or a number from 1 to {size}). Nothing was saved."
                )
            found[member_id] = {"type": "cancel", "reason": "Taken out in Agent Inbox"}
        return found

    def from_agent_inbox(raw: Any) -> Any:
        """An Agent Inbox edit of `take_out`: those contacts out, the rest stays held."""
        one = raw[0] if isinstance(raw, list) and len(raw) == 1 else raw
        if not (isinstance(one, dict) and one.get("type") == "edit"):
            return raw
        edited = (one.get("args") or {}).get("args") if isinstance(one.get("args"), dict) else None
        if not isinstance(edited, dict) or TAKE_OUT not in edited:
            return raw
        changed = sorted(k for k, v in edited.items() if k != TAKE_OUT and shown_args.get(k) != v)
        if changed:
            raise ValueError(
                f"On a held audience only '{TAKE_OUT}' can be edited (the emails were approved "
                f"as they are); {changed} changed. Nothing was saved."
            )
        return {"members": ids_of(edited[TAKE_OUT])}

    class BatchHoldDecision(ShownAsWhole):
        root: Any
        _whole: ClassVar[Any] = whole
        _description: ClassVar[str] = (
            "The audience's one hold: cancel (none goes out), send_now or release; "
            "'members' maps contact ids (email-1 …) to {'type': 'cancel'} to take those "
            "contacts out (with a type: the rest goes out; without: the rest stays held)."
        )

        @classmethod
        def _rules(cls, raw: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
            dialect = dialect_of(raw)
            problem = size_problem(raw)
            if problem:
                raise ValueError(f"The decision is too large to be one: {problem}.")
            raw = from_agent_inbox(raw)
            top_raw, members_raw = _split_members(
                raw, size, "{'type': 'cancel'}", f" (email-1 … email-{size})"
            )
            members: dict[str, dict[str, Any]] = {}
            for member_id, decision in members_raw.items():
                n = member_id.rpartition("-")[2] if isinstance(member_id, str) else ""
                if not (
                    isinstance(member_id, str)
                    and member_id.startswith("email-")
                    and n.isdigit()
                    and 1 <= int(n) <= size
                ):
                    raise ValueError(
                        f"{member_id!r} is not a contact of this audience; expected ids email-1 "
                        f"to email-{size}. Nothing was saved."
                    )
                if not isinstance(decision, dict) or decision.get("type") != "cancel":
                    raise ValueError(
                        f"A contact of a held audience can only be taken out: expected "
                        f"{{'type': 'cancel'}} for {member_id}, got {decision!r}. Nothing was "
                        "saved."
                    )
                members[member_id] = dump(Cancel.model_validate(decision))
            top: dict[str, Any] | None = None
            if top_raw != {} or not members:  # members alone: taken out, the rest stays held
                parsed = whole.model_validate(top_raw)
                top = dump(parsed)
                if dialect == "unknown":
                    dialect = parsed.dialect
            result = handler({"top": top, "members": members})
            result._dialect = dialect if dialect != "unknown" else "signoff"
            return result

    BatchHoldDecision.__name__ = f"BatchHoldDecision_{action_name}"
    return BatchHoldDecision
