"""Risk-based routes, holds, expiry, batches, earned autonomy, simulation and the audit chain,
through the real graph, the real SQLite checkpointer and the real Maildir/feed connectors."""

from __future__ import annotations

import json
import random
import sqlite3
import threading

import pytest
from policy_support import Clock, no_holds, write_policy
from support import maildir_count

from graphs.errors import AlreadyDecided, InvalidDecision, InvalidInput
from graphs.runtime import Signoff


def outcomes(signoff: Signoff, thread_id: str) -> dict[str, str]:
    values = signoff.graph.get_state({"configurable": {"thread_id": thread_id}}).values
    return {o["action_id"]: o["status"] for o in values["outcomes"]}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def held(home, model, clock, tmp_path):
    """A Signoff with the shipped policy (email held 300 s) and a controlled clock."""
    from graphs.policy import DEFAULT_POLICY

    runtime = Signoff(home, model=model, policy_path=DEFAULT_POLICY, clock=clock)
    yield runtime
    runtime.close()


def test_three_routes_by_tier(signoff, brief, home):
    brief.update(channels=["email", "social", "cms"], engage=["https://social.example/@ann/1"])
    result = signoff.start(brief)
    routes = {p["action"]: p["route"] for p in result["pending"]}
    # high risk waits; the medium-risk page ran and notified; the low-risk like ran and was logged
    assert routes == {"send_email": "review", "publish_post": "review"}
    done = {o["action_id"]: o["status"] for o in signoff.campaign(result["thread_id"])["outcomes"]}
    assert done == {"page-1": "executed", "like-1": "executed"}
    assert (home / "site" / "brightloop-2-smart-thermostat.md").exists()
    [note] = signoff.notifications("open")
    assert note["action"] == "publish_page" and note["kind"] == "ran"
    [added] = signoff.activity(event="notification.added")
    assert added["detail"]["notification"] == note["id"]
    routed = {
        e["detail"]["action_id"]: e["detail"]
        for e in signoff.activity(thread_id=result["thread_id"], event="action.routed")
    }
    assert routed["like-1"]["route"] == "auto"
    assert "reversible" in routed["like-1"]["reasons"][0]
    assert routed["page-1"]["route"] == "notify"
    email = next(p for p in result["pending"] if p["action"] == "send_email")
    assert any("wait for a person" in r for r in email["reasons"])
    assert email["claim_checks"] and all(c["supported"] for c in email["claim_checks"])


def test_hold_releases_at_its_time_and_not_before(held, brief, home, clock):
    thread = held.start(brief)
    email = next(p for p in thread["pending"] if p["action"] == "send_email")
    held.decide(email["id"], {"type": "approve"})
    [hold] = held.holds()
    assert hold["seconds_left"] == 300 and hold["approved_by"] == "marketer"
    assert maildir_count(home) == 0
    clock.advance(299)
    assert held.tick()["released"] == []
    assert maildir_count(home) == 0
    clock.advance(2)
    assert held.tick()["released"] == [hold["id"]]
    assert maildir_count(home) == 1
    assert outcomes(held, thread["thread_id"])["email-1"] == "executed"
    assert held.holds() == []


def test_cancel_and_send_now(held, brief, home, clock):
    first = held.start(brief)
    held.decide(
        next(p["id"] for p in first["pending"] if p["action"] == "send_email"), {"type": "approve"}
    )
    [hold] = held.holds()
    held.cancel(hold["id"], by="ann")
    clock.advance(1000)
    held.tick()
    assert maildir_count(home) == 0
    assert outcomes(held, first["thread_id"])["email-1"] == "cancelled"
    with pytest.raises(AlreadyDecided, match="ann"):
        held.send_now(hold["id"])
    second = held.start(brief)
    held.decide(
        next(p["id"] for p in second["pending"] if p["action"] == "send_email"), {"type": "approve"}
    )
    [hold] = held.holds()
    held.send_now(hold["id"], by="bob")
    assert maildir_count(home) == 1
    events = [e["event"] for e in held.activity(actor="bob")]
    assert "hold.send_now" in events


