"""An audience batch: ONE interrupt and ONE hold for the whole audience (graphs/batch.py), its
contacts in the inbox index a page at a time (graphs/runtime/batches.py), approve-all as one
decision, per-contact exceptions, one send per contact through the outbox, exactly once."""

from __future__ import annotations

import mailbox
import os
import signal
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest
from fakes import ScriptedChatModel
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from policy_support import Clock, write_policy
from pydantic import ValidationError

from graphs.batch import member_args
from graphs.batch_schema import batch_schema
from graphs.brief import validate_brief
from graphs.campaign import build_graph
from graphs.errors import AlreadyDecided, InvalidDecision
from graphs.runtime import Signoff
from graphs.state import Context

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
CONTACTS = [{"email": f"p{i}@example.com", "name": f"Pat{i} Lee"} for i in range(1, 13)]


def messages(home: Path) -> list[Any]:
    path = home / "maildir"
    return list(mailbox.Maildir(str(path), create=False)) if path.exists() else []


def recipients(home: Path) -> list[str]:
    return sorted(str(m["To"]) for m in messages(home))


def start_batch(runtime: Signoff, brief: dict[str, str], contacts: list[dict[str, str]]) -> str:
    return str(runtime.start({**brief, "channels": ["email"]}, audience=contacts)["thread_id"])


