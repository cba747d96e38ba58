"""An audience batch follows the single review's rules where a person meets them: it is
reminded once before it expires and expires like one review (its contacts show the expiry).
During its one hold a person can take one contact out while the rest stays held (exactly once,
against a racing release, on both databases); the hold's own id cancels the whole audience;
send now on one contact's id sends the whole audience and says so."""

from __future__ import annotations

import mailbox
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes import ScriptedChatModel
from policy_support import Clock
from support import run, run_json

from graphs.batch_holds import TooLate
from graphs.errors import AlreadyDecided, InvalidInput
from graphs.policy import DEFAULT_POLICY
from graphs.runtime import Signoff

CONTACTS = [{"email": f"p{i}@example.com", "name": f"Pat{i} Lee"} for i in range(1, 7)]
WEEK, DAY = 7 * 86400, 86400  # the shipped policy: an email (high risk) expires in 7 days


def sent(home: Path) -> list[str]:
    path = home / "maildir"
    return (
        sorted(str(m["To"]) for m in mailbox.Maildir(str(path), create=False))
        if path.exists()
        else []
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def runtime(home: Path, clock: Clock) -> Iterator[Signoff]:
    """The shipped policy (emails expire after 7 days, reminded a day before; held 300 s)."""
    s = Signoff(home, model=ScriptedChatModel(), policy_path=DEFAULT_POLICY, clock=clock)
    yield s
    s.close()


def start(s: Signoff, brief: dict[str, str]) -> tuple[str, str]:
    thread = str(s.start({**brief, "channels": ["email"]}, audience=CONTACTS)["thread_id"])
    [batch] = s.graph.get_state(s._config(thread)).interrupts
    return thread, batch.id


@pytest.mark.usefixtures("database")
def test_a_batch_is_reminded_once_and_expires_like_a_single_review(
    runtime: Signoff, brief: dict[str, str], clock: Clock, home: Path
) -> None:
    thread, batch = start(runtime, brief)
    items = runtime.pending()
    assert len(items) == len(CONTACTS)
    assert [i["expires_at"] for i in items] == [pytest.approx(clock.now + WEEK)] * len(items)
    assert not any(i["reminder"] for i in items)
    clock.advance(WEEK - DAY - 10)
    assert runtime.tick()["reminded"] == []
    clock.advance(20)
    assert runtime.tick()["reminded"] == [batch]  # the audience's one review, once
    assert runtime.tick()["reminded"] == []
    assert all(i["reminder"] for i in runtime.pending())
    page = runtime.inbox_page(1, 10)["items"]
    assert [i["reminder"] for i in page] == [True] and page[0]["expires_at"] is not None
    [note] = [n for n in runtime.notifications() if n["kind"] == "reminder"]
    assert "6 contacts" in note["title"] and "Expires in" in note["message"]
    assert [e["detail"]["interrupt_id"] for e in runtime.activity(event="review.reminder")] == [
        batch
    ]
    clock.advance(DAY)
    assert batch in runtime.tick()["expired"]
    outcomes = {o["action_id"]: o["status"] for o in runtime.campaign(thread)["outcomes"]}
    assert outcomes["email-batch"] == "expired"
    assert runtime.pending() == [] and runtime.holds() == [] and sent(home) == []


def approved_and_held(s: Signoff, brief: dict[str, str]) -> tuple[str, str, dict[str, Any]]:
    thread, batch = start(s, brief)
    s.decide_batch(thread, "audience", {"type": "approve"}, by="ann")
    [hold] = s.holds()
    return thread, batch, hold


@pytest.mark.usefixtures("database")
def test_cancel_with_one_contact_s_id_takes_only_that_contact_out(
    runtime: Signoff, brief: dict[str, str], home: Path, clock: Clock
) -> None:
    thread, batch, hold = approved_and_held(runtime, brief)
    contact = f"{batch}-3"
    note = runtime.hold_note(contact, "cancel")
    assert note is not None and "only their email is taken out" in note and hold["id"] in note
    done = runtime.cancel(contact, by="ann", reason="Unsubscribed by phone")
    assert done["contact"]["email"] == "p3@example.com" and done["left"] == 5
    assert not done["audience_cancelled"] and done["hold"] == hold["id"]
    [still] = runtime.holds()  # the rest stays held, the same hold
    assert still["id"] == hold["id"] and still["taken_out"] == 1
    listed = runtime.hold_contacts(hold["id"])
    assert (listed["total"], listed["held"], listed["taken_out"]) == (6, 5, 1)
    [out] = [c for c in listed["contacts"] if c["status"] == "taken_out"]
    assert (out["email"], out["by"], out["reason"]) == (
        "p3@example.com",
        "ann",
        "Unsubscribed by phone",
    )
    assert runtime.hold_contacts(hold["id"], search="PAT5")["contacts"][0]["number"] == 5
    with pytest.raises(AlreadyDecided, match="already decided by ann"):  # first wins
        runtime.cancel(out["id"], by="bob")
    clock.advance(301)
    assert runtime.tick()["released"] == [hold["id"]]
    assert sent(home) == sorted(c["email"] for c in CONTACTS if c["email"] != "p3@example.com")
    outcomes = {o["action_id"]: o for o in runtime.campaign(thread)["outcomes"]}
    assert outcomes["email-3"]["status"] == "cancelled"
    assert outcomes["email-batch"]["status"] == "executed"
    assert outcomes["email-batch"]["detail"]["executed"] == 5
    [entry] = runtime.activity(event="hold.contact_cancelled")
    assert entry["actor"] == "ann" and entry["detail"]["contact"] == 3
    assert "p3@example.com" in entry["detail"]["to"] and entry["at"]
    with pytest.raises(TooLate, match="Too late to take Pat4 Lee .*released by the scheduler"):
        runtime.cancel(f"{batch}-4", by="ann")
    assert runtime.audit_verify()["ok"]


def test_the_whole_audience_is_cancelled_with_its_hold_s_id(
    runtime: Signoff, brief: dict[str, str], home: Path
) -> None:
    thread, batch, hold = approved_and_held(runtime, brief)
    runtime.cancel(f"{batch}-1", by="ann")
    assert runtime.resolve_hold(f"{batch}-2") == hold["id"]  # what --whole-audience uses
    runtime.cancel(hold["id"], by="ann", reason="Wrong week")
    assert runtime.holds() == [] and sent(home) == []
    outcomes = {o["action_id"]: o["status"] for o in runtime.campaign(thread)["outcomes"]}
    assert outcomes["email-batch"] == "cancelled" and outcomes["email-1"] == "cancelled"
    with pytest.raises(TooLate, match="whole audience's hold was cancelled by ann"):
        runtime.cancel(f"{batch}-2", by="ann")


@pytest.mark.usefixtures("database")
def test_taking_out_the_last_contact_cancels_the_audience_s_hold(
    runtime: Signoff, brief: dict[str, str], home: Path
) -> None:
    thread, batch, hold = approved_and_held(runtime, brief)
    for n in range(1, len(CONTACTS)):
        assert not runtime.cancel(f"{hold['id']}-{n}", by="ann")["audience_cancelled"]
    last = runtime.cancel(f"{hold['id']}-{len(CONTACTS)}", by="ann")
    assert last["audience_cancelled"] and last["left"] == 0
    assert runtime.holds() == [] and sent(home) == []
    outcomes = {o["action_id"]: o for o in runtime.campaign(thread)["outcomes"]}
    assert outcomes["email-batch"]["status"] == "cancelled"
    assert "taken out one by one" in outcomes["email-batch"]["detail"]["reason"]
    [whole] = runtime.activity(event="hold.cancel")
    assert whole["actor"] == "ann" and "last contact" in whole["detail"]["because"]
    assert len(runtime.activity(event="hold.contact_cancelled")) == len(CONTACTS)


def test_send_now_with_one_contact_s_id_sends_the_whole_audience(
    runtime: Signoff, brief: dict[str, str], home: Path
) -> None:
    _, batch, hold = approved_and_held(runtime, brief)
    contact = f"{batch}-2"
    assert "whole audience's hold is sent now" in str(runtime.hold_note(contact, "send-now"))
    runtime.send_now(contact, by="ann")
    assert sent(home) == sorted(c["email"] for c in CONTACTS)


def test_a_contact_rejected_on_its_own_is_not_in_the_hold(
    runtime: Signoff, brief: dict[str, str], home: Path
) -> None:
    thread, batch = start(runtime, brief)
    first = runtime.batch_ids(thread, "audience")[0]
    runtime.decide(first, {"type": "reject", "reason": "Wrong audience"}, by="ann")
    runtime.decide_batch(thread, "audience", {"type": "approve"}, by="ann")
    [hold] = runtime.holds()
    with pytest.raises(InvalidInput, match=f"rejected on its own.*{hold['id']}"):
        runtime.cancel(first, by="ann")
    assert runtime.holds() == [hold]  # nothing changed


def mails_to(home: Path, address: str) -> int:
    return sent(home).count(address)


def race(releaser: Signoff, canceller: Signoff, ref: str) -> dict[str, Any]:
    """The scheduler's step and a contact's cancel, started at the same moment in two threads."""
    barrier = threading.Barrier(2)
    got: dict[str, Any] = {}

    def release() -> None:
        barrier.wait()
        got["released"] = releaser.tick()["released"]

    def cancel() -> None:
        barrier.wait()
        try:
            got["cancel"] = canceller.cancel(ref, by="ann")
        except TooLate as err:
            got["cancel"] = err

    workers = [threading.Thread(target=release), threading.Thread(target=cancel)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return got


@pytest.mark.usefixtures("database")
def test_a_release_racing_a_contact_cancel_has_exactly_one_outcome(
    runtime: Signoff, brief: dict[str, str], home: Path, clock: Clock
) -> None:
    """The scheduler's release (one Signoff) and a person taking contact n out (another, its own
    connection) at the same moment: either the cancel is accepted and that contact's email never
    goes out, or it is refused as too late and the email goes out with the rest. Never both,
    never neither; the rest of the audience goes out exactly once."""
    other = Signoff(home, model=ScriptedChatModel(), policy_path=DEFAULT_POLICY, clock=clock)
    try:
        for n in range(1, 5):
            thread, batch, hold = approved_and_held(runtime, brief)
            before = {c["email"]: mails_to(home, c["email"]) for c in CONTACTS}
            clock.advance(301)
            got = race(runtime, other, f"{batch}-{n}")
            assert got["released"] == [hold["id"]]
            target = f"p{n}@example.com"
            outcomes = {o["action_id"]: o["status"] for o in runtime.campaign(thread)["outcomes"]}
            if isinstance(got["cancel"], TooLate):
                assert "released by the scheduler" in str(got["cancel"])
                assert mails_to(home, target) == before[target] + 1
                assert "email-" + str(n) not in outcomes
            else:
                assert got["cancel"]["contact"]["email"] == target
                assert mails_to(home, target) == before[target]
                assert outcomes[f"email-{n}"] == "cancelled"
            for c in CONTACTS:  # everyone else: exactly once
                if c["email"] != target:
                    assert mails_to(home, c["email"]) == before[c["email"]] + 1
            assert runtime.holds() == []
    finally:
        other.close()


@pytest.mark.usefixtures("database")
def test_a_cancel_after_the_release_was_recorded_but_before_it_ran_is_refused(
    runtime: Signoff, brief: dict[str, str], home: Path, clock: Clock
) -> None:
    """The release is the moment the scheduler records it: a contact's cancel after that, even
    while the release waits to be applied (a worker busy, a crash), is refused; what the
    release sends is fixed when it is recorded."""
    thread, batch, hold = approved_and_held(runtime, brief)
    row = runtime.store.inbox_item(hold["id"])
    runtime._record(row, {"type": "release"}, "scheduler")  # recorded, not yet applied
    with pytest.raises(TooLate, match="released by the scheduler") as err:
        runtime.cancel(f"{batch}-2", by="ann")
    assert err.value.decision == "release" and "Nothing was changed" in str(err.value)
    assert runtime.activity(event="hold.contact_cancelled") == []
    runtime.apply(thread)
    assert sent(home) == sorted(c["email"] for c in CONTACTS)


def test_the_cli_takes_one_contact_out_and_the_whole_audience_only_when_asked(
    runtime: Signoff,
    brief: dict[str, str],
    home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SIGNOFF_POLICY", str(DEFAULT_POLICY))
    monkeypatch.setenv("SIGNOFF_USER", "ann")
    _, batch, hold = approved_and_held(runtime, brief)
    code, out, _ = run(capsys, "cancel", f"{batch}-3", "--reason", "Unsubscribed by phone")
    assert code == 0, out
    assert "Took Pat3 Lee <p3@example.com> (contact 3) out of the held audience, as ann" in out
    assert "The other 5 stay held" in out and f"`signoff cancel {hold['id']}`" in out
    code, out, _ = run(capsys, "holds")
    assert "send_email × 5 (1 taken out)" in out
    code, listed, _ = run_json(capsys, "holds", "--contacts", hold["id"])
    assert (listed["held"], listed["taken_out"]) == (5, 1)
    code, out, _ = run(capsys, "holds", "--contacts", hold["id"], "--search", "pat3")
    assert "taken out by ann" in out and "p3@example.com" in out and "p4@" not in out
    code, error, _ = run_json(capsys, "cancel", f"{batch}-3")
    assert code == 3 and error["error"] == "already_decided" and error["by"] == "ann"
    code, out, _ = run(capsys, "cancel", f"{batch}-4", "--whole-audience")
    assert code == 0
    assert "Cancelled the whole audience's hold (5 contacts' emails" in out
    assert "none of them goes out" in out
    code, error, _ = run_json(capsys, "cancel", f"{batch}-5")
    assert code == 3 and "whole audience's hold was cancelled by ann" in error["message"]
    assert sent(home) == []


def test_the_audience_s_hold_takes_contacts_out_under_any_driver(
    runtime: Signoff, brief: dict[str, str], home: Path
) -> None:
    """A resume from another driver (langgraph_sdk, Studio) with `members`: those contacts are
    taken out (recorded and audited from inside the graph), the rest go out; a member that is
    no contact, or anything but a cancel, is refused before anything is stored."""
    from langgraph.types import Command
    from pydantic import ValidationError

    from graphs.batch_schema import batch_hold_schema

    schema = batch_hold_schema("send_email", len(CONTACTS))
    assert schema.model_validate({"type": "release"}).root == {
        "top": {"type": "release"},
        "members": {},
    }
    alone = schema.model_validate({"members": {"email-1": {"type": "cancel"}}}).root
    assert alone["top"] is None and list(alone["members"]) == ["email-1"]  # the rest stays held
    for bad, said in (
        ({"type": "send_now", "members": {"email-9": {"type": "cancel"}}}, "not a contact"),
        ({"type": "send_now", "members": {"email-1": {"type": "approve"}}}, "only be taken out"),
        ({"members": {}}, "type"),
    ):
        with pytest.raises(ValidationError, match=said):
            schema.model_validate(bad)
    thread, _, hold = approved_and_held(runtime, brief)
    config = runtime._config(thread)
    with pytest.raises(ValidationError):  # refused: nothing stored, the hold still waits
        runtime.graph.invoke(
            Command(resume={hold["id"]: {"type": "send_now", "members": {"email-2": "x"}}}),
            config,
            context=runtime.context,
        )
    assert [i.id for i in runtime.graph.get_state(config).interrupts] == [hold["id"]]
    resume = {"type": "send_now", "members": {"email-2": {"type": "cancel", "reason": "Asked"}}}
    runtime.graph.invoke(Command(resume={hold["id"]: resume}), config, context=runtime.context)
    assert sent(home) == sorted(c["email"] for c in CONTACTS if c["email"] != "p2@example.com")
    [entry] = runtime.activity(event="hold.contact_cancelled")
    assert entry["detail"]["contact"] == 2 and entry["detail"]["recorded_by"] == "graph"
    assert [e["detail"]["decision"]["type"] for e in runtime.activity(event="hold.send_now")] == [
        "send_now"
    ]


def test_agent_inbox_takes_contacts_out_and_the_rest_stays_held(
    runtime: Signoff, brief: dict[str, str], home: Path, clock: Clock
) -> None:
    """Agent Inbox's edit form shows the held audience's `take_out`: the emails or numbers it
    names are taken out and the rest stays held (the hold asks again, same release time); any
    other field edited, or a name that is no contact, is refused before anything is stored."""
    from langgraph.types import Command
    from pydantic import ValidationError

    thread, _, hold = approved_and_held(runtime, brief)
    config = runtime._config(thread)
    [pending] = runtime.graph.get_state(config).interrupts
    shown = pending.value
    assert shown["config"]["allow_edit"] and shown["action_request"]["args"]["take_out"] == ""
    assert "take_out" in shown["description"]
    form = dict(shown["action_request"]["args"])

    def edit(**changes: Any) -> list[dict[str, Any]]:
        return [{"type": "edit", "args": {"action": "send_email", "args": {**form, **changes}}}]

    for bad, said in (
        (edit(take_out="nobody@example.com"), "no contact of this held audience"),
        (edit(take_out="2", subject="Changed"), "only 'take_out' can be edited"),
    ):
        with pytest.raises(ValidationError, match=said):
            runtime.graph.invoke(Command(resume={hold["id"]: bad}), config, context=runtime.context)
    runtime.graph.invoke(
        Command(resume={hold["id"]: edit(take_out="p2@example.com, 5")}),
        config,
        context=runtime.context,
    )
    [again] = runtime.graph.get_state(config).interrupts
    assert again.id != hold["id"] and again.value["release_at"] == hold["release_at"]
    assert again.value["batch_size"] == 4 and sent(home) == []
    assert {e["detail"]["contact"] for e in runtime.activity(event="hold.contact_cancelled")} == {
        2,
        5,
    }
    runtime.graph.invoke(
        Command(resume={again.id: [{"type": "accept", "args": None}]}),
        config,
        context=runtime.context,
    )
    assert sent(home) == ["p1@example.com", "p3@example.com", "p4@example.com", "p6@example.com"]
