"""The crash harness (bench/faults.py) on PostgreSQL with runs in workers, in small.

`make faults DB=postgres` runs it in full (200 kills): each trial's campaigns and decisions are
queued in a new database of the test cluster and run by two worker processes; the kill hits a
worker mid-run and the other takes the run over once its lease runs out. Here three kills
(SMTP, the webhook and Mastodon; before the claim, after it, after the connector call) must
show 0 duplicates, 0 lost, every run taken over and every approved action delivered once.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import faults  # noqa: E402


def test_three_kills_of_a_worker_mid_run_on_postgres_lose_nothing_and_repeat_nothing(
    tmp_path, postgres
):
    result = faults.run(
        3,
        seed=3,
        lanes=2,
        workdir=tmp_path / "faults",
        database_url=postgres.url,
        workers=2,
        lease_s=1.0,
    )
    report = "\n".join([result.table(), *result.problems, result.summary()])
    total = result.total()

    assert result.problems == [], report
    assert total.kills == 3 and total.survived == 0, report
    assert {c: f.kills for c, f in result.by_connector.items() if f.kills} == {
        "smtp": 1,
        "webhook": 1,
        "mastodon": 1,
    }, report
    # each killed worker held a run; another worker claimed it again after the lease ran out
    assert result.takeovers >= 3, report
    assert result.duplicates_where_honoured == 0 and result.smtp.duplicates == 0, report
    assert total.lost == 0, report
    assert total.actions > 0 and total.deliveries == total.actions, report
    assert result.smtp.surfaced == result.smtp.windows, report
    assert result.summary().startswith(
        "faults: 3 kills · 0 duplicates where the key is honoured · 0 lost · "
    ), report
