"""The graph's own reads and writes, kept few without weakening what they guarantee:
assess reads the autonomy level, first contact and daily count fresh (one statement) at every
assessment; a draft's review and its routing commit in one transaction; the Maildir gets the
same bytes as `Message.as_bytes()`; the feed stays idempotent by key."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.errors import RunStopped
from graphs.record import track_outcome
from graphs.runtime import Signoff
from tools import email_mime, feed


def _routed(signoff: Signoff, thread_id: str) -> list[dict]:
    return [e["detail"] for e in signoff.store.audit_log(thread_id, event="action.routed")]


def test_routing_reads_are_fresh_on_both_databases(signoff, database):
    store = signoff.store
    seen = store.routing_reads("send_email", "email", address="Ann@Example.com", day="2026-01-01")
    assert seen == {"level": None, "contacted": False, "daily": 0}
    store.set_autonomy("send_email", "email", "monitored", "lead")
    assert store.routing_reads("send_email", "email")["level"] == "monitored"
    assert store.routing_reads("send_email", "email")["contacted"] is None
    key = "ab" * 32
    assert store.claim(key, "t1", "email-1", "send_email", {"to": "ann@example.com"}) is None
    seen = store.routing_reads("send_email", "email", address="ANN@example.com")
    assert seen["contacted"] is False  # claimed is not sent
    store.finish(key, "done", {"transport": "test"})
    assert store.routing_reads("send_email", "email", address="ANN@example.com")["contacted"]
    facts = {"action": "like_post", "channel": "social"}
    for n in range(2):
        store.propose("t1", f"like-{n}", 0, facts, "auto", "supervised", "2026-01-01")
    store.propose("t1", "like-9", 0, facts, "review", "supervised", "2026-01-01")
    assert store.routing_reads("like_post", "social", day="2026-01-01")["daily"] == 2
    assert store.routing_reads("like_post", "social", day="2026-01-02")["daily"] == 0


def test_a_routing_read_with_its_proposal_is_recorded_once_on_both_databases(signoff, database):
    """assess reads the route recorded before (a re-run) with the routing's other reads, in the
    routing's transaction, and `propose` takes it from there: still once per revision, the
    day's limit still holds, and a `seen` not read in an enclosing transaction is not used."""
    store = signoff.store
    facts = {"action": "like_post", "channel": "social"}
    day = "2026-02-01"

    def routed(action_id: str, route: str, limit: int | None = None) -> tuple[bool, str]:
        with store.tx():
            seen = store.routing_reads(
                "like_post", "social", day=day, proposal=("t2", action_id, 0)
            )
            return store.propose(
                "t2", action_id, 0, facts, route, "supervised", day, daily_limit=limit, seen=seen
            )

    assert routed("like-1", "auto", 2) == (True, "auto")
    assert routed("like-1", "review", 2) == (False, "auto")  # a re-run: the route it had
    assert routed("like-2", "auto", 2) == (True, "auto")
    assert routed("like-3", "auto", 2) == (True, "skip")  # over today's limit
    stale = store.routing_reads("like_post", "social", day=day, proposal=("t2", "like-4", 0))
    assert stale["earlier"] is None and stale["daily"] == 2
    store.propose("t2", "like-4", 0, facts, "review", "supervised", day)
    # outside a transaction `seen` is ignored: the route recorded meanwhile is read afresh
    again = store.propose("t2", "like-4", 0, facts, "auto", "supervised", day, seen=stale)
    assert again == (False, "review")
    rows = store.query("SELECT action_id, route FROM proposals WHERE thread_id = 't2'")
    assert sorted((r["action_id"], r["route"]) for r in rows) == [
        ("like-1", "auto"),
        ("like-2", "auto"),
        ("like-3", "skip"),
        ("like-4", "review"),
    ]


