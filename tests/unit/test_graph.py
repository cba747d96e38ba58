"""Graph mechanics with the scripted model and a temporary SQLite file."""

from __future__ import annotations

import json
import mailbox

import pytest
from langgraph.types import Command
from support import maildir_count

from graphs.errors import AlreadyDecided, InvalidDecision, NotFound, RunStopped
from graphs.runtime import Signoff


def by_action(pending: list[dict], name: str) -> dict:
    [item] = [p for p in pending if p["action"] == name]
    return item


def test_pauses_before_every_outbound_action(signoff, brief, connector_calls, home):
    result = signoff.start(brief)
    assert result["status"] == "waiting"
    assert sorted(p["action"] for p in result["pending"]) == ["publish_post", "send_email"]
    assert connector_calls == []
    assert signoff.store.outbox() == []
    assert maildir_count(home) == 0 and not (home / "feed.jsonl").exists()
    # the checkpoint holds one interrupt per action, and the inbox index agrees
    interrupts = signoff.graph.get_state(
        {"configurable": {"thread_id": result["thread_id"]}}
    ).interrupts
    assert {i.id for i in interrupts} == {p["id"] for p in result["pending"]}


def test_payload_is_json_and_explains_itself(signoff, brief):
    email = by_action(signoff.start(brief)["pending"], "send_email")
    json.dumps(email)  # JSON-serialisable end to end
    assert email["risk"] == "high"
    assert any("high-risk, cannot be undone" in r for r in email["reasons"])
    assert any("wait for a person" in r for r in email["reasons"])
    assert email["allowed_decisions"] == ["approve", "edit", "revise", "reject"]
    assert email["args"]["to"] == "customers@example.com"
    claim = next(c for c in email["evidence"] if c["sources"])  # a fact sentence and its passage
    assert claim["sources"][0]["quote"]
    [item] = signoff.store.inbox_item(email["id"])["payload"]["action_requests"]
    assert item["name"] == "send_email" and item["args"] == email["args"]


WRONG_PRICE = {
    "subject": "A warmer home for less",
    "body": "The Brightloop 2 thermostat costs $19 today. It learns your schedule in the first "
    "week and heats only the rooms you use. Reply to this email to order yours.",
}


def test_unsupported_facts_go_back_to_the_writer_then_to_the_person(home, brief):
    """The AI reviews first: a wrong figure goes back to the writer with the sentence named; what
    is still wrong after the bounded rounds reaches the person with its reason."""
    from fakes import ScriptedChatModel

    model = ScriptedChatModel(script=[WRONG_PRICE] * 3)
    brief["channels"] = ["email"]
    with Signoff(home, model=model) as runtime:
        [email] = runtime.start(brief)["pending"]
        [audit] = runtime.store.audit_log(email["thread_id"], event="draft.reviewed")
    assert len(model.calls) == 3  # the first draft and two AI review rounds
    assert "costs $19 today" in model.calls[1]["prompt"]
    assert (
        "costs $19 today" in model.calls[2]["prompt"]
        and "fix every one" in model.calls[2]["prompt"]
    )
    assert email["review_rounds"] == 3
    assert any("$19" in note for note in email["review_notes"])
    assert [len(r["problems"]) > 0 for r in audit["detail"]["rounds"]] == [True, True, True]
    assert email["unsupported_claims"] == ["The Brightloop 2 thermostat costs $19 today."]
    assert email["needs_check"] and email["confidence"] < 0.5
    assert any("below the 50% needed" in r for r in email["reasons"])


def test_a_fixed_draft_stops_the_ai_review(home, brief):
    from fakes import ScriptedChatModel, default_answer

    model = ScriptedChatModel(script=[WRONG_PRICE, default_answer])
    brief["channels"] = ["email"]
    with Signoff(home, model=model) as runtime:
        [email] = runtime.start(brief)["pending"]
    assert len(model.calls) == 2 and email["review_rounds"] == 2
    assert email["review_notes"] == [], email["review_notes"]
    assert not email["needs_check"]
    assert not any("rated itself" in r for r in email["reasons"])


def test_approve_executes_once_and_only_that_action(signoff, brief, connector_calls, home):
    pending = signoff.start(brief)["pending"]
    email = by_action(pending, "send_email")
    result = signoff.decide(email["id"], {"type": "approve"}, by="ann")
    assert [c[0] for c in connector_calls] == ["send_email"]
    assert maildir_count(home) == 1
    assert [p["action"] for p in result["pending"]] == ["publish_post"]
    [row] = signoff.store.outbox()
    assert row["status"] == "done" and row["args"] == email["args"]


