"""P2: an inbox that stays fast, and a big audience batch.

- p2: the inbox index filled with `pending` undecided reviews (a real payload of a drafted email,
  cloned; one batch among them) over `campaigns` campaigns. Timed: the first page
  (`Signoff.inbox_page`), a filtered first page, the sidebar's counts (`Signoff.counts`), each the
  median of several runs; the baseline is loading everything as the page did before
  (`Signoff.pending()`, every payload parsed), in the same process.
- batch: an audience CSV of `contacts` rows → parsed → `Signoff.start` until every personalised
  email waits for review (the scripted fake model drafts: the one model call is not in the time),
  then "approve all" (`Signoff.decide_batch`, one submission) and the holds released by the
  scheduler's `tick`.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
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


def _fill(s: Signoff, pending: int, campaigns: int, batch: int, log: Log) -> None:
    """Clone one real drafted email's inbox row into `pending` rows (one batch of `batch` among
    them) over `campaigns` campaign rows, in bulk, straight into the index."""
    real = s.start({**BRIEF, "channels": ["email"]})
    [row] = [r for r in s.store.inbox(real["thread_id"]) if r["kind"] == "review"]
    payload = dict(row["payload"])
    s.store.set_campaign_status(real["thread_id"], "done")
    s.store.replace_inbox(real["thread_id"], [])
    threads = [uuid.uuid4().hex for _ in range(campaigns)]
    brief = json.dumps(BRIEF)
    conn = s.store.conn
    t0 = time.perf_counter()
    with s.store.tx() as c:
        c.executemany(
            "INSERT INTO campaigns VALUES (?, ?, 'waiting', ?, ?)",
            ((t, brief, "2026-01-01T00:00:00+00:00", "2026-01-01T00:00:00+00:00") for t in threads),
        )
    singles = pending - batch
    channels = ["email", "social"]
    risks = ["low", "medium", "high"]

    def rows() -> Any:
        for n in range(pending):
            in_batch = n >= singles
            thread = threads[-1] if in_batch else threads[n % len(threads)]
            p = {
                **payload,
                "channel": channels[n % 2],
                "risk": risks[n % 3],
                "batch": "audience" if in_batch else None,
            }
            yield (
                uuid.uuid4().hex,
                thread,
                f"a{n}",
                json.dumps(p),
                f"2026-01-01T00:{(n // 60000) % 60:02d}:{(n // 1000) % 60:02d}+00:00",
                "review",
                None,
                "audience" if in_batch else None,
            )

    with s.store.tx() as c:
        c.executemany(
            "INSERT INTO inbox (interrupt_id, thread_id, action_id, payload, created_at, kind,"
            " due, batch) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows(),
        )
    conn.execute("ANALYZE")
    log(
        f"p2: {pending} pending ({batch} in one batch) over {campaigns} campaigns written in "
        f"{time.perf_counter() - t0:.1f} s; payload {len(json.dumps(payload))} bytes"
    )


def run_p2(
    pending: int = 100_000,
    campaigns: int = 50_000,
    batch: int = 10_000,
    *,
    runs: int = 7,
    log: Log = _stderr,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="signoff-p2-") as tmp:
        s = Signoff(Path(tmp) / "home", model=ScriptedChatModel(), recover=False)
        try:
            _fill(s, pending, campaigns, min(batch, pending // 2), log)
            page = s.inbox_page(1, 50)
            assert page["pending"] == pending, page["pending"]
            first_ms = _median_ms(lambda: s.inbox_page(1, 50), runs)
            filtered_ms = _median_ms(
                lambda: s.inbox_page(1, 50, channel="social", risk="high"), runs
            )
            counts_ms = _median_ms(s.counts, runs)
            log("p2: loading everything, as the page did before (the baseline)…")
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
        "first_page_ms": first_ms,
        "filtered_page_ms": filtered_ms,
        "counts_ms": counts_ms,
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


def report_p2(f: dict[str, Any]) -> list[str]:
    return [
        f"p2_pending={f['pending']}",
        f"p2_campaigns={f['campaigns']}",
        f"p2_entries={f['entries']}",
        f"p2_first_page_ms={f['first_page_ms']:.2f}",
        f"p2_filtered_page_ms={f['filtered_page_ms']:.2f}",
        f"p2_counts_ms={f['counts_ms']:.2f}",
        f"p2_load_all_ms={f['load_all_ms']:.0f}",
        f"p2_first_page_ratio={f['first_page_ms'] / f['load_all_ms']:.5f}",
        f"p2_counts_ratio={f['counts_ms'] / f['load_all_ms']:.5f}",
        "p2_note=ratios: the paged read / loading every pending item (lower is better); "
        "targets: first page < 50 ms, counts < 10 ms",
    ]


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
