"""The gate's review schema is one class per action type and allowed decisions, shared by every
draft (the draft's own rules are bound while it asks), and a pause shows the same JSON schema
as the class would (graphs/response_schema.py `review_decision`, `bound`, `for_interrupt`)."""

from __future__ import annotations

import pytest
from langgraph.types import Command
from pydantic import TypeAdapter, ValidationError

from graphs.response_schema import bound, hold_schema, review_decision, review_schema

ARGS_A = {"to": "ann@example.com", "subject": "Hello", "body": "Brightloop saves energy."}
ARGS_B = {"to": "bob@example.com", "subject": "Hi", "body": "It cures colds."}
ALLOWED = ["approve", "edit", "revise", "reject"]


def test_every_draft_shares_one_class_and_keeps_its_own_rules():
    a, rules_a = review_decision("send_email", ARGS_A, ALLOWED, [], None)
    b, rules_b = review_decision("send_email", ARGS_B, ALLOWED, ["It cures colds."], None)
    assert a is b
    with bound(rules_a):  # no unsupported claim: a plain approval passes
        assert a.model_validate({"type": "approve"}).root.type == "approve"
        edited = a.model_validate({"type": "edit", "args": {"subject": "New"}}).root
        assert edited.args.model_dump()["to"] == "ann@example.com"  # laid over draft A
    with bound(rules_b):  # draft B's unsupported claim needs checked=true
        with pytest.raises(ValidationError, match="checked=true"):
            b.model_validate({"type": "approve"})
        assert b.model_validate({"type": "approve", "checked": True}).root.checked
        edited = b.model_validate({"type": "edit", "args": {"subject": "New"}}).root
        assert edited.args.model_dump()["to"] == "bob@example.com"


def test_a_bound_class_validates_on_its_own_as_before():
    schema = review_schema("send_email", ARGS_B, ALLOWED, ["It cures colds."], None)
    with pytest.raises(ValidationError, match="checked=true"):
        schema.model_validate({"type": "approve"})
    shared, _ = review_decision("send_email", ARGS_B, ALLOWED, [], None)
    assert TypeAdapter(schema).json_schema() == TypeAdapter(shared).json_schema()


def test_the_hold_schema_is_one_class_per_action_type():
    assert hold_schema("send_email") is hold_schema("send_email")
    assert hold_schema("publish_post") is not hold_schema("send_email")
    assert hold_schema("send_email").model_validate({"type": "send_now"}).root.type == "send_now"


def test_a_pause_shows_the_classes_json_schema_and_a_resume_is_still_validated(signoff, brief):
    pending = signoff.start(brief)["pending"]
    email = next(p for p in pending if p["action"] == "send_email")
    config = {"configurable": {"thread_id": email["thread_id"]}}
    [shown] = [i for i in signoff.graph.get_state(config).interrupts if i.id == email["id"]]
    shared, _ = review_decision("send_email", email["args"], email["allowed_decisions"], [], None)
    assert shown.response_schema == TypeAdapter(shared).json_schema()
    with pytest.raises(Exception, match="validation error"):  # refused before it is stored
        signoff.graph.invoke(
            Command(resume={email["id"]: {"type": "approve", "extra": 1}}),
            config,
            context=signoff.context,
        )
    assert email["id"] in {i.id for i in signoff.graph.get_state(config).interrupts}
    signoff.decide(email["id"], {"type": "approve", "checked": True}, by="ann")
    assert email["id"] not in {p["id"] for p in signoff.pending()}
    assert signoff.store.decision(email["id"]) is not None


def test_a_paused_interrupts_schema_is_a_fresh_copy_of_its_json_form():
    """`for_interrupt` hands each pause its own copy (the interrupt keeps it), equal to the JSON
    form of the class's schema."""
    import json
    import marshal

    from graphs.response_schema import _frozen

    shared, _ = review_decision("send_email", {}, ["approve", "reject"], [], None)
    schema = TypeAdapter(shared).json_schema()
    kept = _frozen(schema)
    one, two = marshal.loads(kept), marshal.loads(kept)
    assert one == two == json.loads(json.dumps(schema))
    one["title"] = "changed by a caller"
    assert marshal.loads(kept) == two and two["title"] != "changed by a caller"
