"""The paged inbox reads agree with a full read, on SQLite and on PostgreSQL: for every filter
(campaign, channel, risk, who can decide) and their combinations, the pages of entries and of
items, taken page by page, are exactly the matching part of the full list (`Signoff.pending()`,
the index joined with the decisions, no counters, no filter columns), in its order; the counts
(entries, items, the sidebar's) equal the lengths; and so after some decisions.

The inbox is small and mixed on purpose: singles and two batches over three campaigns, emails,
posts and ad spends with amounts below, between and above the policy's thresholds, one amount
that is a string (never "above" anything), and a hold (never in the review pages)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes import ScriptedChatModel
from policy_support import split_spend_authority, write_policy

from graphs.runtime import Signoff

ANN = "ann@example.com"  # marketer: emails and posts, no spend
BOB = "bob@example.com"  # marketer and budget owner: emails, posts, spends above 500
CAT = "cat@example.com"  # admin: every spend, no email or post
DAN = "dan@example.com"  # viewer: nothing
PEOPLE = (ANN, BOB, CAT, DAN)


def team(doc: dict[str, Any]) -> None:
    doc["people"] = {
        ANN: ["marketer"],
        BOB: ["marketer", "budget_owner"],
        CAT: ["admin"],
        DAN: ["viewer"],
    }
    split_spend_authority(doc)


@pytest.fixture
def runtime(
    home: Path, tmp_path: Path, model: ScriptedChatModel, database: str
) -> Iterator[Signoff]:
    s = Signoff(home, model=model, policy_path=write_policy(tmp_path / "team.yaml", team))
    yield s
    s.close()


# (campaign, action, channel, risk, amount, batch) of each review written, oldest first
ROWS: list[tuple[int, str, str, str, Any, str | None]] = [
    (0, "send_email", "email", "low", None, None),
    (1, "publish_post", "social", "medium", None, None),
    (0, "spend_ads", "ads", "high", 100, None),
    (2, "send_email", "email", "medium", None, "audience"),
    (1, "spend_ads", "ads", "high", 600, None),
    (2, "send_email", "email", "medium", None, "audience"),
    (1, "publish_post", "social", "low", None, "posts"),
    (0, "spend_ads", "ads", "medium", 1200, None),
    (2, "send_email", "email", "high", None, "audience"),
    (1, "publish_post", "social", "low", None, "posts"),
    (0, "spend_ads", "ads", "high", "900", None),  # a string: no threshold applies
    (1, "send_email", "email", "high", None, None),
    (2, "send_email", "email", "medium", None, "audience"),
    (0, "publish_post", "social", "high", None, None),
    (1, "publish_post", "social", "low", None, "posts"),
    (2, "send_email", "email", "low", None, "audience"),
    (0, "spend_ads", "ads", "low", 501, None),
    (1, "send_email", "email", "medium", None, None),
]


def fill(s: Signoff, brief: dict[str, str]) -> list[str]:
    """One real campaign's review payload, cloned into ROWS over three campaigns (each started
    by ann, in the audit), plus a hold; returns the campaigns' ids."""
    real = s.start({**brief, "channels": ["email"]}, by=ANN)
    [row] = [r for r in s.store.inbox(real["thread_id"]) if r["kind"] == "review"]
    base = dict(row["payload"])
    s.store.replace_inbox(real["thread_id"], [])
    threads = [f"camp{n}" for n in range(3)]
    with s.store.tx() as c:
        for t in threads:
            c.execute(
                "INSERT INTO campaigns (thread_id, brief, status, created_at, updated_at) "
                "VALUES (?, ?, 'waiting', 'x', 'x')",
                (t, json.dumps(brief)),
            )
    for t in threads:
        s.store.audit("campaign.started", {}, thread_id=t, actor=ANN)
    rows = []
    for n, (camp, action, channel, risk, amount, batch) in enumerate(ROWS):
        args = dict(base["action"]["args"])
        if amount is not None:
            args["amount"] = amount
        payload = {
            **base,
            "action": {**base["action"], "name": action, "args": args},
            "channel": channel,
            "risk": risk,
            "batch": batch,
        }
        rows.append(
            (f"i{n:02d}", threads[camp], f"a{n}", json.dumps(payload), f"2026-01-01T00:00:{n:02d}")
            + ("review", None, batch)
        )
    hold = {**base, "action": {**base["action"], "name": "send_email"}, "channel": "email"}
    rows.append(
        ("h0", threads[0], "h0", json.dumps(hold), "2026-01-01T00:00:30", "hold", 1e12, None)
    )
    with s.store.tx() as c:
        c.executemany(
            "INSERT INTO inbox (interrupt_id, thread_id, action_id, payload, created_at, kind,"
            " due, batch) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    return threads


def entries(items: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """What `inbox_page` should list for these matching items: each single, each batch once as
    its oldest matching item with the number of its matching items."""
    out: list[tuple[str, int]] = []
    leads: dict[tuple[str, str], int] = {}
    for item in items:
        if item["batch"] is None:
            out.append((item["id"], 1))
            continue
        key = (item["thread_id"], item["batch"])
        if key in leads:
            out[leads[key]] = (out[leads[key]][0], out[leads[key]][1] + 1)
        else:
            leads[key] = len(out)
            out.append((item["id"], 1))
    return out


def check_every_filter(s: Signoff, threads: list[str], holds: int) -> int:
    full = s.pending()  # the full read: the index joined with the decisions, every payload parsed
    cloned = [i["id"] for i in full if i["id"][0] == "i"]  # ROWS' (hex ids: real batches')
    assert cloned == sorted(cloned)  # oldest first
    may = {
        p: {i["id"] for i in s.pending(person=p) if i["authority"]["can_decide"]} for p in PEOPLE
    }
    assert may[DAN] == set() and may[CAT] and may[ANN] and may[BOB] > may[ANN]
    counts = s.counts()
    assert counts["pending"] == len(full) and counts["holds"] == holds
    checked = 0
    for campaign, channel, risk, decider in itertools.product(
        (None, *threads),
        (None, "email", "social", "ads"),
        (None, "low", "medium", "high"),
        (None, *PEOPLE),
    ):
        filters = {"campaign": campaign, "channel": channel, "risk": risk, "decider": decider}
        want = [
            i
            for i in full
            if campaign in (None, i["thread_id"])
            and channel in (None, i["channel"])
            and risk in (None, i["risk"])
            and (decider is None or i["id"] in may[decider])
        ]
        where = f"filters {filters}"
        assert s.pending_count(**filters) == len(want), where
        items: list[str] = []
        page = s.pending_page(1, 4, **filters)
        assert page["pending"] == len(want), where
        for number in range(1, page["pages"] + 1):
            items += [i["id"] for i in s.pending_page(number, 4, **filters)["items"]]
        assert items == [i["id"] for i in want], where
        listed: list[tuple[str, int]] = []
        first = s.inbox_page(1, 3, **filters)
        assert first["pending"] == len(want), where
        assert first["entries"] == len(entries(want)), where
        for number in range(1, first["pages"] + 1):
            listed += [(i["id"], i["open"]) for i in s.inbox_page(number, 3, **filters)["items"]]
        assert listed == entries(want), where
        checked += 1
    return checked


def test_pages_and_counts_agree_with_a_full_read_for_every_filter(
    runtime: Signoff, brief: dict[str, str]
) -> None:
    threads = fill(runtime, brief)
    assert len(runtime.pending()) == len(ROWS)
    assert check_every_filter(runtime, threads, holds=1) == 4 * 4 * 4 * 5
    # decisions change the pages and the counters alike: a single, a batch's lead, a spend only
    # a threshold lets bob decide, and the hold released
    runtime.store.record_decision("i00", threads[0], "a0", {"type": "approve"}, ANN)
    runtime.store.record_decision("i03", threads[2], "a3", {"type": "approve"}, ANN)
    runtime.store.record_decision("i07", threads[0], "a7", {"type": "reject"}, BOB)
    runtime.store.record_decision("h0", threads[0], "h0", {"type": "send_now"}, ANN)
    assert len(runtime.pending()) == len(ROWS) - 3
    check_every_filter(runtime, threads, holds=0)


def recount(s: Signoff) -> set[tuple[Any, ...]]:
    """The per-batch counters as they should be: the open rows of each batch, counted."""
    rows = s.store.query(
        "SELECT thread_id, batch, kind, COALESCE(channel, '') AS channel, COALESCE(risk, '')"
        " AS risk, action, COUNT(*) AS n FROM inbox WHERE decided = 0 AND action IS NOT NULL"
        " AND batch IS NOT NULL GROUP BY thread_id, batch, kind, COALESCE(channel, ''),"
        " COALESCE(risk, ''), action"
    )
    return {
        tuple(r[k] for k in ("thread_id", "batch", "kind", "channel", "risk", "action", "n"))
        for r in rows
    }


def counters(s: Signoff) -> set[tuple[Any, ...]]:
    rows = s.store.query("SELECT * FROM inbox_batch_counts")
    return {
        tuple(r[k] for k in ("thread_id", "batch", "kind", "channel", "risk", "action", "n"))
        for r in rows
    }


def assert_counters_agree(s: Signoff) -> None:
    assert counters(s) == recount(s)


CONTACTS = [{"email": f"p{i}@example.com", "name": f"Pat{i} Lee"} for i in range(1, 9)]


def test_batch_counters_agree_after_decisions(runtime: Signoff, brief: dict[str, str]) -> None:
    """The per-batch counters (revision 11) the filtered pages read equal a recount of the open
    rows after every kind of decision on real audience batches: a sample decided one by one
    (approve, edit, reject), the rest approved in one submission but one, that one rejected;
    approve-all; reject-all; and the pages agree with a full read throughout."""
    threads = fill(runtime, brief)
    assert_counters_agree(runtime)
    assert counters(runtime)  # the cloned batches are counted
    email = {**brief, "channels": ["email"]}
    sample, approve_all, reject_all = (
        str(runtime.start(email, audience=CONTACTS, by=ANN)["thread_id"]) for _ in range(3)
    )
    every = [*threads, sample, approve_all, reject_all]
    per_batch = {t: n for t, b, k, c, r, a, n in counters(runtime) if k == "review"}
    assert per_batch[sample] == per_batch[approve_all] == len(CONTACTS)
    assert_counters_agree(runtime)
    check_every_filter(runtime, every, holds=1)

    first, second, third, fourth = runtime.batch_ids(sample, "audience")[:4]
    runtime.decide(first, {"type": "approve"}, by=BOB)
    runtime.decide(second, {"type": "edit", "args": {"subject": "Pat2, a warmer home"}}, by=BOB)
    runtime.decide(third, {"type": "reject", "reason": "Wrong audience"}, by=BOB)
    assert_counters_agree(runtime)
    assert runtime.pending_count(campaign=sample) == len(CONTACTS) - 3
    runtime.decide_batch(sample, "audience", {"type": "approve"}, exclude=[fourth], by=BOB)
    assert_counters_agree(runtime)
    [entry] = runtime.inbox_page(1, 10, campaign=sample, risk=entry_risk(runtime, fourth))["items"]
    assert entry["id"] == fourth and entry["open"] == 1
    runtime.decide_batch(approve_all, "audience", {"type": "approve"}, by=BOB)
    runtime.decide_batch(reject_all, "audience", {"type": "reject", "reason": "Off-brand"}, by=BOB)
    assert_counters_agree(runtime)
    check_every_filter(runtime, every, holds=2)  # the approved batch waits in its hold

    runtime.decide(fourth, {"type": "reject", "reason": "Wrong audience"}, by=BOB)
    assert_counters_agree(runtime)
    open_batches = {t for t, *_ in counters(runtime)}
    assert not open_batches & {sample, approve_all, reject_all}  # nothing of them is open
    assert runtime.pending_count(campaign=sample) == 0
    assert runtime.inbox_page(1, 10, campaign=sample, channel="email")["items"] == []


def entry_risk(s: Signoff, interrupt_id: str) -> str:
    item = s.store.inbox_item(interrupt_id)
    assert item is not None
    return str(item["payload"]["risk"])
