"""The graph's own guarantees, driven as LangGraph's server drives it: no Signoff runtime, an
empty Context (only the scripted model), its own checkpointer, resumes by interrupt id.

The data directory of SIGNOFF_HOME holds the decisions, outbox and audit, as it would beside
`langgraph dev`."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fakes import ScriptedChatModel
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.errors import UnknownInterruptError
from langgraph.types import Command
from policy_support import write_policy
from pydantic import ValidationError

from graphs.brief import validate_brief
from graphs.campaign import build_graph
from graphs.services import from_environment
from graphs.state import Context

# A price the fact sheet does not give ($149), for the first draft and both AI review rounds
UNSUPPORTED = {
    "subject": "Half price",
    "body": "The Brightloop 2 now costs $19 today only. Order yours before midnight and keep "
    "your home warm all winter long. Reply to this email, friends.",
    "confidence": 0.9,
}


class Driver:
    """A graph with its own checkpointer, resumed like `langgraph_sdk` resumes it."""

    def __init__(self, model: ScriptedChatModel) -> None:
        self.graph = build_graph(InMemorySaver())
        self.context = Context(model=model)

    def start(self, brief: dict[str, Any]) -> str:
        thread_id = uuid.uuid4().hex
        state = {"brief": validate_brief(brief), "evidence": [], "actions": [], "outcomes": []}
        self.graph.invoke(state, self.config(thread_id), context=self.context)
        return thread_id

    def config(self, thread_id: str) -> Any:
        return {"configurable": {"thread_id": thread_id}}

    def pending(self, thread_id: str) -> dict[str, Any]:
        """{action name: (interrupt id, payload)} of the thread's pending interrupts."""
        state = self.graph.get_state(self.config(thread_id))
        return {i.value["action"]["name"]: (i.id, i.value) for i in state.interrupts}

    def resume(self, thread_id: str, answers: Any) -> None:
        self.graph.invoke(Command(resume=answers), self.config(thread_id), context=self.context)

    def outcomes(self, thread_id: str) -> dict[str, str]:
        values = self.graph.get_state(self.config(thread_id)).values
        return {o["name"]: o["status"] for o in values["outcomes"]}


@pytest.fixture(autouse=True)
def _close_opened():
    yield
    from graphs import services

    for ctx in services._opened.values():
        ctx.store.conn.close()
    services._opened.clear()


@pytest.fixture
def driver(home, model) -> Driver:
    return Driver(model)


@pytest.fixture
def held_home(home, tmp_path, monkeypatch):
    """The shipped policy: an approved email is held 300 s."""
    from graphs.policy import DEFAULT_POLICY

    monkeypatch.setenv("SIGNOFF_POLICY", str(DEFAULT_POLICY))
    return home


def test_payload_speaks_langchain_hitl_and_agent_inbox(driver, brief, connector_calls):
    thread_id = driver.start(brief)
    _, email = driver.pending(thread_id)["send_email"]
    [request] = email["action_requests"]
    assert request["arguments"] == request["args"] == email["action"]["args"]
    assert email["review_configs"][0]["allowed_decisions"] == email["allowed_decisions"]
    assert email["action_request"] == {"action": "send_email", "args": email["action"]["args"]}
    assert email["config"] == {
        "allow_accept": True,
        "allow_edit": True,
        "allow_respond": True,
        "allow_ignore": True,
    }
    assert email["description"].startswith("Send email")
    assert email["expires_at"] is not None
    assert connector_calls == []


def test_each_dialect_is_recorded_and_audited_inside_the_graph(driver, brief, connector_calls):
    brief["channels"] = ["email", "social"]
    thread_id = driver.start(brief)
    pending = driver.pending(thread_id)
    email_id, email = pending["send_email"]
    post_id, _ = pending["publish_post"]
    edited = {**email["action"]["args"], "subject": "Warmer for less"}
    driver.resume(
        thread_id,
        {
            email_id: {
                "decisions": [
                    {"type": "edit", "edited_action": {"name": "send_email", "args": edited}}
                ]
            },
            post_id: [{"type": "ignore", "args": None}],  # Agent Inbox
        },
    )
    assert driver.outcomes(thread_id) == {"send_email": "executed", "publish_post": "rejected"}
    assert connector_calls == [("send_email", edited)]
    store = from_environment().store
    by_id = {d["interrupt_id"]: d for d in store.decisions(thread_id)}
    assert by_id[email_id]["decision"] == {"type": "edit", "args": edited}
    assert by_id[email_id]["by"] == "langchain-hitl" and by_id[email_id]["applied_at"]
    assert by_id[post_id]["decision"] == {
        "type": "reject",
        "reason": "Ignored in Agent Inbox",
        "comment": "",
    }
    audit = store.audit_log(thread_id, oldest_first=True)
    recorded = {e["detail"]["interrupt_id"]: e for e in audit if e["event"] == "decision.recorded"}
    assert recorded[email_id]["detail"]["dialect"] == "langchain"
    assert '+ "subject": "Warmer for less"' in recorded[email_id]["detail"]["diff"]
    assert recorded[post_id]["detail"]["dialect"] == "agent-inbox"
    events = [e["event"] for e in audit]
    assert events.count("action.routed") == 2 and events.count("action.executed") == 1
    assert all(e["policy_version"] for e in audit), [e["event"] for e in audit]
    assert store.verify_audit()["ok"]