@pytest.fixture
def held(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shipped policy: an approved email is held 300 s."""
    monkeypatch.setenv("SIGNOFF_POLICY", str(write_policy(tmp_path / "held.yaml")))
    return home


@pytest.mark.usefixtures("database")  # on SQLite and PostgreSQL
def test_one_interrupt_and_one_hold_for_the_whole_audience(held: Path, brief: dict[str, str]):
    clock = Clock()
    with Signoff(held, model=ScriptedChatModel(), clock=clock) as runtime:
        thread = start_batch(runtime, brief, CONTACTS)
        state = runtime.graph.get_state(runtime._config(thread))
        [batch] = state.interrupts  # one interrupt, not one per contact
        assert batch.value["kind"] == "batch" and batch.value["batch_size"] == len(CONTACTS)
        assert len(batch.value["sample"]) == 3
        assert len(state.tasks) == 1  # one branch waits, not one per contact
        # the person still sees every contact's email, a page at a time, from the index
        assert runtime.pending_count(campaign=thread) == len(CONTACTS)
        page = runtime.batch_items(thread, "audience", limit=5, offset=5)
        assert [i["args"]["to"] for i in page] == [c["email"] for c in CONTACTS[5:10]]
        assert page[0]["args"]["body"].startswith("Hi Pat6,")
        assert page[0]["claim_checks"] == batch.value["claim_checks"]  # shared, from the batch
        [entry] = runtime.inbox_page(1, 20, campaign=thread)["items"]
        assert entry["open"] == len(CONTACTS)
        template = runtime.batch_template(thread, "audience")
        assert template is not None and template["batch_size"] == len(CONTACTS)

        result = runtime.decide_batch(thread, "audience", {"type": "approve"}, by="ann")
        assert len(result["decisions"]) == len(CONTACTS)
        [decided] = runtime.store.decisions(thread)  # ONE decision, not one per contact
        assert decided["interrupt_id"] == batch.id and decided["decision"]["type"] == "approve"
        assert runtime.pending_count(campaign=thread) == 0
        with pytest.raises(AlreadyDecided, match="ann"):
            runtime.decide(f"{batch.id}-3", {"type": "approve"})
        [hold] = runtime.holds()  # one hold for the batch
        assert hold["title"] == f"Send email × {len(CONTACTS)}"
        assert messages(held) == []
        clock.advance(301)
        assert runtime.tick()["released"] == [hold["id"]]
        assert recipients(held) == sorted(c["email"] for c in CONTACTS)
        done = [r for r in runtime.store.outbox(thread) if r["status"] == "done"]
        assert len({r["key"] for r in done}) == len(CONTACTS)  # a key per contact
        outcomes = runtime.campaign(thread)["outcomes"]
        [summary] = [o for o in outcomes if o["action_id"] == "email-batch"]
        assert summary["detail"]["executed"] == len(CONTACTS)
        assert runtime.store.campaign(thread)["status"] == "done"


def test_cancel_the_batch_hold_sends_nothing(held: Path, brief: dict[str, str]):
    with Signoff(held, model=ScriptedChatModel()) as runtime:
        thread = start_batch(runtime, brief, CONTACTS[:4])
        runtime.decide_batch(thread, "audience", {"type": "approve"})
        [hold] = runtime.holds()
        runtime.cancel(hold["id"], reason="Wrong week")
        assert runtime.holds() == [] and messages(held) == []
        [cancelled] = [
            o for o in runtime.campaign(thread)["outcomes"] if o["action_id"] == "email-batch"
        ]
        assert cancelled["status"] == "cancelled" and cancelled["detail"]["contacts"] == 4


@pytest.mark.usefixtures("database")
def test_a_sample_s_own_decisions_are_exceptions_to_the_rest(
    signoff: Signoff, brief: dict[str, str], home: Path
):
    thread = start_batch(signoff, brief, CONTACTS[:6])
    ids = signoff.batch_ids(thread, "audience")
    first, second, third = ids[:3]
    signoff.decide(first, {"type": "reject", "reason": "Wrong audience"})
    signoff.decide(second, {"type": "edit", "args": {"subject": "Pat2, a warmer home"}})
    signoff.decide_batch(thread, "audience", {"type": "approve"}, exclude=[third])
    assert messages(home) == []  # one draft of the sample is still open
    assert [p["id"] for p in signoff.pending()] == [third]
    signoff.decide(third, {"type": "approve"})
    subjects = {str(m["To"]): str(m["Subject"]) for m in messages(home)}
    assert sorted(subjects) == sorted(c["email"] for c in CONTACTS[1:6])
    assert subjects["p2@example.com"] == "Pat2, a warmer home"
    outcomes = {o["action_id"]: o["status"] for o in signoff.campaign(thread)["outcomes"]}
    assert outcomes["email-1"] == "rejected"
    assert signoff.store.unapplied() == []


def test_reject_all_is_one_outcome_and_no_send(signoff: Signoff, brief: dict[str, str], home: Path):
    thread = start_batch(signoff, brief, CONTACTS)
    signoff.decide_batch(thread, "audience", {"type": "reject", "reason": "Off-brand"})
    assert messages(home) == [] and signoff.pending() == []
    [outcome] = signoff.campaign(thread)["outcomes"]
    assert outcome["status"] == "rejected" and outcome["detail"]["contacts"] == len(CONTACTS)


def test_one_contact_s_failed_send_is_that_contact_s_outcome(
    signoff: Signoff, brief: dict[str, str], home: Path, monkeypatch: pytest.MonkeyPatch
):
    import tools.email
    from tools.base import ConnectorError

    real = tools.email._deliver_maildir

    def flaky(msg: Any, key: str, settings: Any) -> Any:
        if msg["To"] == "p3@example.com":
            raise ConnectorError("The server refused p3@example.com", retryable=False)
        return real(msg, key, settings)

    monkeypatch.setattr(tools.email, "_deliver_maildir", flaky)
    thread = start_batch(signoff, brief, CONTACTS[:5])
    signoff.decide_batch(thread, "audience", {"type": "approve"})
    assert len(messages(home)) == 4
    outcomes = signoff.campaign(thread)["outcomes"]
    assert {o["action_id"]: o["status"] for o in outcomes if o["status"] != "executed"} == {
        "email-3": "failed"
    }
    [summary] = [o for o in outcomes if o["action_id"] == "email-batch"]
    assert summary["detail"] == {"contacts": 5, "executed": 4, "failed": 1, "in_doubt": 0}
    [failed] = signoff.failed()
    assert failed["args"]["to"] == "p3@example.com"


CRASH = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, {tests!r})
    from fakes import ScriptedChatModel
    from graphs.runtime import Signoff
    runtime = Signoff(os.environ["SIGNOFF_HOME"], model=ScriptedChatModel())
    runtime.decide_batch(sys.argv[1], "audience", {{"type": "approve"}}, by="crashy")
    """
).format(tests=str(TESTS))


