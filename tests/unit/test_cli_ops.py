"""The `signoff` commands around a decision: holds and the worker, batches of decisions, the
audit log, notifications, undo, in-doubt and failed sends, policy, autonomy and simulation.

In-process (`cli.main`) with the scripted model behind the one seam, except where a real second
process is the point (the worker stopped with Ctrl-C; a crash mid-send).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from cli_support import BRIEF, BRIEF_TEXT, crash_after_claim, seeded, unsupported_claim_model
from policy_support import promotes_quickly, shipped, write_policy
from support import free_port, maildir_count, run, run_json

from graphs.runtime import Signoff
from ui import cli

ROOT = Path(__file__).resolve().parents[2]


# -- fixtures and helpers ---------------------------------------------------------------------
@pytest.fixture
def holds_of(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli_home: Path) -> Any:
    """Use a policy whose email is held for `seconds` (the CLI and `seeded` read it)."""

    def use(seconds: float) -> Path:
        path = write_policy(
            tmp_path / f"policy-hold-{seconds}.yaml", send_email={"hold_seconds": seconds}
        )
        monkeypatch.setenv("SIGNOFF_POLICY", str(path))
        return path

    return use


def start(s: Signoff, **extra: Any) -> dict[str, Any]:
    audience = extra.pop("audience", None)
    return s.start({**BRIEF, **extra}, audience=audience)


def by_action(pending: list[dict[str, Any]], name: str) -> dict[str, Any]:
    [item] = [p for p in pending if p["action"] == name]
    return item


def approved_and_held(s: Signoff) -> dict[str, Any]:
    """A new campaign's email, approved by ann: its hold (the policy holds email)."""
    email = by_action(start(s)["pending"], "send_email")
    s.decide(email["id"], {"type": "approve"}, by="ann")
    [hold] = s.holds()
    return hold