def test_a_bad_outcome_between_runs_is_seen_by_the_next_assess(signoff, database, brief):
    """Autonomy is lost at once: a rejection recorded after one campaign's assess and before
    the next one's routes the next post to review, on both databases."""
    brief["channels"] = ["social"]
    signoff.store.set_autonomy("publish_post", "social", "monitored", "lead")
    first = signoff.start(dict(brief))
    assert first["pending"] == []  # monitored: a clean post needs no review
    [routed] = _routed(signoff, first["thread_id"])
    assert routed["level"] == "monitored" and routed["route"] != "review"
    track_outcome(
        signoff.store,
        signoff.policy,
        "test:reject",
        "publish_post",
        "social",
        "rejected",
        first["thread_id"],
        "post-1",
        "ann",
    )
    second = signoff.start(dict(brief))
    assert len(second["pending"]) == 1
    [routed] = _routed(signoff, second["thread_id"])
    assert routed["level"] == "supervised" and routed["route"] == "review"


def test_a_draft_and_its_route_commit_together(signoff, brief):
    """Each draft's `draft.reviewed` entry is followed at once by its `action.routed` (one
    transaction: the other branch's entries never come between them)."""
    thread_id = signoff.start(brief)["thread_id"]
    log = signoff.store.audit_log(thread_id, oldest_first=True)
    events = [(e["event"], e["detail"].get("action_id")) for e in log]
    reviewed = [i for i, (event, _) in enumerate(events) if event == "draft.reviewed"]
    assert len(reviewed) == 2
    for i in reviewed:
        assert events[i + 1] == ("action.routed", events[i][1])
        assert log[i + 1]["seq"] == log[i]["seq"] + 1


def test_a_draft_whose_routing_fails_is_still_audited(signoff, brief, monkeypatch):
    import graphs.assess

    def broken(*args, **kwargs):
        raise RuntimeError("policy unavailable")

    monkeypatch.setattr(graphs.assess, "route", broken)
    brief["channels"] = ["social"]
    with pytest.raises(RunStopped) as stopped:
        signoff.start(brief)
    log = signoff.store.audit_log(stopped.value.thread_id, oldest_first=True)
    events = [e["event"] for e in log]
    assert "draft.reviewed" in events and "action.routed" not in events


ASCII_TEXT = st.text(alphabet=string.printable, max_size=120)
ANY_TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=120)


@settings(max_examples=150, deadline=None)
@given(
    subject=st.one_of(ASCII_TEXT, ANY_TEXT),
    body=st.one_of(ASCII_TEXT, ANY_TEXT, st.text(max_size=300)),
    name=st.one_of(st.just(""), ASCII_TEXT, ANY_TEXT),
    long_key=st.booleans(),
)
def test_wire_bytes_are_exactly_as_bytes(subject, body, name, long_key):
    subject = " ".join(subject.split()) or "Hello"  # build refuses control characters
    name = " ".join(name.split()).replace("<", "").replace(">", "")
    to = f"{name} <ann@example.com>" if name else "ann@example.com"
    key = ("0f" * 32) if long_key else "k1"
    msg = email_mime.build(
        sender="Signoff <marketing@signoff.local>",
        to=to,
        subject=subject,
        body=body,
        message_id=f"<{key[:32]}@signoff.local>",
        key=key,
    )
    assert email_mime.wire(msg) == msg.as_bytes()


def test_wire_of_a_default_policy_message_is_its_as_bytes():
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["To"] = "Zoë <zoe@example.com>"
    msg["Subject"] = "Grüße"
    msg.set_content("Straße\n")
    assert email_mime.wire(msg) == msg.as_bytes()


def test_feed_append_is_once_per_key_among_many_lines(tmp_path: Path):
    path = tmp_path / "feed.jsonl"
    keys = [f"{n:064x}" for n in range(50)]
    for n, key in enumerate(keys, start=1):
        assert feed.append_once(path, "key", {"key": key, "text": f"post {n}"}) == (n, True)
    assert feed.append_once(path, "key", {"key": keys[7], "text": "again"}) == (8, False)
    # a line holding the value in another field is not a match: the undo is added
    assert feed.append_once(path, "undo_of", {"undo_of": keys[7], "at": "x"}) == (51, True)
    assert feed.append_once(path, "undo_of", {"undo_of": keys[7], "at": "y"}) == (51, False)
    # a value that is not a plain token is compared by parsing every line, as before
    odd = 'post "quoted" ü'
    assert feed.append_once(path, "key", {"key": odd}) == (52, True)
    assert feed.append_once(path, "key", {"key": odd}) == (52, False)
    assert [json.loads(line)["key"] for line in path.read_text().splitlines()[:2]] == keys[:2]
