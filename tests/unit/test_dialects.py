"""Each HITL dialect maps explicitly onto Signoff's decisions (graphs/dialects.py), and the
interrupt's response schema holds every rule (graphs/response_schema.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from graphs.dialects import dialect_of, to_signoff
from graphs.response_schema import hold_schema, review_schema
from tools.base import Settings

EMAIL = {
    "name": "send_email",
    "args": {"to": "ann@example.com", "subject": "Hello", "body": "Brightloop saves energy [1]."},
}
EDITED = {**EMAIL["args"], "subject": "Warmer for less"}


@pytest.mark.parametrize(
    ("raw", "dialect", "review", "hold"),
    [
        ({"type": "approve"}, "signoff", {"type": "approve"}, {"type": "approve"}),
        (
            {"decisions": [{"type": "approve"}]},
            "langchain",
            {"type": "approve"},
            {"type": "send_now"},
        ),
        (
            {"decisions": [{"type": "reject", "message": "Not now"}]},
            "langchain",
            {"type": "reject", "reason": "Not now"},
            {"type": "cancel", "reason": "Not now"},
        ),
        (
            {
                "decisions": [
                    {"type": "edit", "edited_action": {"name": "send_email", "arguments": EDITED}}
                ]
            },
            "langchain",
            {"type": "edit", "args": EDITED},
            None,
        ),
        (
            [{"type": "accept", "args": None}],
            "agent-inbox",
            {"type": "approve"},
            {"type": "send_now"},
        ),
        (
            [{"type": "accept", "args": {"action": "send_email", "args": EDITED}}],
            "agent-inbox",
            {"type": "edit", "args": EDITED},
            {"type": "send_now"},
        ),
        (
            [{"type": "edit", "args": {"action": "send_email", "args": EDITED}}],
            "agent-inbox",
            {"type": "edit", "args": EDITED},
            None,
        ),
        (
            [{"type": "response", "args": "Shorter please"}],
            "agent-inbox",
            {"type": "revise", "feedback": "Shorter please"},
            {"type": "cancel", "reason": "Shorter please"},
        ),
        (
            [{"type": "ignore", "args": None}],
            "agent-inbox",
            {"type": "reject", "reason": "Ignored in Agent Inbox"},
            None,
        ),
    ],
)
def test_each_dialect_maps_explicitly(raw, dialect, review, hold):
    assert dialect_of(raw) == dialect
    assert to_signoff(raw, "review", EMAIL) == review
    if hold is None:
        with pytest.raises(ValueError):
            to_signoff(raw, "hold", EMAIL)
    elif dialect != "signoff":
        assert to_signoff(raw, "hold", EMAIL) == hold


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"decisions": []}, "exactly one decision"),
        ({"decisions": [{"type": "approve"}, {"type": "approve"}]}, "exactly one decision"),
        ({"decisions": [{"type": "respond"}]}, "Unknown LangChain HITL decision"),
        (
            {
                "decisions": [
                    {"type": "edit", "edited_action": {"name": "publish_post", "args": {}}}
                ]
            },
            "not the action",
        ),
        ([{"type": "response", "args": "  "}], "needs text"),
        ([{"type": "edit", "args": {"action": "send_email"}}], "needs args"),
    ],
)
def test_foreign_shapes_that_cannot_map_say_what_was_expected(raw, message):
    with pytest.raises(ValueError, match=message):
        to_signoff(raw, "review", EMAIL)


def _validate(schema, raw):
    return TypeAdapter(schema).validate_python(raw)


def test_the_review_schema_holds_every_rule(tmp_path: Path):
    settings = Settings(home=tmp_path)
    schema = review_schema("send_email", EMAIL["args"], ["edit", "revise", "reject"], [], settings)
    with pytest.raises(ValidationError, match="not a choice for this item"):
        _validate(schema, {"type": "approve"})  # over a hard limit: approve is not offered
    partial = _validate(schema, {"type": "edit", "args": {"subject": "Warmer for less"}})
    assert partial.root.args.model_dump(exclude_none=True) == EDITED  # laid over the draft
    assert partial.dialect == "signoff"
    with pytest.raises(ValidationError):
        _validate(schema, {"type": "revise", "feedback": "x" * 4001})
    with pytest.raises(ValidationError):
        _validate(schema, {"type": "reject", "reason": ""})
    assert _validate(schema, {"type": "expire"}).root.type == "expire"  # the scheduler's

    checked = review_schema("send_email", EMAIL["args"], ["approve"], ["It cures colds"], None)
    with pytest.raises(ValidationError, match="It cures colds"):
        _validate(checked, [{"type": "accept", "args": None}])
    ok = _validate(checked, {"decisions": [{"type": "approve", "checked": True}]})
    assert ok.root.checked is True and ok.dialect == "langchain"


def test_an_edit_must_pass_the_connector_in_use(tmp_path: Path, monkeypatch):
    import dataclasses

    from tools import registry

    tool = registry.TOOLS["publish_post"]
    monkeypatch.setitem(
        registry.TOOLS,
        "publish_post",
        dataclasses.replace(tool, limits={"feed": {"max_chars": 40}}),
    )
    post = {"text": "Brightloop 2 is here [1]."}
    schema = review_schema("publish_post", post, ["approve", "edit"], [], Settings(home=tmp_path))
    with pytest.raises(ValidationError, match="feed allows at most 40"):
        _validate(schema, {"type": "edit", "args": {"text": "x" * 60}})
    assert _validate(schema, {"type": "edit", "args": {"text": "Short [1]."}}).root.type == "edit"


def test_the_hold_schema_takes_cancel_send_now_and_release():
    schema = hold_schema("send_email")
    assert _validate(schema, {"type": "release"}).root.type == "release"
    assert _validate(schema, [{"type": "accept", "args": None}]).root.type == "send_now"
    with pytest.raises(ValidationError, match="not a choice for a held send"):
        _validate(schema, {"type": "approve"})
    with pytest.raises(ValidationError, match="would drop an approved send"):
        _validate(schema, [{"type": "ignore", "args": None}])