# -- holds: list, cancel, send now ------------------------------------------------------------
def test_holds_cancel_and_send_now(
    cli_home: Path, holds_of: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    holds_of(600)
    with seeded(cli_home) as s:
        emails = [by_action(start(s)["pending"], "send_email") for _ in range(2)]
        for email in emails:
            s.decide(email["id"], {"type": "approve"}, by="ann")
    assert maildir_count(cli_home) == 0  # held, not sent

    code, holds, _ = run_json(capsys, "holds")
    assert code == 0 and len(holds) == 2
    assert {h["action"] for h in holds} == {"send_email"}
    assert all(590 < h["seconds_left"] <= 600 and h["approved_by"] == "ann" for h in holds)
    code, out, _ = run(capsys, "holds")
    assert code == 0 and all(h["id"] in out for h in holds) and "2 held" in out
    assert "A warmer home for less" in out  # what goes out, not just its type
    first, second = holds

    code, data, _ = run_json(capsys, "cancel", first["id"])
    assert code == 0 and data["cancel"] == first["id"] and data["by"] == "tester"
    assert [o["status"] for o in data["outcomes"]] == ["cancelled"]
    code, out, err = run(capsys, "cancel", first["id"])
    assert code == 3 and out == "" and "already decided by tester" in err

    code, out, _ = run(capsys, "send-now", second["id"])
    assert code == 0
    assert "Sent Send email" in out and "send_email: executed" in out
    assert maildir_count(cli_home) == 1
    assert run_json(capsys, "holds")[1] == []
    code, out, _ = run(capsys, "holds")
    assert "Nothing is held" in out
    code, events, _ = run_json(capsys, "audit", "--actor", "tester")
    assert {"hold.cancel", "hold.send_now"} <= {e["event"] for e in events}


def test_cancel_after_the_scheduler_released_it_is_exit_3(
    cli_home: Path, holds_of: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    holds_of(600)
    with seeded(cli_home) as s:
        hold = approved_and_held(s)
        assert s.tick(now=hold["release_at"] + 1)["released"] == [hold["id"]]
    assert maildir_count(cli_home) == 1
    code, error, err = run_json(capsys, "cancel", hold["id"])
    assert code == 3
    assert error["error"] == "already_decided"
    assert error["by"] == "scheduler" and error["decision"] == "release"
    assert maildir_count(cli_home) == 1  # it went out once; the cancel changed nothing
    assert run(capsys, "send-now", "nope")[0] == 4


def test_cancel_a_review_is_refused(cli_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with seeded(cli_home) as s:
        email = by_action(start(s)["pending"], "send_email")
    code, error, _ = run_json(capsys, "cancel", email["id"])
    assert code == 2 and "is a review still waiting for a decision" in error["message"]
    assert f"signoff decide {email['id']} approve" in error["message"]


def test_send_now_and_cancel_take_the_review_id_the_person_just_used(
    cli_home: Path, holds_of: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    holds_of(600)
    with seeded(cli_home) as s:
        first = by_action(start(s)["pending"], "send_email")
        second = by_action(start(s)["pending"], "send_email")
    for email in (first, second):
        assert run(capsys, "decide", email["id"], "approve")[0] == 0
    assert maildir_count(cli_home) == 0
    holds = {h["thread_id"]: h for h in run_json(capsys, "holds")[1]}

    code, data, _ = run_json(capsys, "send-now", first["id"])  # the review's id, not the hold's
    assert code == 0, data
    assert data["send_now"] == holds[first["thread_id"]]["id"]
    assert [o["status"] for o in data["outcomes"]] == ["executed"]
    assert maildir_count(cli_home) == 1

    code, data, _ = run_json(capsys, "cancel", second["id"])
    assert code == 0 and data["cancel"] == holds[second["thread_id"]]["id"]
    assert maildir_count(cli_home) == 1

    # once it went out, the review's id says so plainly (not "already decided")
    code, error, _ = run_json(capsys, "send-now", first["id"])
    assert code == 4 and "is not held any more: it went out" in error["message"]


# -- the worker: a real second process, stopped with Ctrl-C -----------------------------------
def test_worker_releases_held_email_and_stops_cleanly_on_ctrl_c(
    cli_home: Path, holds_of: Any, tmp_path: Path
) -> None:
    holds_of(1)
    with seeded(cli_home) as s:
        hold = approved_and_held(s)
    assert maildir_count(cli_home) == 0
    worker = subprocess.Popen(
        [sys.executable, "-m", "ui", "worker", "--interval", "0.2"],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while maildir_count(cli_home) == 0:
            assert worker.poll() is None, worker.communicate()
            assert time.monotonic() < deadline, "the worker did not release the held email"
            time.sleep(0.2)
        time.sleep(0.5)  # a few more steps: nothing is sent twice
        worker.send_signal(signal.SIGINT)
        out, err = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, err
    assert maildir_count(cli_home) == 1
    [line] = [x for x in out.splitlines() if "released" in x]
    assert "Send email" in line and hold["id"] in line and hold["thread_id"][:8] in line
    assert "worker stopped (1 released)" in err and "Traceback" not in err
    with seeded(cli_home) as s:
        assert s.holds() == []
        [applied] = s.activity(event="hold.release")
        assert applied["actor"] == "scheduler"


def test_worker_json_lines(
    cli_home: Path, holds_of: Any, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    """`--json`: one object per event; SIGTERM stops it like Ctrl-C (here: after 2 steps)."""
    holds_of(600)
    with seeded(cli_home) as s:
        hold = approved_and_held(s)
    steps = []
    real_tick = Signoff.tick

    def tick(self: Signoff, now: float | None = None) -> Any:
        steps.append(now)
        if len(steps) == 2:
            os.kill(os.getpid(), signal.SIGTERM)  # the handler sets the stop event
        return real_tick(self, hold["release_at"] + 1)

    monkeypatch.setattr(Signoff, "tick", tick)
    before = signal.getsignal(signal.SIGTERM)
    code, out, err = run(capsys, "worker", "--interval", "0.05", "--json")
    assert code == 0 and len(steps) == 2
    events = [json.loads(line) for line in out.splitlines()]
    [event] = [e for e in events if e["event"] == "released"]
    assert event["item"]["id"] == hold["id"]
    # the release's run is a job the same worker ran
    assert [(e["job"]["kind"], e["job"]["status"]) for e in events if e["event"] == "job"] == [
        ("apply", "done")
    ]
    assert event["item"]["title"] == "Send email"
    assert "worker stopped (1 released)" in err
    assert signal.getsignal(signal.SIGTERM) == before  # restored
    assert maildir_count(cli_home) == 1


def test_worker_interval_must_be_positive(
    cli_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "worker", "--interval", "0")
    assert code == 2 and "expected more than 0" in err


# -- decide: several ids, flags, the claims check ---------------------------------------------
def test_decide_several_ids_is_one_submission(
    cli_home: Path, fake_model: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with seeded(cli_home) as s:
        first, second = start(s), start(s)
    ids = [by_action(c["pending"], "send_email")["id"] for c in (first, second)]
    code, data, _ = run_json(capsys, "decide", *ids, "--approve")
    assert code == 0
    assert [d["id"] for d in data["decided"]] == ids
    assert {c["thread_id"] for c in data["campaigns"]} == {first["thread_id"], second["thread_id"]}
    assert [o["status"] for o in data["outcomes"]] == ["executed", "executed"]
    assert maildir_count(cli_home) == 2
    with seeded(cli_home) as s:
        decided = [d for c in (first, second) for d in s.campaign(c["thread_id"])["decisions"]]
    assert {d["by"] for d in decided} == {"tester"} and len(decided) == 2


def test_decide_several_ids_one_bad_saves_nothing(
    cli_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with seeded(cli_home) as s:
        pending = start(s)["pending"]
    ids = [p["id"] for p in pending]
    code, error, _ = run_json(capsys, "decide", *ids, "nope", "--reject", "--reason", "off-brand")
    assert code == 4 and error["error"] == "not_found"
    code, error, _ = run_json(capsys, "decide", *ids, "--edit", "--args", '{"subject": "x"}')
    assert code == 2 and "edit takes one ID" in error["message"]
    code, error, _ = run_json(capsys, "decide", ids[0], ids[0], "--approve")
    assert code == 2 and "given twice" in error["message"]
    code, error, _ = run_json(capsys, "decide", ids[0], "approve", "--approve")
    assert code == 2 and "Give the decision once" in error["message"]
    with seeded(cli_home) as s:
        assert {p["id"] for p in s.pending()} == set(ids)
        assert s.activity(event="decision.recorded") == []
    assert maildir_count(cli_home) == 0
    code, data, _ = run_json(capsys, "decide", *ids, "--reject", "--reason", "off-brand")
    assert code == 0 and {o["status"] for o in data["outcomes"]} == {"rejected"}
    assert maildir_count(cli_home) == 0


def test_approving_unsupported_claims_needs_checked(
    cli_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with seeded(cli_home, unsupported_claim_model()) as s:
        email = by_action(start(s)["pending"], "send_email")
    assert email["needs_check"]
    code, error, _ = run_json(capsys, "decide", email["id"], "approve")
    assert code == 2 and "costs $19 today only" in error["message"]
    assert maildir_count(cli_home) == 0
    code, error, _ = run_json(capsys, "decide", email["id"], "reject", "--checked", "--reason", "x")
    assert code == 2 and "--checked goes with approve" in error["message"]
    code, data, _ = run_json(capsys, "decide", email["id"], "approve", "--checked")
    assert code == 0 and data["decided"]["decision"] == {"type": "approve", "checked": True}
    assert maildir_count(cli_home) == 1
    with seeded(cli_home) as s:
        [recorded] = s.activity(event="decision.recorded")
    assert recorded["detail"]["checked_unsupported"] == ["The Brightloop 2 costs $19 today only."]


# -- new: audience list and engagement ----------------------------------------------------------
def test_new_with_an_audience_list_drafts_a_batch(
    cli_home: Path, fake_model: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_file = tmp_path / "audience.csv"
    csv_file.write_text(
        "email,name,company\nann@example.com,Ann,Acme\nbob@example.com,Bob,Bolt\n"
        "cy@example.com,Cy,Cork\n"
    )
    code, data, err = run_json(capsys, "new", "--brief", BRIEF_TEXT, "--audience", str(csv_file))
    assert code == 0 and "audience: 3 recipients" in err
    emails = [p for p in data["pending"] if p["action"] == "send_email"]
    assert sorted(e["args"]["to"] for e in emails) == [
        "ann@example.com",
        "bob@example.com",
        "cy@example.com",
    ]
    assert len({e["batch"] for e in emails}) == 1 and all(e["batch_size"] == 3 for e in emails)
    code, out, _ = run(capsys, "inbox")
    assert "one of a batch of 3" in out
    # the batch in one go: nothing goes out until every draft of it is decided
    code, out, _ = run(capsys, "decide", emails[0]["id"], "approve")
    assert code == 0 and maildir_count(cli_home) == 0
    assert "It goes out when the rest of its batch" in out
    rest = [e["id"] for e in emails[1:]]
    code, data, _ = run_json(capsys, "decide", *rest, "--approve")
    assert code == 0 and maildir_count(cli_home) == 3


@pytest.mark.parametrize(
    "content, words",
    [
        ("name\nAnn\n", ["no 'email' column"]),
        ("email,name\nann@example.com,Ann\nnot-an-address,Bob\n", ["line 3", "not-an-address"]),
        ("email\nann@example.com\nANN@example.com\n", ["line 3", "twice"]),
    ],
)
def test_new_refuses_a_bad_audience_list(
    cli_home: Path,
    fake_model: list[Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str,
    words: list[str],
) -> None:
    csv_file = tmp_path / "audience.csv"
    csv_file.write_text(content)
    code, error, _ = run_json(capsys, "new", "--brief", BRIEF_TEXT, "--audience", str(csv_file))
    assert code == 2 and error["error"] == "invalid_input"
    assert error["message"].startswith("audience.csv: ")
    assert all(w in error["message"] for w in words), error["message"]
    assert fake_model == []  # nothing started
    with seeded(cli_home) as s:
        assert s.campaigns() == []
    code, error, _ = run_json(capsys, "new", "--brief", BRIEF_TEXT, "--audience", "missing.csv")
    assert code == 4 and "No audience file" in error["message"]


def test_new_with_engage_runs_and_logs_reversible_actions(
    cli_home: Path, fake_model: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, error, _ = run_json(capsys, "new", "--brief", BRIEF_TEXT, "--engage", "not-a-target")
    assert code == 2 and "neither a post URL" in error["message"]
    code, data, _ = run_json(
        capsys,
        "new",
        "--brief",
        BRIEF_TEXT,
        "--engage",
        "https://social.example/@ann/1",
        "--engage",
        "@bob",
        "--channels",
        "email",
    )
    assert code == 0
    assert [p["action"] for p in data["pending"]] == ["send_email"]  # likes/follows don't wait
    code, rows, _ = run_json(capsys, "undo")
    assert {r["action"]: r["args"] for r in rows} == {
        "like_post": {"post": "https://social.example/@ann/1"},
        "follow_account": {"account": "@bob"},
    }
    assert not any(r["undone"] for r in rows)


# -- notifications and undo -------------------------------------------------------------------
def test_notifications_ack_and_flag_demotes_at_once(
    cli_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with seeded(cli_home) as s:
        for _ in range(2):  # a landing page runs at `earned` and notifies afterwards
            start(s, channels=["cms"])
    code, notes, _ = run_json(capsys, "notifications")
    assert code == 0 and [n["status"] for n in notes] == ["open", "open"]
    assert {n["action"] for n in notes} == {"publish_page"}
    first, second = sorted(n["id"] for n in notes)
    code, out, _ = run(capsys, "notifications")
    assert "2 open" in out and f"--ack {notes[0]['id']}" in out  # newest first

    code, data, _ = run_json(capsys, "notifications", "--ack", str(first))
    assert code == 0 and data["status"] == "acknowledged" and data["by"] == "tester"
    assert run(capsys, "notifications", "--ack", str(first))[0] == 3
    code, error, _ = run_json(capsys, "notifications", "--flag", str(second))
    assert code == 2 and "--flag needs --reason" in error["message"]
    code, error, _ = run_json(capsys, "notifications", "--reason", "x")
    assert code == 2
    code, error, _ = run_json(capsys, "notifications", "--ack", "1", "--flag", "2")
    assert code == 2 and error["error"] == "usage"
    code, out, _ = run(capsys, "notifications", "--flag", str(second), "--reason", "wrong price")
    assert code == 0 and "waits for a person again" in out
    code, flagged, _ = run_json(capsys, "notifications", "--status", "flagged")
    assert [n["id"] for n in flagged] == [second] and flagged[0]["reason"] == "wrong price"
    code, rows, _ = run_json(capsys, "autonomy")
    page = next(r for r in rows if r["action"] == "publish_page")
    assert page["level"] == "supervised"  # was `earned`: a flag demotes at once
    assert page["record"]["flagged"] == 1 and page["record"]["acknowledged"] == 1
    assert run(capsys, "notifications", "--ack", "999")[0] == 4


def test_undo_a_published_page(cli_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with seeded(cli_home) as s:
        start(s, channels=["cms"])
    page_file = cli_home / "site" / "brightloop-2-smart-thermostat.md"
    assert page_file.exists()
    code, rows, _ = run_json(capsys, "undo")
    [row] = rows
    assert row["action"] == "publish_page" and not row["undone"]
    code, out, _ = run(capsys, "undo")
    assert row["key"] in out and f"signoff undo {row['key']}" in out
    code, data, _ = run_json(capsys, "undo", row["key"])
    assert code == 0 and data["status"] == "undone"
    assert not page_file.exists()
    assert run_json(capsys, "undo")[1][0]["undone"] is True
    code, data, _ = run_json(capsys, "undo", row["key"])  # twice: says so, changes nothing
    assert code == 0 and "Already undone" in data["message"]
    assert run(capsys, "undo", "feedbeef")[0] == 4


# -- the audit log ------------------------------------------------------------------------------
def test_audit_filters_csv_and_verify(
    cli_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with seeded(cli_home) as s:
        first = start(s)
        start(s)
        email = by_action(first["pending"], "send_email")
        s.decide(email["id"], {"type": "approve"}, by="ann")
    code, rows, _ = run_json(capsys, "audit")
    assert code == 0 and [r["seq"] for r in rows] == sorted((r["seq"] for r in rows), reverse=True)
    code, rows, _ = run_json(capsys, "audit", "--event", "decision.recorded")
    assert [(r["event"], r["actor"]) for r in rows] == [("decision.recorded", "ann")]
    code, rows, _ = run_json(capsys, "audit", "--thread", first["thread_id"])
    assert rows and {r["thread_id"] for r in rows} == {first["thread_id"]}
    code, rows, _ = run_json(capsys, "audit", "--actor", "ann", "--limit", "1")
    assert len(rows) == 1 and rows[0]["actor"] == "ann"
    code, out, _ = run(capsys, "audit", "--event", "decision.recorded")
    assert "decision.recorded" in out and "ann" in out

    dest = tmp_path / "audit.csv"
    code, data, err = run_json(capsys, "audit", "--csv", str(dest))
    lines = dest.read_text().splitlines()
    assert code == 0 and data == {"rows": len(lines) - 1, "path": str(dest)}
    assert lines[0].startswith("seq,at,thread_id,actor,event") and data["rows"] > 5
    code, out, err = run(capsys, "audit", "--csv", "-")
    assert out.splitlines()[0] == lines[0] and f"wrote {data['rows']} audit entries" in err
    assert run(capsys, "audit", "--csv", str(tmp_path / "no" / "such" / "dir.csv"))[0] == 4

    code, check, _ = run_json(capsys, "audit", "--verify")
    assert code == 0 and check["ok"] and check["checked"] == data["rows"]
    code, out, _ = run(capsys, "audit", "--verify")
    assert f"audit chain OK: {check['checked']} entries checked" in out

    # Someone edits entry 3 behind Signoff's back (dropping the append-only trigger first).
    with sqlite3.connect(cli_home / "signoff.db") as conn:
        conn.execute("DROP TRIGGER audit_append_only_update")
        conn.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 3")
    code, error, err = run_json(capsys, "audit", "--verify")
    assert code == cli.EXIT_AUDIT_BROKEN == 6
    assert error["error"] == "audit_broken" and error["first_bad"] == 3
    assert "broken at entry 3" in error["message"] and "broken at entry 3" in err
    assert "6  audit chain broken" in run(capsys, "--help")[1]


# -- in doubt and failed sends ------------------------------------------------------------------
def test_failed_send_is_listed_and_retried(
    cli_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with seeded(cli_home) as s:
        email = by_action(start(s)["pending"], "send_email")
    monkeypatch.setenv("SIGNOFF_SMTP_URL", f"smtp://127.0.0.1:{free_port()}")  # nothing listens
    code, data, _ = run_json(capsys, "decide", email["id"], "approve")
    assert code == 0 and [o["status"] for o in data["outcomes"]] == ["failed"]
    code, rows, _ = run_json(capsys, "failed")
    [row] = rows
    assert row["action"] == "send_email" and row["retryable"] and row["error"]
    code, out, _ = run(capsys, "failed")
    assert f"signoff failed --retry {row['key']}" in out
    monkeypatch.delenv("SIGNOFF_SMTP_URL")  # the server is back (here: the Maildir)
    code, data, _ = run_json(capsys, "failed", "--retry", row["key"])
    assert code == 0 and data["status"] == "executed"
    assert maildir_count(cli_home) == 1
    assert run_json(capsys, "failed")[1] == []
    code, error, _ = run_json(capsys, "failed", "--retry", row["key"])
    assert code == 2 and "Only a failed action can be retried" in error["message"]


def test_a_crash_mid_send_leaves_an_in_doubt_item_to_settle(
    cli_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with seeded(cli_home) as s:
        email = by_action(start(s)["pending"], "send_email")
    smtp = f"smtp://127.0.0.1:{free_port()}"
    crash_after_claim(email["id"], smtp)
    monkeypatch.setenv("SIGNOFF_SMTP_URL", smtp)
    assert run_json(capsys, "recover")[0] == 0
    code, rows, _ = run_json(capsys, "in-doubt")
    [row] = rows
    assert row["action"] == "send_email" and "may have sent" in row["error"]
    code, out, _ = run(capsys, "in-doubt")
    assert f"signoff settle {row['key']} mark_sent" in out
    assert f"signoff settle {row['key']} send_again" in out
    code, out, err = run(capsys, "settle", row["key"], "maybe")
    assert code == 2 and "invalid choice" in err

    monkeypatch.delenv("SIGNOFF_SMTP_URL")  # send again, this time into the Maildir
    code, data, _ = run_json(capsys, "settle", row["key"], "send_again")
    assert code == 0 and data["status"] == "executed"
    assert maildir_count(cli_home) == 1
    assert run_json(capsys, "in-doubt")[1] == []
    code, error, _ = run_json(capsys, "settle", row["key"], "mark_sent")
    assert code == 2 and "Only an in-doubt action can be settled" in error["message"]


# -- policy, autonomy, simulation -------------------------------------------------------------
def test_policy_prints_the_routing_table(
    cli_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, info, _ = run_json(capsys, "policy")
    assert code == 0 and info["version"] == shipped()["version"]
    routes = {r["action"]: r for r in info["routes"]}
    assert routes["send_email"]["routes"]["supervised"] == "wait for a person"
    assert routes["like_post"]["routes"]["monitored"] == "run and log"
    assert routes["publish_page"]["routes"]["earned"] == "run and notify"
    code, out, _ = run(capsys, "policy")
    assert "send_email" in out and "wait for a person" in out and "budget_per_day 200" in out

    other = write_policy(tmp_path / "other.yaml", lambda doc: doc.update(version="test-7"))
    code, info, _ = run_json(capsys, "--policy", str(other), "policy")
    assert code == 0 and info["version"] == "test-7" and info["path"] == str(other)


def test_autonomy_suggests_and_a_person_promotes(
    cli_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("SIGNOFF_POLICY", str(write_policy(tmp_path / "p.yaml", promotes_quickly)))
    with seeded(cli_home) as s:
        for _ in range(4):
            email = by_action(start(s, channels=["email"])["pending"], "send_email")
            s.decide(email["id"], {"type": "approve"}, by="ann")
    code, rows, _ = run_json(capsys, "autonomy")
    email_row = next(r for r in rows if r["action"] == "send_email")
    assert email_row["level"] == "supervised" and email_row["record"]["approved"] == 4
    assert email_row["suggestion"]["to"] == "earned" and email_row["suggestion"]["n"] == 4
    code, out, _ = run(capsys, "autonomy")
    assert "→ earned" in out and "signoff autonomy --promote send_email email" in out

    code, error, _ = run_json(capsys, "autonomy", "--promote", "publish_post", "social")
    assert code == 2 and "No promotion is suggested" in error["message"]
    code, error, _ = run_json(capsys, "autonomy", "--promote", "send_fax", "fax")
    assert code == 2 and "Unknown action type" in error["message"]
    code, data, _ = run_json(capsys, "autonomy", "--promote", "send_email", "email")
    assert code == 0 and data["level"] == "earned"
    code, rows, _ = run_json(capsys, "autonomy")
    email_row = next(r for r in rows if r["action"] == "send_email")
    assert email_row["level"] == "earned" and email_row["by"] == "tester"
    assert email_row["suggestion"] is None  # earned is send_email's maximum


def test_simulate_a_candidate_policy(
    cli_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with seeded(cli_home) as s:
        pending = start(s)["pending"]
        email = by_action(pending, "send_email")
        post = by_action(pending, "publish_post")
        s.decide(email["id"], {"type": "approve"}, by="ann")
        s.decide(post["id"], {"type": "reject", "reason": "Off-brand"}, by="ann")
    # Posts as low risk: they would run and be logged, the rejected one included.
    candidate = write_policy(tmp_path / "candidate.yaml", publish_post={"risk": "low"})
    code, result, _ = run_json(capsys, "simulate", str(candidate))
    assert code == 0 and result["replayed"] == 2
    assert result["reviews_now"] == 2 and result["reviews_candidate"] == 1 and result["saved"] == 1
    [through] = result["let_through"]
    assert through["action"] == "publish_post" and through["outcome"] == "rejected"
    assert through["route_now"] == "review" and through["route_candidate"] != "review"
    code, out, _ = run(capsys, "simulate", str(candidate), "--last", "1")
    assert "Replayed the last 1" in out
    code, out, _ = run(capsys, "simulate", str(candidate))
    assert "reviews saved:           1" in out and "! rejected" in out

    bad = tmp_path / "bad.yaml"
    bad.write_text("version: x\nactions: [")
    assert run(capsys, "simulate", str(bad))[0] == 2
    assert run(capsys, "simulate", str(tmp_path / "missing.yaml"))[0] == 4
    assert run(capsys, "simulate", str(candidate), "--last", "0")[0] == 2


def test_help_lists_the_new_commands(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in (
        "worker",
        "holds",
        "cancel",
        "send-now",
        "notifications",
        "undo",
        "audit",
        "in-doubt",
        "settle",
        "failed",
        "policy",
        "autonomy",
        "simulate",
        "SIGNOFF_SCHEDULER",
    ):
        assert command in out, command
    code, out, _ = run(capsys, "decide", "--help")
    assert "--approve" in out and "--checked" in out and "ID1 ID2" in out