def test_a_bad_decision_is_refused_before_it_is_stored(driver, brief, connector_calls):
    driver.context.model = ScriptedChatModel(script=[UNSUPPORTED] * 3)
    brief["channels"] = ["email"]
    thread_id = driver.start(brief)
    email_id, email = driver.pending(thread_id)["send_email"]
    assert email["needs_check"]
    for bad in (
        {"type": "approve"},
        {"decisions": [{"type": "approve"}]},
        [{"type": "accept", "args": None}],
        {"type": "reject", "reason": "x" * 501},
        {"type": "edit", "args": {"subject": ""}},
    ):
        with pytest.raises(ValidationError):
            driver.resume(thread_id, {email_id: bad})
        assert email_id in {i for i, _ in driver.pending(thread_id).values()}  # not stuck
    with pytest.raises(ValidationError, match="checked=true"):
        driver.resume(thread_id, {email_id: {"type": "approve"}})
    assert from_environment().store.decision(email_id) is None
    assert connector_calls == []
    driver.resume(thread_id, {email_id: {"decisions": [{"type": "approve", "checked": True}]}})
    assert driver.outcomes(thread_id) == {"send_email": "executed"}
    assert len(connector_calls) == 1


def test_a_second_decision_on_a_consumed_interrupt_is_refused(driver, brief, connector_calls):
    brief["channels"] = ["email", "social"]
    thread_id = driver.start(brief)
    email_id, _ = driver.pending(thread_id)["send_email"]
    driver.resume(thread_id, {email_id: {"type": "approve"}})
    with pytest.raises(UnknownInterruptError, match="already-consumed"):
        driver.resume(thread_id, {email_id: {"type": "reject", "reason": "late"}})
    assert [c[0] for c in connector_calls] == ["send_email"]
    assert from_environment().store.decision(email_id)["decision"]["type"] == "approve"


def test_response_goes_back_to_the_writer(driver, brief, connector_calls):
    brief["channels"] = ["email"]
    thread_id = driver.start(brief)
    email_id, _ = driver.pending(thread_id)["send_email"]
    driver.resume(thread_id, {email_id: [{"type": "response", "args": "Mention the price"}]})
    redraft_id, redraft = driver.pending(thread_id)["send_email"]
    assert redraft_id != email_id and redraft["revision"] == 1
    assert redraft["feedback"] == ["Mention the price"]
    assert connector_calls == []


def test_a_hold_is_reviewable_and_ignore_never_drops_it(held_home, driver, brief, connector_calls):
    brief["channels"] = ["email"]
    thread_id = driver.start(brief)
    email_id, _ = driver.pending(thread_id)["send_email"]
    driver.resume(thread_id, [{"type": "accept", "args": None}])  # Agent Inbox: no interrupt id
    hold_id, hold = driver.pending(thread_id)["send_email"]
    assert hold["kind"] == "hold" and hold_id != email_id
    assert hold["config"] == {
        "allow_accept": True,
        "allow_respond": True,
        "allow_edit": False,
        "allow_ignore": False,
    }
    assert hold["review_configs"][0]["allowed_decisions"] == ["approve", "reject"]
    assert "goes out at" in hold["description"]
    with pytest.raises(ValidationError, match="would drop an approved send"):
        driver.resume(thread_id, [{"type": "ignore", "args": None}])
    with pytest.raises(ValidationError, match="cannot be edited"):
        driver.resume(thread_id, {"decisions": [{"type": "edit", "edited_action": {"args": {}}}]})
    assert connector_calls == []
    driver.resume(thread_id, {hold_id: [{"type": "accept", "args": None}]})  # send now
    assert driver.outcomes(thread_id) == {"send_email": "executed"}
    store = from_environment().store
    held = [e for e in store.audit_log(thread_id) if e["event"] == "hold.send_now"]
    assert held and held[0]["actor"] == "agent-inbox"