def test_hold_race_scheduler_cancel_send_now_one_outcome_each(home, model, clock, tmp_path, brief):
    """100 holds (an audience is one hold now: 20 one-email campaigns a round, 5 rounds); on
    each, the scheduler, a cancel and a send-now race. One outcome per hold."""
    policy = write_policy(tmp_path / "p.yaml", send_email={"hold_seconds": 60})
    signoff = Signoff(home, model=model, policy_path=policy, clock=clock)
    rng = random.Random(7)
    brief["channels"] = ["email"]
    results: dict[str, list[str]] = {}
    try:
        for _round in range(5):
            threads = [
                signoff.start({**brief, "to": f"c{i}@example.com"})["thread_id"] for i in range(20)
            ]
            pending = [p for t in threads for p in signoff.pending() if p["thread_id"] == t]
            signoff.decide_many({p["id"]: {"type": "approve"} for p in pending})
            holds = [h for h in signoff.holds() if h["thread_id"] in threads]
            assert len(holds) == 20
            clock.advance(61)  # every hold is due: the scheduler wants all of them
            barrier = threading.Barrier(41)

            def attempt(
                kind: str, hold_id: str | None = None, barrier: threading.Barrier = barrier
            ) -> None:
                barrier.wait()
                try:
                    if kind == "tick":
                        signoff.tick()
                    elif kind == "cancel":
                        signoff.cancel(hold_id, by="canceller")
                    else:
                        signoff.send_now(hold_id, by="sender")
                    results.setdefault(kind, []).append(hold_id or "tick")
                except AlreadyDecided:
                    pass

            workers = [threading.Thread(target=attempt, args=("tick",))]
            for h in holds:
                pair = [("cancel", h["id"]), ("send_now", h["id"])]
                rng.shuffle(pair)
                workers += [threading.Thread(target=attempt, args=p) for p in pair]
            for w in workers:
                w.start()
            for w in workers:
                w.join(120)
            signoff.tick()  # anything a loser left behind
            for t in threads:
                states = outcomes(signoff, t)
                assert len(states) == 1
                assert set(states.values()) <= {"executed", "cancelled"}
        # one decision per hold; deliveries match executions exactly
        decisions = signoff.store.query(
            "SELECT decision FROM decisions WHERE json_extract(decision, '$.type') IN "
            "('cancel', 'send_now', 'release')"
        )
        assert len(decisions) == 100
        executed = sum(
            1
            for t in signoff.campaigns()
            for status in outcomes(signoff, t["thread_id"]).values()
            if status == "executed"
        )
        done = [r for r in signoff.store.outbox() if r["status"] == "done"]
        assert executed == len(done) == maildir_count(home)
        kinds = {json.loads(r["decision"])["type"] for r in decisions}
        assert len(kinds) >= 2, f"the race was not contested: {kinds}"
    finally:
        signoff.close()


def test_expiry_and_reminder_with_a_controlled_clock(database, held, brief, home, clock):
    # on both databases: on PostgreSQL the scheduler reads what is due now and soon at once
    brief["channels"] = ["email"]
    thread = held.start(brief)
    email = next(p for p in thread["pending"] if p["action"] == "send_email")
    week = 7 * 86400
    assert email["expires_at"] == pytest.approx(clock.now + week)
    assert email["reminder"] is False
    clock.advance(week - 86400 - 10)
    assert held.tick()["reminded"] == []
    clock.advance(20)
    assert held.tick()["reminded"] == [email["id"]]
    assert held.tick()["reminded"] == []  # one reminder, not one per tick
    item = next(p for p in held.pending() if p["id"] == email["id"])
    assert item["reminder"] is True
    [note] = [n for n in held.notifications() if n["kind"] == "reminder"]
    assert "Expires in" in note["message"]
    clock.advance(86400)
    assert email["id"] in held.tick()["expired"]
    assert outcomes(held, thread["thread_id"])["email-1"] == "expired"
    assert maildir_count(home) == 0
    # expired is its own state: not a rejection, no demotion, not counted in the rate
    [row] = [r for r in held.autonomy() if r["action"] == "send_email"]
    assert row["record"]["expired"] == 1 and row["record"]["rejected"] == 0
    assert row["record"]["total"] == 0


def test_batch_waits_for_the_whole_batch_and_runs_once_per_contact(signoff, brief, home):
    brief["channels"] = ["email"]
    contacts = [{"email": f"p{i}@example.com", "name": f"Pat{i} Lee"} for i in range(20)]
    thread = signoff.start(brief, audience=contacts)
    items = thread["pending"]
    assert len(items) == 20 and {p["batch"] for p in items} == {"audience"}
    assert items[0]["args"]["body"].startswith("Hi Pat")
    assert {p["args"]["to"] for p in items} == {c["email"] for c in contacts}
    signoff.decide_many({p["id"]: {"type": "approve"} for p in items[:5]})
    assert maildir_count(home) == 0, "nothing in a batch goes out until the batch is decided"
    applied_before = len(signoff.activity(thread_id=thread["thread_id"], event="decision.applied"))
    signoff.decide_many({p["id"]: {"type": "approve"} for p in items[5:]})
    applied = signoff.activity(thread_id=thread["thread_id"], event="decision.applied")
    assert len(applied) == applied_before + 1, "the thread is resumed once per submission"
    assert maildir_count(home) == 20
    assert len({r["args"]["to"] for r in signoff.store.outbox() if r["status"] == "done"}) == 20


