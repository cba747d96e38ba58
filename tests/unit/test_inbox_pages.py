"""The inbox a page at a time: entries (singles and each batch once), filters, counts from
queries that agree with the full lists, and a whole batch decided in one submission."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support import maildir_count, run, run_json

from graphs.errors import InvalidInput, NotFound
from graphs.runtime import Signoff
from graphs.storage.migrate import head
from graphs.store import MIGRATIONS, Store, _statements, connect

CONTACTS = [{"email": f"p{i}@example.com", "name": f"Pat{i} Lee"} for i in range(12)]


def _campaigns(signoff: Signoff, brief: dict[str, str], n: int) -> list[dict[str, Any]]:
    return [signoff.start(brief) for _ in range(n)]


def test_pages_cover_every_pending_item_once_in_order(signoff: Signoff, brief: dict[str, str]):
    _campaigns(signoff, brief, 3)
    everything = signoff.pending()
    assert len(everything) >= 6
    seen: list[str] = []
    page = signoff.pending_page(1, 4)
    assert page["pending"] == len(everything) and page["pages"] == -(-len(everything) // 4)
    for number in range(1, page["pages"] + 1):
        seen += [i["id"] for i in signoff.pending_page(number, 4)["items"]]
    assert seen == [i["id"] for i in everything]  # the same items, the same order, once each
    assert signoff.pending_page(page["pages"] + 1, 4)["items"] == []


def test_a_batch_is_one_entry_with_its_open_count(signoff: Signoff, brief: dict[str, str]):
    single = signoff.start(brief)
    batch = signoff.start({**brief, "channels": ["email"]}, audience=CONTACTS)
    view = signoff.inbox_page(1, 50)
    batches = [i for i in view["items"] if i["batch"]]
    assert len(batches) == 1 and batches[0]["open"] == len(CONTACTS)
    assert view["entries"] == len(single["pending"]) + 1
    assert view["pending"] == len(single["pending"]) + len(CONTACTS)
    emails = signoff.inbox_page(1, 50, channel="email")
    assert [(i["batch"], i["open"]) for i in emails["items"]] == [(None, 1), ("audience", 12)]
    assert emails["entries"] == 2 and emails["pending"] == 1 + len(CONTACTS)
    mine = signoff.inbox_page(1, 50, campaign=batch["thread_id"])
    assert [i["open"] for i in mine["items"]] == [len(CONTACTS)] and mine["entries"] == 1
    assert view["products"] == {
        single["thread_id"]: brief["product"],
        batch["thread_id"]: brief["product"],
    }
    signoff.decide_many({p["id"]: {"type": "approve"} for p in batch["pending"][:5]})
    [lead] = [i for i in signoff.inbox_page(1, 50)["items"] if i["batch"]]
    assert lead["open"] == len(CONTACTS) - 5
    assert lead["id"] == batch["pending"][5]["id"]  # the oldest undecided draft leads


def test_filters_and_counts_agree_with_the_lists(signoff: Signoff, brief: dict[str, str]):
    started = _campaigns(signoff, brief, 2)
    everything = signoff.pending()
    for channel in {i["channel"] for i in everything}:
        want = [i["id"] for i in everything if i["channel"] == channel]
        got = signoff.inbox_page(1, 50, channel=channel)
        assert [i["id"] for i in got["items"]] == want and got["pending"] == len(want)
    for risk in {i["risk"] for i in everything}:
        assert signoff.pending_count(risk=risk) == sum(i["risk"] == risk for i in everything)
    thread = started[0]["thread_id"]
    mine = signoff.inbox_page(1, 50, campaign=thread)["items"]
    assert {i["thread_id"] for i in mine} == {thread}
    action = everything[0]["action"]
    assert signoff.pending_count(action=action) == sum(i["action"] == action for i in everything)
    counts = signoff.counts()
    assert counts["pending"] == len(everything)
    assert counts["holds"] == len(signoff.holds())
    assert counts["notifications"] == len(signoff.notifications("open"))
    assert counts["in_doubt"] == len(signoff.in_doubt()) and counts["failed"] == 0
    assert counts["any_campaign"] == 1
    signoff.decide(everything[0]["id"], {"type": "reject", "reason": "Off-brand"})
    assert signoff.counts()["pending"] == len(everything) - 1


def test_bad_page_numbers_are_refused(signoff: Signoff):
    with pytest.raises(InvalidInput, match="expected a page from 1"):
        signoff.inbox_page(0)
    with pytest.raises(InvalidInput, match="per page"):
        signoff.pending_page(1, 10_000)


def test_approve_all_decides_a_batch_in_one_submission(
    signoff: Signoff, brief: dict[str, str], home: Path, monkeypatch: pytest.MonkeyPatch
):
    calls: list[int] = []
    real = Signoff.decide_many

    def spy(self: Signoff, decisions: dict[str, Any], **kw: Any) -> Any:
        calls.append(len(decisions))
        return real(self, decisions, **kw)

    monkeypatch.setattr(Signoff, "decide_many", spy)
    started = signoff.start({**brief, "channels": ["email"]}, audience=CONTACTS)
    thread = started["thread_id"]
    sample = signoff.batch_ids(thread, "audience")[:2]
    assert [i["id"] for i in signoff.items(sample)] == sample
    signoff.decide(sample[0], {"type": "reject", "reason": "Off-brand"})
    result = signoff.decide_batch(thread, "audience", {"type": "approve"}, exclude=sample, by="ann")
    assert len(result["decisions"]) == len(CONTACTS) - 2 and sample[1] not in result["decisions"]
    # the rest is ONE decision on the batch's interrupt, not one per contact
    assert calls == [1] and len(signoff.store.decisions(thread)) == 2
    assert maildir_count(home) == 0  # one draft of the batch is still undecided
    assert signoff.items(sample) == [signoff.pending()[0]] and signoff.counts()["pending"] == 1
    signoff.decide_batch(thread, "audience", {"type": "approve"})
    assert maildir_count(home) == len(CONTACTS) - 1
    with pytest.raises(NotFound, match="decided already"):
        signoff.decide_batch(thread, "audience", {"type": "approve"})


def test_the_migration_fills_the_new_columns_of_an_existing_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A database from before migration 3: its open rows and decided rows are told apart."""
    conn = connect(tmp_path / "old.db")
    for number, script in enumerate(MIGRATIONS[:2], start=1):  # the script before Alembic
        for statement in _statements(script):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {number}")
    payload = '{"action": {"name": "send_email", "args": {}}, "channel": "email", "risk": "low"}'
    for n in range(3):
        conn.execute(
            "INSERT INTO inbox (interrupt_id, thread_id, action_id, payload, created_at) "
            "VALUES (?, 't', ?, ?, ?)",
            (f"i{n}", f"a{n}", payload, f"2026-01-01T00:00:0{n}"),
        )
    conn.execute(
        "INSERT INTO decisions VALUES ('i1', 't', 'a1', '{\"type\": \"approve\"}', 'ann', 'x', "
        "NULL)"
    )
    store = Store(conn)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == int(head())
    assert store.inbox_count() == 2 and store.inbox_count(channel="email", risk="low") == 2
    assert [r["interrupt_id"] for r in store.inbox_items()] == ["i0", "i2"]
    assert store.inbox_count(channel="social") == 0


def test_cli_inbox_pages_and_filters(
    cli_home: Path, model: Any, brief: dict[str, str], capsys: pytest.CaptureFixture[str]
):
    with Signoff(cli_home, model=model) as s:
        s.start({**brief, "channels": ["email"]}, audience=CONTACTS[:5])
        everything = [i["id"] for i in s.pending()]
    code, first, _ = run_json(capsys, "inbox", "--limit", "2")
    assert code == 0 and [i["id"] for i in first] == everything[:2]
    code, third, _ = run_json(capsys, "inbox", "--limit", "2", "--page", "3")
    assert [i["id"] for i in third] == everything[4:]
    code, out, _ = run(capsys, "inbox", "--limit", "2")
    assert "5 pending. Page 1 of 3; next: signoff inbox --page 2." in out
    code, out, _ = run(capsys, "inbox", "--channel", "social")
    assert code == 0 and "Nothing is waiting" in out
    code, out, err = run(capsys, "inbox", "--page", "0")
    assert code == 2 and "expected a page from 1" in err + out
