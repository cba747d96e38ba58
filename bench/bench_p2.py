"""P2: an inbox that stays fast, and a big audience batch.

- p2: the inbox index filled with `pending` undecided reviews (a real payload of a drafted email,
  cloned into emails, posts and ad spends; one batch among them) over `campaigns` campaigns
  (1,000,000 by default), in bulk (COPY on PostgreSQL). Timed: the first page
  (`Signoff.inbox_page`, its counts included), the first page of each filter (campaign, channel,
  risk, both, "who can decide" by approve rules and with a threshold on amounts), the sidebar's
  counts (`Signoff.counts`), each the median of several runs; the baseline is loading everything
  as the page did before (`Signoff.pending()`, every payload parsed), in the same process. On
  SQLite here; on PostgreSQL with bench/bench_p2_pg.py (`--only p2pg`).
- batch: an audience CSV of `contacts` rows → parsed → `Signoff.start` until every personalised
  email waits for review (the scripted fake model drafts: the one model call is not in the time),
  then "approve all" (`Signoff.decide_batch`, one submission) and the holds released by the
  scheduler's `tick`.
"""

from __future__ import annotations

import itertools
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT, ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from fakes import ScriptedChatModel  # noqa: E402

import graphs.brief  # noqa: E402
from graphs.runtime import Signoff, parse_audience_csv  # noqa: E402

BRIEF = {
    "product": "Brightloop 2 smart thermostat",
    "audience": "homeowners with high heating bills",
    "goal": "pre-orders before winter",
}
Log = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _median_ms(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


# the "who can decide" filter: a team in the policy (`decider=`); ANN's filter is approve rules
# only (counted from the counters), BOB's adds a threshold on amounts (counted from the index)
ANN, BOB = "ann@example.com", "bob@example.com"


def team_policy(path: Path) -> Path:
    """The shipped policy with a team: ann (marketer: every email and post, no spend), bob
    (marketer and budget owner: spends above 500 too), cat (admin: every spend)."""
    from policy_support import write_policy

    def team(doc: dict[str, Any]) -> None:
        doc["people"] = {
            ANN: ["marketer"],
            BOB: ["marketer", "budget_owner"],
            "cat@example.com": ["admin"],
        }
        doc["authority"]["approve"] = [
            {"action": "*", "roles": ["marketer"]},
            {"action": "spend_ads", "roles": ["admin"]},
        ]
        doc["authority"]["thresholds"] = [
            {"action": "spend_ads", "above": 500, "roles": ["budget_owner"]}
        ]

    return write_policy(path, team)


COPY_ROWS = 2000  # rows per transaction of a COPY on PostgreSQL (see `_bulk`)


def _bulk(
    s: Signoff, table: str, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]
) -> None:
    """Rows into `table` in one transaction: executemany on SQLite, COPY on PostgreSQL (the
    triggers that keep the index's columns and counters run either way)."""
    if s.store.dialect == "postgresql":  # COPY, a transaction per COPY_ROWS rows: the triggers
        # update the same counter rows, and in one transaction each update walks the row's
        # versions so far (n² in the rows of one transaction)
        raw = s.store.conn.raw
        it = iter(rows)
        while chunk := list(itertools.islice(it, COPY_ROWS)):
            with raw.transaction(), raw.cursor() as cur:
                with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in chunk:
                        copy.write_row(row)
        return
    marks = ", ".join("?" * len(columns))
    with s.store.tx() as c:
        c.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def _fill(
    s: Signoff, pending: int, campaigns: int, batch: int, log: Log, label: str = "p2"
) -> dict[str, Any]:
    """Clone one real drafted email's inbox row into `pending` rows (one batch of `batch` among
    them) over `campaigns` campaign rows (each with its `campaign.started` audit entry), in bulk,
    straight into the index. Every 10th single is
    an ad spend (channel ads, amount 0–990), the rest alternate email / social post; risks
    cycle low, medium, high."""
    real = s.start({**BRIEF, "channels": ["email"]}, by=ANN)
    [row] = [r for r in s.store.inbox(real["thread_id"]) if r["kind"] == "review"]
    payload = dict(row["payload"])
    s.store.set_campaign_status(real["thread_id"], "done")
    s.store.replace_inbox(real["thread_id"], [])
    threads = sorted(uuid.uuid4().hex for _ in range(campaigns))  # in key order: appends
    brief = json.dumps(BRIEF)
    stamp = "2026-01-01T00:00:00+00:00"
    t0 = time.perf_counter()
    _bulk(
        s,
        "campaigns",
        ("thread_id", "brief", "status", "created_at", "updated_at"),
        ((t, brief, "waiting", stamp, stamp) for t in threads),
    )
    _bulk(  # who started each (the inbox reads a campaign's author for "who can decide")
        s,
        "audit",
        ("at", "thread_id", "actor", "event", "detail"),
        ((stamp, t, ANN, "campaign.started", "{}") for t in threads),
    )
    campaigns_s = time.perf_counter() - t0
    singles = pending - batch
    kinds = [("send_email", "email"), ("publish_post", "social")]
    risks = ["low", "medium", "high"]
    action = dict(payload["action"])

    def rows() -> Iterator[tuple[Any, ...]]:
        for n in range(pending):
            in_batch = n >= singles
            thread = threads[-1] if in_batch else threads[n % len(threads)]
            if n % 10 == 9 and not in_batch:
                name, channel = "spend_ads", "ads"
                act = {**action, "name": name, "args": {**action["args"], "amount": n % 100 * 10}}
            else:
                name, channel = kinds[n % 2] if not in_batch else kinds[0]
                act = {**action, "name": name}
            p = {
                **payload,
                "action": act,
                "channel": channel,
                "risk": risks[n % 3],
                "batch": "audience" if in_batch else None,
            }
            yield (
                uuid.uuid4().hex,
                thread,
                f"a{n}",
                json.dumps(p),
                f"2026-01-01T{n // 3_600_000 % 24:02d}:{(n // 60000) % 60:02d}:"
                f"{(n // 1000) % 60:02d}+00:00",
                "review",
                None,
                "audience" if in_batch else None,
            )

    t1 = time.perf_counter()
    _bulk(
        s,
        "inbox",
        ("interrupt_id", "thread_id", "action_id", "payload", "created_at", "kind", "due", "batch"),
        rows(),
    )
    inbox_s = time.perf_counter() - t1
    # planner statistics; on PostgreSQL also the visibility map that autovacuum keeps on a live
    # database (without it an index-only scan still reads every row it counts)
    s.store.conn.execute("VACUUM ANALYZE" if s.store.dialect == "postgresql" else "ANALYZE")
    fill_s = time.perf_counter() - t0
    log(
        f"{label}: {campaigns} campaigns in {campaigns_s:.1f} s, {pending} pending ({batch} in one "
        f"batch) in {inbox_s:.1f} s, analysed (PostgreSQL: vacuumed): {fill_s:.1f} s in all; payload "
        f"{len(json.dumps(payload))} bytes"
    )
    return {
        "fill_s": fill_s,
        "campaigns_s": campaigns_s,
        "inbox_s": inbox_s,
        "thread": threads[1],  # a campaign with one draft waiting
        "batch_thread": threads[-1],  # the campaign of the batch
    }