def test_decide_many_is_all_or_nothing(signoff, brief):
    pending = signoff.start(brief)["pending"]
    with pytest.raises(InvalidDecision):
        signoff.decide_many(
            {pending[0]["id"]: {"type": "approve"}, pending[1]["id"]: {"type": "nod"}}
        )
    assert signoff.store.decisions(pending[0]["thread_id"]) == []


def test_autonomy_is_earned_confirmed_and_lost_at_once(home, model, tmp_path, brief):
    policy = write_policy(
        tmp_path / "p.yaml",
        lambda d: d["promotion"].update(min_decisions=3, min_lower_bound=0.3, window=5),
    )
    signoff = Signoff(home, model=model, policy_path=policy)
    brief["channels"] = ["social"]
    try:
        for _ in range(3):
            [post] = signoff.start(brief)["pending"]
            signoff.decide(post["id"], {"type": "approve"})
        [row] = [r for r in signoff.autonomy() if r["action"] == "publish_post"]
        assert row["level"] == "supervised" and row["suggestion"]["to"] == "earned"
        assert row["suggestion"]["n"] == 3
        signoff.promote("publish_post", "social", by="lead")
        with pytest.raises(InvalidInput, match="No promotion is suggested"):
            signoff.promote("publish_post", "social")
        for _ in range(3):
            [post] = signoff.start(brief)["pending"]
            signoff.decide(post["id"], {"type": "approve"})
        signoff.promote("publish_post", "social", by="lead")
        # monitored: a clean post runs without review (after its 60 s hold) and notifies
        thread = signoff.start(brief)
        assert thread["pending"] == []
        [hold] = [h for h in signoff.holds() if h["thread_id"] == thread["thread_id"]]
        assert hold["approved_by"] == "policy (no review needed)"
        signoff.send_now(hold["id"])
        [note] = signoff.notifications("open")
        signoff.flag(note["id"], by="ann", reason="wrong tone")
        [row] = [r for r in signoff.autonomy() if r["action"] == "publish_post"]
        assert row["level"] == "supervised" and row["record"]["flagged"] == 1
        events = [e["event"] for e in signoff.activity(event="autonomy")]
        assert events.count("autonomy.promoted") == 2 and "autonomy.demoted" in events
        assert len(signoff.start(brief)["pending"]) == 1  # back to review
    finally:
        signoff.close()


def test_rejection_demotes_at_once(signoff, brief):
    signoff.store.set_autonomy("publish_page", "cms", "monitored", "test")
    brief["channels"] = ["social"]
    [post] = signoff.start(brief)["pending"]
    signoff.store.set_autonomy("publish_post", "social", "earned", "test")
    signoff.decide(post["id"], {"type": "reject", "reason": "off-brand"})
    [row] = [r for r in signoff.autonomy() if r["action"] == "publish_post"]
    assert row["level"] == "supervised"


def test_over_budget_spend_waits_and_cannot_be_approved(signoff, brief):
    brief.update(channels=["ads"], ad_budget=250)
    [spend] = signoff.start(brief)["pending"]
    assert spend["action"] == "spend_ads" and "approve" not in spend["allowed_decisions"]
    assert any("daily ad budget" in r for r in spend["reasons"])
    with pytest.raises(InvalidDecision):
        signoff.decide(spend["id"], {"type": "approve"})
    signoff.decide(spend["id"], {"type": "edit", "args": {"amount": 150}})
    [row] = [r for r in signoff.store.outbox() if r["name"] == "spend_ads"]
    assert row["status"] == "done" and row["args"]["amount"] == 150


def test_micro_engagements_rate_limit_and_undo(home, model, tmp_path, brief):
    policy = write_policy(no_holds(tmp_path / "a.yaml"), like_post={"daily_limit": 2})
    signoff = Signoff(home, model=model, policy_path=policy)
    try:
        brief.update(
            channels=["social"], engage=[f"https://social.example/@a/{i}" for i in range(3)]
        )
        thread = signoff.start(brief)
        states = outcomes(signoff, thread["thread_id"])
        likes = [v for k, v in states.items() if k.startswith("like")]
        assert sorted(likes) == ["executed", "executed", "skipped"]
        [item] = [u for u in signoff.undoable() if u["action"] == "like_post"][:1]
        signoff.undo(item["key"], by="ann")
        assert next(u for u in signoff.undoable() if u["key"] == item["key"])["undone"] is True
        assert signoff.activity(event="action.undone")
    finally:
        signoff.close()


