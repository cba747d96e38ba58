"""The HITL dialects a resume may speak, mapped explicitly onto Signoff's own decisions.

Signoff's own (the runtime, the CLI, the page):
    {"type": "approve", "checked": true} · {"type": "edit", "args": {...}}
    {"type": "revise", "feedback": "..."} · {"type": "reject", "reason": "...", "comment": "..."}
    holds: {"type": "cancel", "reason": "..."} · {"type": "send_now"} · {"type": "release"}

LangChain v1 HITL (`HumanInTheLoopMiddleware`'s `HITLResponse`): `{"decisions": [decision]}`,
one decision per action request; Signoff's requests carry exactly one.
    review:  approve                    → approve (a Signoff extension: `"checked": true`)
             edit + edited_action       → edit with `edited_action.args` (or `.arguments`);
                                          the action's name may not change
             reject + message           → reject, reason = message
    hold:    approve                    → send_now
             reject + message           → cancel, reason = message
             edit                       → refused (cancel it and start again)

Agent Inbox (`HumanResponse`, sent as a one-item list `[{"type", "args"}]`, no interrupt id):
    review:  accept                     → approve (with args that differ from the draft: edit)
             edit, args.args            → edit
             response, args = text      → revise: the text goes back to the writer as feedback
             ignore                     → reject, reason "Ignored in Agent Inbox" (recorded;
                                          nothing goes out)
    hold:    accept                     → send_now
             response, args = text      → cancel, reason = the text
             ignore, edit               → refused: ignoring would drop an approved send with no
                                          record; the hold goes out at its release time unless
                                          someone cancels it

Anything else is refused with what was expected; nothing is saved (LangGraph validates a resume
against the interrupt's `response_schema` before it stores it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

AGENT_INBOX_TYPES = ("accept", "edit", "response", "ignore")
LANGCHAIN_TYPES = ("approve", "edit", "reject")


def dialect_of(raw: Any) -> str:
    """`signoff`, `langchain` or `agent-inbox` (by shape); `unknown` otherwise."""
    if isinstance(raw, dict) and "decisions" in raw:
        return "langchain"
    if isinstance(raw, list):
        return "agent-inbox"
    if isinstance(raw, dict) and raw.get("type") in AGENT_INBOX_TYPES and "args" in raw:
        if raw.get("type") != "edit" or _is_action_request(raw.get("args")):
            return "agent-inbox"
    if isinstance(raw, dict) and "type" in raw:
        return "signoff"
    return "unknown"


def to_signoff(raw: Any, kind: str, action: dict[str, Any]) -> Any:
    """Signoff's decision for a resume in any dialect. Signoff's own shape passes unchanged
    (the schema validates it); a foreign shape that cannot be mapped raises ValueError."""
    dialect = dialect_of(raw)
    if dialect == "langchain":
        return _from_langchain(raw, kind, action)
    if dialect == "agent-inbox":
        return _from_agent_inbox(raw, kind, action)
    return raw


def _one(items: Any, what: str) -> dict[str, Any]:
    if not isinstance(items, list) or len(items) != 1 or not isinstance(items[0], dict):
        raise ValueError(
            f"{what} must hold exactly one decision (Signoff asks about one action per "
            f"interrupt); got {items!r}."
        )
    return items[0]


def _from_langchain(raw: dict[str, Any], kind: str, action: dict[str, Any]) -> dict[str, Any]:
    extra = sorted(set(raw) - {"decisions"})
    if extra:
        raise ValueError(f"A LangChain HITL response holds only 'decisions'; got also {extra}.")
    d = _one(raw["decisions"], "'decisions'")
    kind_of = d.get("type")
    if kind_of not in LANGCHAIN_TYPES:
        raise ValueError(
            f"Unknown LangChain HITL decision {kind_of!r}; expected one of {list(LANGCHAIN_TYPES)}."
        )
    if kind == "hold":
        if kind_of == "approve":
            return {"type": "send_now"}
        if kind_of == "reject":
            return {"type": "cancel", "reason": str(d.get("message") or "")}
        raise ValueError(
            "A held send cannot be edited: approve sends it now, reject cancels it (with a "
            "message as the reason). To change it, cancel it and start the campaign again."
        )
    if kind_of == "approve":
        return {"type": "approve", **({"checked": d["checked"]} if "checked" in d else {})}
    if kind_of == "reject":
        return {"type": "reject", "reason": str(d.get("message") or "Rejected (no reason given)")}
    edited = d.get("edited_action")
    if not isinstance(edited, dict):
        raise ValueError(
            "A LangChain edit needs 'edited_action': {'name': ..., 'args': {...}}; got "
            f"{edited!r}."
        )
    return {"type": "edit", "args": _edited_args(edited, action, "edited_action")}


def _from_agent_inbox(raw: Any, kind: str, action: dict[str, Any]) -> dict[str, Any]:
    r = _one(raw, "An Agent Inbox response list") if isinstance(raw, list) else raw
    kind_of, args = r.get("type"), r.get("args")
    if kind_of not in AGENT_INBOX_TYPES:
        raise ValueError(
            f"Unknown Agent Inbox response {kind_of!r}; expected one of {list(AGENT_INBOX_TYPES)}."
        )
    if kind == "hold":
        if kind_of == "accept":
            return {"type": "send_now"}
        if kind_of == "response":
            return {"type": "cancel", "reason": _text(args, "A response")}
        raise ValueError(
            f"'{kind_of}' does not apply to a held send: it would drop an approved send without a "
            "record. Accept sends it now; respond (with a reason) cancels it; otherwise it goes "
            "out at its release time."
        )
    if kind_of == "accept":
        if _is_action_request(args):
            edited = _edited_args(args, action, "args")
            if edited != action["args"]:
                return {"type": "edit", "args": edited}
        return {"type": "approve"}
    if kind_of == "edit":
        if not _is_action_request(args):
            raise ValueError(
                f"An Agent Inbox edit needs args {{'action': ..., 'args': {{...}}}}; got {args!r}."
            )
        return {"type": "edit", "args": _edited_args(args, action, "args")}
    if kind_of == "response":
        return {"type": "revise", "feedback": _text(args, "A response")}
    return {"type": "reject", "reason": "Ignored in Agent Inbox"}


def _is_action_request(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("args"), dict)


def _edited_args(edited: Any, action: dict[str, Any], where: str) -> dict[str, Any]:
    name = edited.get("name", edited.get("action"))
    if name is not None and name != action["name"]:
        raise ValueError(
            f"An edit may change the action's arguments, not the action: {where} names "
            f"{name!r}, this is {action['name']!r}."
        )
    args = edited.get("args", edited.get("arguments"))
    if not isinstance(args, dict):
        raise ValueError(
            f"{where} needs 'args': the action's arguments as an object; got {args!r}."
        )
    return args


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} needs text in 'args'; got {value!r}.")
    return value.strip()


def human_interrupt(
    kind: str, action: Mapping[str, Any], description: str, allowed: list[str]
) -> dict[str, Any]:
    """Agent Inbox's `HumanInterrupt` fields for one request: what it shows and allows."""
    if kind == "hold":
        config = {"allow_accept": True, "allow_respond": True, "allow_edit": False}
        config["allow_ignore"] = False
    else:
        config = {
            "allow_accept": "approve" in allowed,
            "allow_edit": "edit" in allowed,
            "allow_respond": "revise" in allowed,
            "allow_ignore": "reject" in allowed,
        }
    return {
        "action_request": {"action": action["name"], "args": action["args"]},
        "config": config,
        "description": description,
    }