def test_reject_means_zero_connector_calls(signoff, brief, connector_calls):
    pending = signoff.start(brief)["pending"]
    for item in pending:
        signoff.decide(
            item["id"], {"type": "reject", "reason": "Off-brand", "comment": "too pushy"}
        )
    assert connector_calls == []
    campaign = signoff.campaign(pending[0]["thread_id"])
    assert campaign["status"] == "done"
    assert sorted(o["status"] for o in campaign["outcomes"]) == ["rejected", "rejected"]
    assert campaign["executed"] == []


def test_edit_executes_the_edited_args_never_the_original(signoff, brief, connector_calls, home):
    email = by_action(signoff.start(brief)["pending"], "send_email")
    signoff.decide(
        email["id"], {"type": "edit", "args": {"subject": "Warmer winter, smaller bill"}}
    )
    [(name, args)] = connector_calls
    assert args["subject"] == "Warmer winter, smaller bill"
    assert args["body"] == email["args"]["body"]  # untouched fields keep the proposal
    [message] = mailbox.Maildir(str(home / "maildir")).values()
    assert message["Subject"] == "Warmer winter, smaller bill"
    diff = [a for a in signoff.store.audit_log() if a["event"] == "decision.recorded"][0]["detail"][
        "diff"
    ]
    assert '+ "subject": "Warmer winter, smaller bill"' in diff
    assert f'- "subject": "{email["args"]["subject"]}"' in diff


def test_revise_redrafts_with_feedback_and_comes_back(signoff, brief, model, connector_calls):
    post = by_action(signoff.start(brief)["pending"], "publish_post")
    result = signoff.decide(post["id"], {"type": "revise", "feedback": "Mention the free sensors"})
    again = by_action(result["pending"], "publish_post")
    assert again["id"] != post["id"]
    assert again["revision"] == 1 and again["feedback"] == ["Mention the free sensors"]
    assert again["text"].startswith("Revised:")
    assert "Mention the free sensors" in model.calls[-1]["prompt"]
    assert connector_calls == []


def test_revisions_are_capped(home, brief):
    from fakes import ScriptedChatModel

    with Signoff(home, model=ScriptedChatModel()) as runtime:
        runtime.context.max_revisions = 1
        post = by_action(runtime.start(brief)["pending"], "publish_post")
        again = by_action(
            runtime.decide(post["id"], {"type": "revise", "feedback": "shorter"})["pending"],
            "publish_post",
        )
        assert "revise" not in again["allowed_decisions"]
        with pytest.raises(InvalidDecision):
            runtime.decide(again["id"], {"type": "revise", "feedback": "again"})


@pytest.mark.parametrize(
    "decision, words",
    [
        ({"type": "publish"}, "expected one of ['approve', 'edit', 'revise', 'reject']"),
        ({"type": "revise"}, "feedback"),
        ({"type": "reject", "reason": ""}, "reason"),
        ({"type": "edit", "args": {"subjekt": "x"}}, "Unknown field ['subjekt']"),
        ({"type": "edit", "args": {"to": "not-an-address"}}, "not an email address"),
        ("approve", "is a JSON object"),
    ],
)
def test_malformed_decision_is_refused_and_stays_pending(
    signoff, brief, connector_calls, decision, words
):
    email = by_action(signoff.start(brief)["pending"], "send_email")
    with pytest.raises(InvalidDecision) as err:
        signoff.decide(email["id"], decision)
    assert words in str(err.value) and "Nothing was saved" in str(err.value)
    assert signoff.store.decision(email["id"]) is None
    assert email["id"] in {p["id"] for p in signoff.pending()}
    assert connector_calls == []


def test_graph_refuses_a_malformed_resume_itself(signoff, brief, connector_calls):
    """The gate's response_schema also guards resumes that bypass the runtime."""
    email = by_action(signoff.start(brief)["pending"], "send_email")
    config = {"configurable": {"thread_id": email["thread_id"]}}
    with pytest.raises(Exception, match="validation error"):
        signoff.graph.invoke(
            Command(resume={email["id"]: {"type": "approve", "extra": 1}}),
            config,
            context=signoff.context,
        )
    assert email["id"] in {i.id for i in signoff.graph.get_state(config).interrupts}
    assert connector_calls == []


def test_second_decider_is_told_who_decided(signoff, brief, connector_calls):
    email = by_action(signoff.start(brief)["pending"], "send_email")
    signoff.decide(email["id"], {"type": "approve"}, by="ann")
    with pytest.raises(AlreadyDecided, match="already decided by ann at"):
        signoff.decide(email["id"], {"type": "reject", "reason": "late"}, by="bob")
    assert len(connector_calls) == 1


def test_unknown_id_says_what_to_do(signoff):
    with pytest.raises(NotFound, match="signoff inbox"):
        signoff.decide("nope", {"type": "approve"})