def test_unsupported_claims_need_an_explicit_check(signoff, brief):
    from fakes import ScriptedChatModel

    signoff.context.model = ScriptedChatModel(
        script=[
            {
                "subject": "Half price",
                "body": "The Brightloop 2 now costs $19 and it cures colds too. Order one today, friends, and keep your home warm all winter long.",
            }
        ]
        * 3  # the first draft and both AI review rounds
    )
    brief["channels"] = ["email"]
    [email] = signoff.start(brief)["pending"]
    assert email["unsupported_claims"] and email["needs_check"]
    with pytest.raises(InvalidDecision, match="I checked these"):
        signoff.decide(email["id"], {"type": "approve"})
    signoff.decide(email["id"], {"type": "approve", "checked": True}, by="ann")
    [entry] = signoff.activity(event="decision.recorded", actor="ann")
    assert entry["detail"]["checked_unsupported"] == email["unsupported_claims"]


def test_policy_simulation_lists_what_a_looser_policy_would_let_through(signoff, brief, tmp_path):
    brief["channels"] = ["social"]
    for decision in (
        {"type": "approve"},
        {"type": "reject", "reason": "off-brand"},
        {"type": "approve"},
    ):
        [post] = signoff.start(brief)["pending"]
        signoff.decide(post["id"], decision)
    loose = write_policy(
        tmp_path / "loose.yaml",
        lambda d: d["actions"]["publish_post"].update(
            start_autonomy="monitored", max_autonomy="monitored", risk="medium"
        ),
    )
    result = signoff.simulate(loose, last=50)
    assert result["replayed"] == 3 and result["reviews_now"] == 3
    assert result["reviews_candidate"] == 0 and result["saved"] == 3
    [let] = result["let_through"]
    assert let["outcome"] == "rejected" and let["route_candidate"] == "notify"
    strict = signoff.simulate(
        (tmp_path / "loose.yaml").read_text().replace("monitored", "supervised")
    )
    assert strict["saved"] == 0 and strict["let_through"] == []


def test_audit_chain_detects_alteration_and_removal(signoff, brief, tmp_path):
    [email, _post] = signoff.start(brief)["pending"]
    signoff.decide(email["id"], {"type": "approve"})
    ok = signoff.audit_verify()
    assert ok["ok"] and ok["checked"] >= 5
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        signoff.store.conn.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 3")
    count = signoff.audit_csv(tmp_path / "audit.csv")
    assert count == ok["checked"] and "decision.recorded" in (tmp_path / "audit.csv").read_text()
    # someone with the database file drops the guard and edits the decision's entry
    [decided] = signoff.activity(event="decision.recorded")
    seq = decided["seq"]
    conn = sqlite3.connect(signoff.db_path)
    conn.execute("DROP TRIGGER audit_append_only_update")
    conn.execute("DROP TRIGGER audit_append_only_delete")
    conn.execute("UPDATE audit SET actor = 'mallory' WHERE seq = ?", (seq,))
    conn.commit()
    broken = signoff.audit_verify()
    assert not broken["ok"] and broken["first_bad"] == seq
    assert broken["problem"] == f"entry #{seq} was altered"
    conn.execute("UPDATE audit SET actor = 'marketer' WHERE seq = ?", (seq,))
    conn.commit()
    assert signoff.audit_verify()["ok"]
    conn.execute("DELETE FROM audit WHERE seq = ?", (seq,))
    conn.commit()
    removed = signoff.audit_verify()
    assert removed["first_bad"] == seq + 1 and f"#{seq} was removed" in removed["problem"]
    last = conn.execute("SELECT MAX(seq) FROM audit").fetchone()[0]
    conn.execute("DELETE FROM audit WHERE seq >= ?", (seq - 1,))
    conn.commit()
    conn.close()
    tail = signoff.audit_verify()
    assert not tail["ok"] and f"#{last}) were removed" in tail["problem"]


def test_policy_change_is_audited_with_its_version(home, model, tmp_path):
    first = write_policy(tmp_path / "one.yaml", lambda d: d.update(version="v1"))
    second = write_policy(tmp_path / "two.yaml", lambda d: d.update(version="v2"))
    Signoff(home, model=model, policy_path=first).close()
    Signoff(home, model=model, policy_path=first).close()
    runtime = Signoff(home, model=model, policy_path=second)
    try:
        loaded = [e["detail"] for e in runtime.activity(event="policy.loaded")]
        assert [d["version"] for d in loaded] == ["v2", "v1"]
        assert loaded[0]["previous"] == "v1"
        assert runtime.activity(limit=1)[0]["policy_version"] == "v2"
    finally:
        runtime.close()