def test_a_refused_resume_without_id_never_answers_the_next_interrupt(
    held_home, driver, brief, connector_calls
):
    """LangGraph keeps a refused resume that named no interrupt; the hold reached after the
    next (valid) decision must not take it as a "send now" nobody gave."""
    driver.context.model = ScriptedChatModel(script=[UNSUPPORTED] * 3)
    brief["channels"] = ["email"]
    thread_id = driver.start(brief)
    email_id, _ = driver.pending(thread_id)["send_email"]
    with pytest.raises(ValidationError, match="checked=true"):
        driver.resume(thread_id, [{"type": "accept", "args": None}])  # Agent Inbox, no id
    driver.resume(thread_id, {email_id: {"type": "approve", "checked": True}})
    hold_id, hold = driver.pending(thread_id)["send_email"]
    assert hold["kind"] == "hold" and connector_calls == []
    assert driver.outcomes(thread_id) == {}
    store = from_environment().store
    assert [i["interrupt_id"] for i in store.inbox(thread_id, kind="hold")] == [hold_id]
    driver.resume(thread_id, {hold_id: {"type": "cancel", "reason": "changed my mind"}})
    assert driver.outcomes(thread_id) == {"send_email": "cancelled"} and connector_calls == []
    events = [e["event"] for e in store.audit_log(thread_id, oldest_first=True)]
    assert events == [
        "action.routed",
        "action.proposed",
        "decision.recorded",
        "action.held",
        "hold.cancel",
    ]


def test_ad_budget_of_the_policy_applies_without_the_runtime(driver, brief, connector_calls):
    brief.update(channels=["ads"], ad_budget=150)
    thread_id = driver.start(brief)
    spend_id, spend = driver.pending(thread_id)["spend_ads"]
    assert "approve" in spend["allowed_decisions"]
    driver.resume(thread_id, {spend_id: {"type": "approve"}})
    assert driver.outcomes(thread_id) == {"spend_ads": "executed"}, driver.graph.get_state(
        driver.config(thread_id)
    ).values["outcomes"]
    settings = from_environment().settings
    assert settings.ads_daily_budget == 200.0 and settings.ads_campaign_budget == 1000.0


def test_hold_policy_budget_override(home, tmp_path, monkeypatch):
    """A policy with other limits gives the connectors other limits (one loader for all)."""
    path = write_policy(
        tmp_path / "p.yaml",
        spend_ads={"limits": {"currency": "EUR", "budget_per_day": 50, "budget_per_campaign": 60}},
    )
    monkeypatch.setenv("SIGNOFF_POLICY", str(path))
    settings = from_environment().settings
    assert (settings.ads_daily_budget, settings.ads_campaign_budget) == (50.0, 60.0)


def test_an_edit_is_checked_like_a_draft_whoever_resumes(driver, brief, connector_calls):
    """A new recipient, a link from nowhere or a spend over the budget, edited in through
    LangGraph's server: refused by the interrupt's schema, never stored, the thread not stuck."""
    brief["channels"] = ["email", "ads"]
    brief["ad_budget"] = 150
    thread_id = driver.start(brief)
    email_id, email = driver.pending(thread_id)["send_email"]
    spend_id, _ = driver.pending(thread_id)["spend_ads"]
    for bad, why in (
        ({"type": "edit", "args": {"to": "someone@elsewhere.example"}}, "new recipient"),
        ({"type": "edit", "args": {"body": "Buy at evil.example now."}}, "evil.example"),
    ):
        with pytest.raises(ValidationError, match=why):
            driver.resume(thread_id, {email_id: bad})
    with pytest.raises(ValidationError, match="budget"):
        driver.resume(thread_id, {spend_id: {"type": "edit", "args": {"amount": 250}}})
    store = from_environment().store
    assert store.decision(email_id) is None and store.decision(spend_id) is None
    assert connector_calls == []
    edited = email["action"]["args"]["body"] + " See you soon."
    driver.resume(
        thread_id,
        {
            email_id: {"type": "edit", "args": {"body": edited}},
            spend_id: {"type": "edit", "args": {"amount": 120}},
        },
    )
    assert driver.outcomes(thread_id) == {"send_email": "executed", "spend_ads": "executed"}