# the pages timed besides the first: label → Signoff.inbox_page's filters (campaign is set later)
PAGES: dict[str, dict[str, Any]] = {
    "campaign": {},
    "campaign_batch": {},
    "channel": {"channel": "social"},
    "risk": {"risk": "high"},
    "filtered": {"channel": "social", "risk": "high"},
    "decider": {"decider": ANN},
    "decider_threshold": {"decider": BOB},
}


def run_p2(
    pending: int = 100_000,
    campaigns: int = 1_000_000,
    batch: int = 10_000,
    *,
    runs: int = 7,
    log: Log = _stderr,
    label: str = "p2",
) -> dict[str, Any]:
    """P2 on the database the environment names (SQLite in a temporary home, or PostgreSQL when
    `SIGNOFF_DATABASE_URL` is set: bench/bench_p2_pg.py)."""
    with tempfile.TemporaryDirectory(prefix="signoff-p2-") as tmp:
        policy = team_policy(Path(tmp) / "team.yaml")
        s = Signoff(
            Path(tmp) / "home", model=ScriptedChatModel(), recover=False, policy_path=policy
        )
        try:
            filled = _fill(s, pending, campaigns, min(batch, pending // 2), log, label)
            page = s.inbox_page(1, 50)
            assert page["pending"] == pending, page["pending"]
            first_ms = _median_ms(lambda: s.inbox_page(1, 50), runs)
            pages_ms: dict[str, float] = {}
            for name, filters in PAGES.items():
                if name.startswith("campaign"):
                    filters = {"campaign": filled["batch_thread" if "batch" in name else "thread"]}
                got = s.inbox_page(1, 50, **filters)
                assert got["items"] or got["pending"] == 0, name
                pages_ms[name] = _median_ms(
                    lambda filters=filters: s.inbox_page(1, 50, **filters), runs
                )
                log(f"{label}: page {name} {pages_ms[name]:.2f} ms ({got['pending']} match)")
            counts_ms = _median_ms(s.counts, runs)
            count_decider_ms = _median_ms(lambda: s.pending_count(decider=BOB), runs)
            log(f"{label}: loading everything, as the page did before (the baseline)…")
            t0 = time.perf_counter()
            everything = s.pending()
            all_ms = (time.perf_counter() - t0) * 1000
            assert len(everything) == pending
        finally:
            s.close()
    return {
        "pending": pending,
        "campaigns": campaigns,
        "entries": page["entries"],
        "fill_s": filled["fill_s"],
        "first_page_ms": first_ms,
        "pages_ms": pages_ms,
        "filtered_page_ms": pages_ms["filtered"],
        "counts_ms": counts_ms,
        "count_decider_ms": count_decider_ms,
        "load_all_ms": all_ms,
    }


def run_batch(contacts: int = 10_000, *, log: Log = _stderr) -> dict[str, Any]:
    graphs.brief.MAX_AUDIENCE = max(graphs.brief.MAX_AUDIENCE, contacts)
    csv_text = "email,name,company\n" + "".join(
        f"c{n}@example.com,Contact {n},Company {n % 97}\n" for n in range(contacts)
    )
    with tempfile.TemporaryDirectory(prefix="signoff-batch-") as tmp:
        s = Signoff(Path(tmp) / "home", model=ScriptedChatModel(), recover=False)
        try:
            t0 = time.perf_counter()
            audience = parse_audience_csv(csv_text)
            parsed = time.perf_counter()
            started = s.start({**BRIEF, "channels": ["email"]}, audience=audience)
            drafted = time.perf_counter()
            thread = started["thread_id"]
            waiting = s.pending_count(campaign=thread)
            assert waiting == contacts, waiting
            log(f"batch: {contacts} pending in {drafted - t0:.1f} s; approving all…")
            t1 = time.perf_counter()
            s.decide_batch(thread, "audience", {"type": "approve"}, by="bench")
            approved = time.perf_counter()
            released = s.tick(now=s.clock() + 3600)["released"]
            done = time.perf_counter()
            sent = sum(1 for r in s.store.outbox(thread) if r["status"] == "done")
            interrupts = len(s.graph.get_state(s._config(thread)).interrupts)
        finally:
            s.close()
    import resource

    return {
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "interrupts_after": interrupts,
        "contacts": contacts,
        "csv_ms": (parsed - t0) * 1000,
        "to_pending_s": drafted - t0,
        "approve_all_s": approved - t1,
        "release_s": done - approved,
        "released": len(released),
        "sent": sent,
    }


def report_p2(f: dict[str, Any], key: str = "p2") -> list[str]:
    """`key`: "p2" (SQLite) or "p2pg" (PostgreSQL)."""
    lines = [
        f"{key}_pending={f['pending']}",
        f"{key}_campaigns={f['campaigns']}",
        f"{key}_entries={f['entries']}",
        f"{key}_fill_s={f['fill_s']:.1f}",
        f"{key}_first_page_ms={f['first_page_ms']:.2f}",
    ]
    lines += [f"{key}_page_{name}_ms={ms:.2f}" for name, ms in f["pages_ms"].items()]
    worst = max([f["first_page_ms"], *f["pages_ms"].values()])
    lines += [
        f"{key}_filtered_page_ms={f['filtered_page_ms']:.2f}",
        f"{key}_counts_ms={f['counts_ms']:.2f}",
        f"{key}_count_decider_threshold_ms={f['count_decider_ms']:.2f}",
        f"{key}_load_all_ms={f['load_all_ms']:.0f}",
        f"{key}_first_page_ratio={f['first_page_ms'] / f['load_all_ms']:.5f}",
        f"{key}_slowest_page_ratio={worst / f['load_all_ms']:.5f}",
        f"{key}_counts_ratio={f['counts_ms'] / f['load_all_ms']:.5f}",
        f"{key}_note=ratios: the paged read / loading every pending item (lower is better); "
        "targets: every page < 50 ms, counts < 10 ms; a page includes its entry and item counts",
    ]
    return lines


def report_batch(f: dict[str, Any]) -> list[str]:
    return [
        f"batch_contacts={f['contacts']}",
        f"batch_csv_ms={f['csv_ms']:.1f}",
        f"batch_to_pending_s={f['to_pending_s']:.2f}",
        f"batch_per_contact_ms={f['to_pending_s'] * 1000 / f['contacts']:.2f}",
        f"batch_approve_all_s={f['approve_all_s']:.2f}",
        f"batch_release_s={f['release_s']:.2f}",
        f"batch_sent={f['sent']}",
        f"batch_peak_rss_mb={f['peak_rss_mb']:.0f}",
    ]