def test_restart_in_a_new_runtime_resumes(home, brief, connector_calls):
    from fakes import ScriptedChatModel

    with Signoff(home, model=ScriptedChatModel()) as first:
        thread_id = first.start(brief)["thread_id"]
    with Signoff(home, model=ScriptedChatModel()) as second:
        pending = second.pending()
        assert {p["thread_id"] for p in pending} == {thread_id} and len(pending) == 2
        for item in pending:
            second.decide(item["id"], {"type": "approve"})
        assert second.campaign(thread_id)["status"] == "done"
    assert sorted(c[0] for c in connector_calls) == ["publish_post", "send_email"]


def test_bad_brief_is_refused_with_what_to_do(signoff):
    from graphs.errors import InvalidInput

    with pytest.raises(InvalidInput) as err:
        signoff.start({"product": "Brightloop", "to": "nobody"})
    message = str(err.value)
    assert "'audience' is missing" in message and "'goal' is missing" in message
    assert "'to' must be an email address" in message and "Nothing was started" in message
    assert signoff.campaigns() == []


def test_audit_records_the_whole_story(signoff, brief):
    pending = signoff.start(brief)["pending"]
    email, post = by_action(pending, "send_email"), by_action(pending, "publish_post")
    signoff.decide(email["id"], {"type": "approve"}, by="ann")
    signoff.decide(post["id"], {"type": "reject", "reason": "Bad timing"}, by="bob")
    events = [(a["event"], a["actor"]) for a in reversed(signoff.store.audit_log())]
    assert events[0] == ("policy.loaded", "signoff")  # the first start of a data directory
    assert events[1] == ("campaign.started", "marketer")
    assert ("decision.recorded", "ann") in events and ("decision.recorded", "bob") in events
    assert [e for e, _ in events].count("action.proposed") == 2
    assert [e for e, _ in events].count("action.executed") == 1


def test_graph_draws_offline(signoff):
    dot = signoff.graph_dot()
    for node in ("researcher", "writer", "gate", "publisher"):
        assert f'label="{node}"' in dot


def test_a_failed_draft_is_kept_and_can_be_retried(home, brief, connector_calls):
    from fakes import ScriptedChatModel

    def broken(schema, prompt):
        raise ConnectionError("model server went away")

    with Signoff(home, model=ScriptedChatModel(script=[broken])) as runtime:
        with pytest.raises(RunStopped, match="signoff retry") as err:
            runtime.start(brief)
        assert isinstance(err.value.__cause__, ConnectionError)
        [campaign] = runtime.campaigns()
        assert campaign["status"] == "error" and campaign["brief"]["product"] == brief["product"]
        result = runtime.retry(campaign["thread_id"])  # the script is spent: the model works now
        assert result["status"] == "waiting" and len(result["pending"]) == 2
        events = [a["event"] for a in runtime.store.audit_log(campaign["thread_id"])]
        assert "campaign.error" in events and "campaign.retried" in events
    assert connector_calls == []


def test_a_post_is_drafted_within_the_networks_real_limit(
    home, brief, connector_calls, monkeypatch
):
    """E.g. a network whose posts are shorter than the usual: the grammar takes its limit, so
    an over-long post cannot be drafted at all (it is refused and drafted again), never cut."""
    import dataclasses

    from fakes import ScriptedChatModel
    from pydantic import BaseModel, ConfigDict, Field

    from tools import registry

    class ShortPost(BaseModel):
        model_config = ConfigDict(extra="forbid")
        text: str = Field(min_length=1, max_length=100)

    short = dataclasses.replace(registry.TOOLS["publish_post"], args_model=ShortPost)
    monkeypatch.setitem(registry.TOOLS, "publish_post", short)
    long_post = {"text": "Warm homes. " * 20}
    model = ScriptedChatModel(script=[long_post])  # the post's first answer (the email: default)
    with Signoff(home, model=model) as runtime:
        post = by_action(runtime.start(brief)["pending"], "publish_post")
        assert "approve" in post["allowed_decisions"]
        assert len(post["args"]["text"]) <= 100
        # refused by the grammar's limit, then drafted again (never cut)
        assert [c["schema"] for c in model.calls].count("PostDraft") == 2
        runtime.decide(post["id"], {"type": "approve"})
    assert connector_calls == [("publish_post", post["args"])]