@pytest.mark.parametrize("senders", ["1", "4"])
def test_a_process_killed_mid_batch_resumes_without_resending(
    home: Path, brief: dict[str, str], senders: str
):
    # twice the usual audience: the kill at the 7th send must leave sends to do even when, on a
    # loaded machine, the other senders deliver several more before the kill lands (with 12
    # contacts and 4 senders all 12 once went out first)
    contacts = [{"email": f"p{i}@example.com", "name": f"Pat{i} Lee"} for i in range(1, 25)]
    with Signoff(home, model=ScriptedChatModel()) as seed:
        thread = start_batch(seed, brief, contacts)
    env = {
        **os.environ,
        "SIGNOFF_HOME": str(home),
        "PYTHONPATH": str(ROOT),
        "SIGNOFF_CRASH_AT": "after_connector:7",  # the 7th email went out, unrecorded
        "SIGNOFF_BATCH_SENDERS": senders,
    }
    proc = subprocess.run([sys.executable, "-c", CRASH, thread], env=env, cwd=ROOT, timeout=180)
    assert proc.returncode == -signal.SIGKILL
    sent_before = len(messages(home))
    assert 7 <= sent_before < len(contacts)
    with Signoff(home, model=ScriptedChatModel()) as restarted:  # recovery runs on start-up
        assert restarted.store.unapplied() == []
        done = [r for r in restarted.store.outbox(thread) if r["status"] == "done"]
        status = restarted.store.campaign(thread)["status"]
    assert recipients(home) == sorted(c["email"] for c in contacts)  # each exactly once
    assert len(done) == len(contacts) and status == "done"


# -- the batch's response schema, whoever resumes --------------------------------------------
TEMPLATE = {"to": "p1@example.com", "subject": "Warmer", "body": "Hello, Brightloop saves."}
AUDIENCE = [{"email": "p1@example.com", "name": "Pat"}, {"email": "q@example.com", "name": "Q"}]


def schema(flagged: list[str] = (), unsupported: list[str] = ()) -> Any:  # type: ignore[assignment]
    from graphs.batch import args_of

    return batch_schema(
        "send_email",
        TEMPLATE,
        ["approve", "edit", "revise", "reject"],
        list(unsupported),
        None,
        None,
        len(AUDIENCE),
        list(flagged),
        lambda action_id: args_of(TEMPLATE, AUDIENCE, action_id),
    )


@pytest.mark.parametrize(
    ("raw", "top"),
    [
        ({"type": "approve"}, {"type": "approve", "checked": False}),
        ([{"type": "accept", "args": None}], {"type": "approve", "checked": False}),  # Agent Inbox
        ({"decisions": [{"type": "approve"}]}, {"type": "approve", "checked": False}),  # LangChain
        (
            [{"type": "ignore", "args": None}],
            {"type": "reject", "reason": "Ignored in Agent Inbox", "comment": ""},
        ),
    ],
)
def test_every_dialect_decides_the_whole_batch(raw: Any, top: dict[str, Any]):
    parsed = schema().model_validate(raw)
    assert parsed.root == {"top": top, "members": {}}


def test_the_batch_schema_refuses_what_cannot_be_applied():
    with pytest.raises(ValidationError, match="not a contact of this batch"):
        schema().model_validate({"type": "approve", "members": {"email-9": {"type": "approve"}}})
    with pytest.raises(ValidationError, match="never approved with the rest"):
        schema(flagged=["email-2"]).model_validate({"type": "approve"})
    ok = schema(flagged=["email-2"]).model_validate(
        {"type": "approve", "members": {"email-2": {"type": "reject", "reason": "Link"}}}
    )
    assert ok.root["members"]["email-2"]["type"] == "reject"
    with pytest.raises(ValidationError, match="checked"):
        schema(unsupported=["It costs $19."]).model_validate({"type": "approve"})
    with pytest.raises(ValidationError, match="not a choice for one contact"):
        schema().model_validate({"type": "approve", "members": {"email-1": {"type": "revise"}}})
    with pytest.raises(ValidationError, match="has no decision"):
        schema().model_validate({"members": {"email-1": {"type": "approve"}}})
    edited = schema().model_validate(
        {"members": {"email-1": {"type": "approve"}, "email-2": {"type": "edit", "args": {}}}}
    )
    assert edited.root["top"] is None
    assert edited.root["members"]["email-2"]["args"]["to"] == "q@example.com"


