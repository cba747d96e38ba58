"""The crash harness (bench/faults.py) in small: real SIGKILLs, real servers, counted deliveries.

`make faults` runs it in full (200 kills) and prints the figures; here 16 kills spread over the
five connectors and the four fault points must show 0 duplicates, 0 lost and every SMTP send cut
off mid-way in front of a person. A control run settles wrongly on purpose, to show the counting
would catch a duplicate. Two tests make rare crash windows the harness found deterministic:
between two rows of one step's checkpoint writes, and between the outbox's `done` and the
execution's audit entry.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

from policy_support import no_holds

from graphs.faults import POINTS

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import faults  # noqa: E402


def test_sixteen_kills_over_every_connector_and_point_lose_nothing_and_repeat_nothing(tmp_path):
    result = faults.run(16, seed=5, lanes=2, workdir=tmp_path / "faults")
    report = "\n".join([result.table(), *result.problems, result.summary()])
    total = result.total()

    # Every problem fails this test but one: an action `done` in the outbox whose audit entry
    # was never written, because a kill in a parallel branch landed between the executor's two
    # commits (graphs/executor.py `_run`: store.finish, then store.audit). Whether a kill lands
    # there depends on thread timing (about 1 run in 5 here), so that bug has its own
    # deterministic test below; `make faults` still counts it and exits 1. (A kill in a parallel
    # branch can also land between two rows of a step's checkpoint writes; that one loses an
    # action, so it stays a failure here too, and has its own deterministic test below.)
    figures_wrong = [p for p in result.problems if "done without an audit entry" not in p]
    assert figures_wrong == [], report
    assert total.kills == 16 and total.survived == 0, report
    assert {c: f.kills for c, f in result.by_connector.items()} == {
        "smtp": 4,
        "webhook": 3,
        "mastodon": 3,
        "wordpress": 3,
        "ads": 3,
    }
    assert set(total.points) == set(POINTS), report
    assert set(result.smtp.points) == set(POINTS), report  # SMTP is killed at all four points
    # nothing repeated where the key is honoured, nothing repeated at SMTP after settling
    assert result.duplicates_where_honoured == 0 and result.smtp.duplicates == 0, report
    assert total.lost == 0, report
    # every approved action delivered exactly once, and the keys did absorb repeated requests
    assert total.actions > 0 and total.deliveries == total.actions, report
    assert total.requests > total.deliveries, report
    # every SMTP send cut off between claim and record was put in front of a person
    assert result.smtp.midway == 2, report
    assert result.smtp.windows >= result.smtp.midway, report
    assert result.smtp.surfaced == result.smtp.windows, report
    assert result.smtp.in_doubt == result.smtp.windows, report
    assert result.smtp.mark_sent + result.smtp.send_again == result.smtp.in_doubt
    assert all(f.in_doubt == 0 for c, f in result.by_connector.items() if c != "smtp"), report
    assert result.summary() == (
        "faults: 16 kills · 0 duplicates where the key is honoured · 0 lost · "
        f"SMTP crash windows surfaced as in-doubt: {result.smtp.windows}/{result.smtp.windows}"
    )


def test_the_harness_counts_a_duplicate_when_an_in_doubt_send_is_settled_wrongly(tmp_path):
    """Control: 'send again' for an email the server already has must show as a duplicate."""
    result = faults.run(
        2,
        seed=9,
        lanes=1,
        connectors=("smtp",),
        points=("after_connector",),
        settle=lambda server_got_it: "send_again",
        workdir=tmp_path / "control",
    )
    assert result.smtp.kills == 2
    assert result.smtp.surfaced == result.smtp.windows >= 2
    assert result.smtp.duplicates >= 2
    assert not result.ok
    assert any("delivered 2 times" in p for p in result.problems), result.problems


AUDIT_KILL = """
import os, signal, sys
sys.path.insert(0, {tests!r})
from fakes import ScriptedChatModel
from graphs.store import Store
from graphs.runtime import Signoff

finish = Store.finish

def finish_then_die(self, key, status, result, *args, **kw):
    finish(self, key, status, result, *args, **kw)
    if status == "done":  # the outbox says `done`: die before anything else is written
        os.kill(os.getpid(), signal.SIGKILL)

Store.finish = finish_then_die
runtime = Signoff(os.environ["SIGNOFF_HOME"], model=ScriptedChatModel())
brief = {{"product": "Brightloop 2", "audience": "renters", "goal": "sign-ups", "channels": ["email"]}}
[item] = runtime.start(brief)["pending"]
runtime.decide(item["id"], {{"type": "approve"}})
"""


def test_a_kill_between_the_outbox_record_and_its_audit_entry_leaves_no_gap(home, tmp_path):
    """What the harness finds now and then, made deterministic: the process dies after the
    outbox recorded `done` and before `action.executed` was appended. After the restart the
    execution must still be in the audit log (write both in one transaction, or have recovery
    add the missing entry), else the log no longer tells what went out."""
    script = AUDIT_KILL.format(tests=str(ROOT / "tests"))
    env = {**os.environ, "SIGNOFF_HOME": str(home), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, timeout=180)
    assert proc.returncode == -signal.SIGKILL
    from fakes import ScriptedChatModel

    from graphs.runtime import Signoff

    with Signoff(home, model=ScriptedChatModel()) as runtime:
        [row] = runtime.store.outbox()
        audited = {e["detail"].get("key") for e in runtime.activity(event="action.executed")}
        campaign = runtime.campaigns()[0]
    assert row["status"] == "done" and campaign["status"] == "done"
    assert row["key"] in audited, "an email went out and the audit log does not say so"


HALF_WRITTEN = """
import os, signal, sys
sys.path.insert(0, {tests!r})
from fakes import ScriptedChatModel
from graphs.runtime import Signoff