def test_progress_tells_each_step_once(signoff, brief):
    steps: list[tuple[str, str]] = []
    post = by_action(
        signoff.start(brief, on_progress=lambda *s: steps.append(s))["pending"], "publish_post"
    )
    # the plan, then each action's draft begun and done (on their own branches, in any order),
    # and each action's gate once its own draft is done (a draft reaches the gate while the
    # other is still drafted)
    assert [s for s, _ in steps[:2]] == ["researcher", "writer"]
    assert sorted(s for s, _ in steps) == ["gate", "gate", "researcher", *["writer"] * 5]
    for label, title in (("email", "Send email"), ("social post", "Publish social post")):
        drafted = next(i for i, (_, m) in enumerate(steps) if m.startswith(f"Drafted the {label}"))
        waiting = next(i for i, (_, m) in enumerate(steps) if f"decision: {title} (" in m)
        assert drafted < waiting
    writer = [m for s, m in steps if s == "writer"]
    assert writer[0] == "Drafting the social post and the email, each on its own"
    for label in ("email", "social post"):
        begun = writer.index(next(m for m in writer if m.startswith(f"Drafting the {label}…")))
        done = writer.index(next(m for m in writer if m.startswith(f"Drafted the {label} in ")))
        assert begun < done and writer[begun].endswith(" s)")
    steps.clear()
    signoff.decide(
        post["id"],
        {"type": "revise", "feedback": "shorter"},
        on_progress=lambda *s: steps.append(s),
    )
    assert [s for s, _ in steps] == [
        "writer",
        "writer",
        "gate",
    ]  # the email still waiting is not re-announced
    assert steps[0][1].startswith("Redrafting the social post with your feedback")
    assert "Publish social post" in steps[-1][1]


def test_a_resume_does_not_retell_what_an_earlier_run_did(signoff, brief):
    """A resume re-emits the writes of the step's branches that ended in an earlier run (as
    LangGraph's `cached` updates): the email that went out before the post was approved is
    not reported again as if it went out now (the CLI printed "send_email: executed" twice)."""
    pending = signoff.start(brief)["pending"]
    email, post = by_action(pending, "send_email"), by_action(pending, "publish_post")
    steps: list[tuple[str, str]] = []
    signoff.decide(email["id"], {"type": "approve"}, on_progress=lambda *s: steps.append(s))
    assert steps == [("publisher", "send_email: executed")]  # no hold in the tests' policy
    steps.clear()
    signoff.decide(post["id"], {"type": "approve"}, on_progress=lambda *s: steps.append(s))
    assert steps == [("publisher", "publish_post: executed")]


def test_an_email_is_assembled_from_the_brand_and_the_brief(signoff, brief, home):
    """Greeting, link, signature and footer are the system's, never the model's."""
    brief.update(link="https://brightloop.example/winter", channels=["email", "social"])
    pending = signoff.start(brief)["pending"]
    email, post = by_action(pending, "send_email"), by_action(pending, "publish_post")
    body = email["args"]["body"]
    assert body.startswith("Hello,\n\n")
    assert "https://brightloop.example/winter\n\nThe Brightloop team\n\n--\n" in body
    assert "Reply STOP to unsubscribe." in body and "Manchester" in body
    assert email["args"]["sender"] == "Brightloop <hello@brightloop.example>"
    assert post["args"]["text"].endswith(" https://brightloop.example/winter")
    signoff.decide(email["id"], {"type": "approve"})
    [message] = mailbox.Maildir(str(home / "maildir")).values()
    assert message["From"] == "Brightloop <hello@brightloop.example>"
    assert "[" not in message.get_payload(decode=True).decode()


def test_placeholders_cannot_be_drafted(home, brief):
    """The grammar has no brackets: a draft with "[Your Name]" is refused like an unparsable one
    and drafted again; a placeholder in words ("Customer Name") goes back as feedback."""
    from fakes import ScriptedChatModel, default_answer

    bracketed = {
        "subject": "A warmer home",
        "body": "Dear [Customer Name], Brightloop costs $149 and saves energy all winter. "
        "Best, [Your Name]",
    }
    worded = {
        "subject": "A warmer home",
        "body": "Brightloop learns your schedule in the first week, Customer Name, and saves "
        "energy all winter long for you and your family.",
    }
    brief["channels"] = ["email"]
    model = ScriptedChatModel(script=[bracketed, worded, default_answer])
    with Signoff(home, model=model) as runtime:
        [email] = runtime.start(brief)["pending"]
    assert "[" not in email["args"]["body"] and "Customer Name" not in email["args"]["body"]
    assert "Remove 'Customer Name'" in model.calls[-1]["prompt"]


def test_a_draft_cut_off_by_the_model_is_tried_again(home, brief):
    from fakes import ScriptedChatModel

    def runaway(schema, prompt):
        raise ValueError("Could not parse response content as the length limit was reached")

    runaway.schemas = ("EmailDraft",)  # the email's calls (the post is drafted on its own)
    with Signoff(home, model=ScriptedChatModel(script=[runaway, runaway])) as runtime:
        assert runtime.start(brief)["status"] == "waiting"  # third try of the email worked
    with Signoff(home, model=ScriptedChatModel(script=[runaway] * 3)) as runtime:
        with pytest.raises(RunStopped, match="length limit"):
            runtime.start(brief)