def test_a_batch_under_langgraph_s_server_is_one_item_and_accept_approves_all(
    held: Path, brief: dict[str, str]
):
    """Driven as `langgraph dev` drives it (no runtime, its own checkpointer): one interrupt,
    Agent Inbox's accept = approve all, recorded in the data directory's decisions."""
    from graphs import services

    graph = build_graph(InMemorySaver())
    context = Context(model=ScriptedChatModel())
    config: Any = {"configurable": {"thread_id": uuid.uuid4().hex}}
    state = {
        "brief": validate_brief({**brief, "channels": ["email"]}),
        "evidence": [],
        "actions": [],
        "outcomes": [],
        "audience": CONTACTS[:5],
    }
    try:
        graph.invoke(state, config, context=context)
        [batch] = graph.get_state(config).interrupts
        assert batch.value["action_request"]["action"] == "send_email"
        assert "to 5 contacts" in batch.value["description"]
        graph.invoke(
            Command(resume={batch.id: [{"type": "accept", "args": None}]}), config, context=context
        )
        [hold] = graph.get_state(config).interrupts
        assert hold.value["kind"] == "hold" and hold.value["title"] == "Send email × 5"
        assert messages(held) == []
        graph.invoke(
            Command(resume={hold.id: [{"type": "accept", "args": None}]}), config, context=context
        )
        assert len(messages(held)) == 5
        store = services.from_environment().store
        thread_id = config["configurable"]["thread_id"]
        [decision] = [d for d in store.decisions(thread_id) if d["interrupt_id"] == batch.id]
        assert decision["decision"]["type"] == "approve"
    finally:
        for ctx in services._opened.values():
            ctx.store.conn.close()
        services._opened.clear()


def test_member_args_greets_by_first_name_only():
    args = member_args(
        {"body": "Hello, friend.", "subject": "S"}, {"email": "a@b.example", "name": "Ann Lee"}
    )
    assert args == {"body": "Hi Ann, friend.", "subject": "S", "to": "a@b.example"}


def test_a_bad_batch_decision_saves_nothing(signoff: Signoff, brief: dict[str, str]):
    thread = start_batch(signoff, brief, CONTACTS[:3])
    with pytest.raises(InvalidDecision):
        signoff.decide_batch(thread, "audience", {"type": "reject"})  # no reason
    assert signoff.store.decisions(thread) == [] and signoff.pending_count() == 3


def test_a_contact_taken_out_under_langgraph_s_server_goes_with_the_hold_that_asks_again(
    held: Path, brief: dict[str, str]
):
    """Under `langgraph dev` a contact taken out alone (Agent Inbox's `take_out`) makes the
    audience's hold ask again under a new interrupt id. The hold it replaced is not left
    waiting beside it (`signoff holds` lists ONE hold for the audience, with its contact taken
    out), the take-out moves to the new id with an audit entry tying the two, and the release
    of the hold that asks now sends the rest."""
    from graphs import services

    graph = build_graph(InMemorySaver())
    context = Context(model=ScriptedChatModel())
    thread_id = uuid.uuid4().hex
    config: Any = {"configurable": {"thread_id": thread_id}}
    state = {
        "brief": validate_brief({**brief, "channels": ["email"]}),
        "evidence": [],
        "actions": [],
        "outcomes": [],
        "audience": CONTACTS[:4],
    }
    try:
        graph.invoke(state, config, context=context)
        [batch] = graph.get_state(config).interrupts
        accept = [{"type": "accept", "args": None}]
        graph.invoke(Command(resume={batch.id: accept}), config, context=context)
        [first] = graph.get_state(config).interrupts
        form = dict(first.value["action_request"]["args"])
        take_out = {"action": "send_email", "args": {**form, "take_out": "p2@example.com"}}
        graph.invoke(
            Command(resume={first.id: [{"type": "edit", "args": take_out}]}),
            config,
            context=context,
        )
        [again] = graph.get_state(config).interrupts
        assert again.id != first.id and again.value["batch_size"] == 3
        with Signoff(held, model=ScriptedChatModel()) as runtime:
            holds = [h for h in runtime.holds() if h["thread_id"] == thread_id]
            assert [h["id"] for h in holds] == [again.id], holds  # not the replaced one beside
            assert holds[0]["taken_out"] == 1, holds  # its contact taken out, under its id
            cancels = runtime.store.decisions(thread_id)
            assert [d["interrupt_id"] for d in cancels if d["action_id"] == "email-2"] == [
                f"{again.id}-2"
            ]
            # the history ties the take-out (under the hold that asked then) to the one now
            [entry] = runtime.activity(event="hold.contact_cancelled")
            assert entry["detail"]["interrupt_id"] == first.id, entry
            [moved] = runtime.activity(event="hold.asked_again")
            assert moved["detail"] == {
                "interrupt_id": again.id,
                "replaces": first.id,
                "taken_out": 1,
            }
        graph.invoke(Command(resume={again.id: {"type": "release"}}), config, context=context)
        assert sorted(str(m["To"]) for m in messages(held)) == [
            "p1@example.com",
            "p3@example.com",
            "p4@example.com",
        ]
    finally:
        for ctx in services._opened.values():
            ctx.store.conn.close()
        services._opened.clear()