runtime = Signoff(os.environ["SIGNOFF_HOME"], model=ScriptedChatModel())

def trace(sql):
    # `assess` routed the page to the publisher: its writes are `assessment`, then the branch.
    # Die as the second row starts, after the first was stored.
    if "INTO writes" in sql and "branch:to:publisher" in sql:
        os.kill(os.getpid(), signal.SIGKILL)

runtime.checkpointer.conn.set_trace_callback(trace)
brief = {{"product": "Brightloop 2", "audience": "renters", "goal": "sign-ups", "channels": ["cms"]}}
runtime.start(brief)
"""


def test_a_kill_between_two_rows_of_a_steps_checkpoint_writes_loses_no_action(home):
    """What the harness finds now and then ('lost: never executed (campaign done)'), made
    deterministic. A node's writes (here assess's state update and its route to the publisher)
    must be saved all or nothing; on a connection in autocommit mode each row commits alone, and
    a step saved without its route ends the action's branch: the page is never published and
    the campaign says done."""
    script = HALF_WRITTEN.format(tests=str(ROOT / "tests"))
    env = {**os.environ, "SIGNOFF_HOME": str(home), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, timeout=180)
    assert proc.returncode == -signal.SIGKILL
    from fakes import ScriptedChatModel

    from graphs.runtime import Signoff

    with Signoff(home, model=ScriptedChatModel()) as runtime:  # recovers and carries on
        [campaign] = runtime.campaigns()
        outcomes = runtime.campaign(campaign["thread_id"])["outcomes"]
        outbox = [(r["action_id"], r["status"]) for r in runtime.store.outbox()]
    assert campaign["status"] == "done"
    assert outbox == [("page-1", "done")], "the page that may run without review was lost"
    assert [(o["action_id"], o["status"]) for o in outcomes] == [("page-1", "executed")]
    assert (home / "site" / "brightloop-2.md").exists()


def test_the_child_entry_point_dies_at_the_fault_point_and_a_fresh_process_recovers(tmp_path):
    """Without the pre-imported server: `python tests/fault_child.py run JOB` in a fresh
    interpreter reads SIGNOFF_CRASH_AT at import, as production code would."""
    home = tmp_path / "home"
    with faults.counterparts() as servers:
        policy = no_holds(tmp_path / "policy.yaml")
        trial = faults.plan(0, "webhook", "after_connector", random.Random(1))
        env = {
            "SIGNOFF_HOME": str(home),
            "SIGNOFF_POLICY": str(policy),
            **servers.env("webhook"),
        }

        def child(op: str, crash: str | None = None) -> tuple[int, list[dict]]:
            job = {
                "op": op,
                "home": str(home),
                "env": {**env, **({"SIGNOFF_CRASH_AT": crash} if crash else {})},
                "briefs": trial.briefs,
                "result": str(tmp_path / f"{op}.jsonl"),
            }
            (tmp_path / f"{op}.json").write_text(json.dumps(job))
            clean = {k: v for k, v in os.environ.items() if not k.startswith("SIGNOFF_")}
            proc = subprocess.run(
                [sys.executable, str(faults.CHILD), "run", str(tmp_path / f"{op}.json")],
                env={**clean, **job["env"], "PYTHONPATH": str(ROOT)},
                cwd=ROOT,
                timeout=180,
                capture_output=True,
                text=True,
            )
            return proc.returncode, faults.read_report(job["result"])

        # like-1 and follow-2 run during start without review; the second delivery is cut off
        code, report = child("crash", crash="after_connector:2")
        assert code == -signal.SIGKILL
        assert [r["kind"] for r in report] == ["starting"]  # it died inside start()
        assert sum(servers.social.effects.values()) == 2  # both reached the server
        code, report = child("recover")
        assert code == 0, report
        [recovered] = [r for r in report if r["kind"] == "recovered"]
    assert recovered["errors"] == [] and recovered["in_doubt"] == [] and recovered["failed"] == []
    assert sorted((r["action_id"], r["status"]) for r in recovered["outbox"]) == [
        ("follow-2", "done"),
        ("like-1", "done"),
        ("post-1", "done"),
    ]
    assert [c["status"] for c in recovered["campaigns"]] == ["done"]
    # the cut-off call was repeated with its key and the server absorbed it: 3 effects
    assert sorted(servers.social.effects.values()) == [1, 1, 1]
    # 2 first calls, 1 or 2 repeats (the first may have been recorded before the kill), post-1
    assert 4 <= sum(servers.social.requests.values()) <= 5
