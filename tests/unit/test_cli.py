"""The `signoff` CLI: its JSON contract and exit codes, in-process with the scripted model.

The one model seam (`graphs.model.load_chat_model`) is patched to return the scripted fake, so the
CLI runs exactly as in production (no model injected into the facade) without a real model.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from fakes import ScriptedChatModel
from support import maildir_count, run, run_json

from graphs.runtime import Signoff

ROOT = Path(__file__).resolve().parents[2]
BRIEF = "product: Brightloop 2 smart thermostat\naudience: homeowners\ngoal: pre-orders"
INBOX_KEYS = {"id", "thread_id", "action", "risk", "reasons", "args", "confidence", "created_at"}


@pytest.fixture
def campaign(
    cli_home: Path, fake_model: list[ScriptedChatModel], capsys: pytest.CaptureFixture[str]
) -> dict[str, Any]:
    code, data, _ = run_json(capsys, "new", "--brief", BRIEF)
    assert code == 0
    return data


def by_action(pending: list[dict[str, Any]], name: str) -> dict[str, Any]:
    [item] = [p for p in pending if p["action"] == name]
    return item


def decisions(home: Path) -> list[dict[str, Any]]:
    with Signoff(home, recover=False) as s:
        return [d for c in s.campaigns() for d in s.campaign(c["thread_id"])["decisions"]]


# -- help and usage ---------------------------------------------------------------------------
def test_help_names_commands_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for word in ("ui", "new", "inbox", "decide", "show", "reindex", "recover", "SIGNOFF_HOME"):
        assert word in out
    assert "4  not found" in out and "3  already decided" in out
    code, out, _ = run(capsys, "decide", "--help")
    assert code == 0
    assert "approve" in out and "--feedback" in out and "--reason" in out and "4  not found" in out


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys)
    assert code == 2 and out == "" and "COMMAND" in err


# -- new ----------------------------------------------------------------------------------------
def test_new_json_contract(
    cli_home: Path, fake_model: list[ScriptedChatModel], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "new", "--brief", BRIEF, "--json")
    assert code == 0
    data = json.loads(out)  # stdout is nothing but the JSON
    assert set(data) >= {"thread_id", "status", "pending"}
    assert data["status"] == "waiting"
    assert sorted(p["action"] for p in data["pending"]) == ["publish_post", "send_email"]
    for item in data["pending"]:
        assert set(item) >= INBOX_KEYS
    assert "researcher:" in err and "writer:" in err  # progress went to stderr
    assert fake_model, "the CLI must go through the model seam"
    assert maildir_count(cli_home) == 0


def test_new_accepts_json_brief_and_to(
    campaign: dict[str, Any], fake_model: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    brief = json.dumps({"product": "Brightloop 2", "audience": "renters", "goal": "sign-ups"})
    code, data, _ = run_json(capsys, "new", "--brief", brief, "--to", "list@example.org", "-q")
    assert code == 0
    assert by_action(data["pending"], "send_email")["args"]["to"] == "list@example.org"


def test_new_human_output_names_ids_and_next_command(
    cli_home: Path, fake_model: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "new", "--brief", BRIEF)
    assert code == 0
    with Signoff(cli_home, recover=False) as s:
        pending = s.pending()
    assert all(p["id"] in out for p in pending)
    assert f"signoff decide {pending[0]['id']} approve" in out
    assert "waiting for your sign-off" in out


@pytest.mark.parametrize(
    "brief, words",
    [
        ("product: Brightloop 2", ["audience", "goal"]),
        ('{"product": "x", "audience": "y"', ["JSON"]),
        ("product: x\naudience: y\ngoal: z\nto: not-an-address", ["'to'"]),
    ],
)
def test_new_refuses_a_bad_brief(
    cli_home: Path,
    fake_model: Any,
    capsys: pytest.CaptureFixture[str],
    brief: str,
    words: list[str],
) -> None:
    code, out, err = run(capsys, "new", "--brief", brief, "--json")
    assert code == 2
    error = json.loads(out)
    assert error["error"] == "invalid_input" and error["exit_code"] == 2
    assert all(w in error["message"] for w in words)
    assert err.startswith("signoff: ") and err.count("\n") == 1 and "Traceback" not in err
    assert fake_model == []  # nothing ran
    with Signoff(cli_home, recover=False) as s:
        assert s.campaigns() == []


# -- inbox ----------------------------------------------------------------------------------------
def test_inbox_lists_pending_over_all_campaigns(
    campaign: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, data, _ = run_json(capsys, "new", "--brief", BRIEF, "-q")
    assert code == 0
    code, items, _ = run_json(capsys, "inbox")
    assert code == 0
    assert len(items) == 4
    assert {i["thread_id"] for i in items} == {campaign["thread_id"], data["thread_id"]}
    for item in items:
        assert set(item) >= INBOX_KEYS
        assert isinstance(item["reasons"], list) and item["reasons"]
    code, out, _ = run(capsys, "inbox")
    assert code == 0
    assert all(i["id"] in out for i in items) and "send_email" in out and "4 pending" in out


def test_inbox_empty(cli_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, items, _ = run_json(capsys, "inbox")
    assert code == 0 and items == []
    code, out, _ = run(capsys, "inbox")
    assert code == 0 and "Nothing is waiting" in out


# -- decide ---------------------------------------------------------------------------------------
def test_approve_sends_the_email_once(
    campaign: dict[str, Any],
    cli_home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    email = by_action(campaign["pending"], "send_email")
    monkeypatch.setenv("SIGNOFF_USER", "ann")
    code, data, _ = run_json(capsys, "decide", email["id"], "approve")
    assert code == 0
    assert data["thread_id"] == campaign["thread_id"]
    assert data["status"] == "waiting"  # the post still waits
    assert [p["action"] for p in data["pending"]] == ["publish_post"]
    assert data["decided"]["by"] == "ann" and data["decided"]["decision"] == {"type": "approve"}
    assert [o["status"] for o in data["outcomes"]] == ["executed"]
    assert [e["status"] for e in data["executed"]] == ["done"] and data["executed"][0]["key"]
    assert maildir_count(cli_home) == 1

    code, out, err = run(capsys, "decide", email["id"], "approve", "--json")
    assert code == 3
    assert "already decided by ann" in err
    error = json.loads(out)
    assert (
        error["error"] == "already_decided"
        and error["by"] == "ann"
        and error["decision"] == "approve"
    )
    assert maildir_count(cli_home) == 1

    code, out, err = run(capsys, "decide", email["id"], "approve")
    assert code == 3 and out == "" and "already decided" in err


def test_approve_human_output(campaign: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    email = by_action(campaign["pending"], "send_email")
    post = by_action(campaign["pending"], "publish_post")
    code, out, _ = run(capsys, "decide", email["id"], "approve")
    assert code == 0
    assert "Approved send_email" in out and "executed" in out and "outbox key" in out
    assert f"signoff decide {post['id']} approve" in out


def test_edit_executes_the_edited_args(
    campaign: dict[str, Any], capsys: pytest.CaptureFixture[str], cli_home: Path
) -> None:
    post = by_action(campaign["pending"], "publish_post")
    code, data, _ = run_json(
        capsys, "decide", post["id"], "edit", "--args", '{"text": "Edited by a person"}'
    )
    assert code == 0
    assert data["executed"][0]["args"] == {"text": "Edited by a person"}
    feed = [json.loads(line) for line in (cli_home / "feed.jsonl").read_text().splitlines()]
    assert [f["text"] for f in feed] == ["Edited by a person"]


def test_revise_comes_back_as_a_new_pending_item(
    campaign: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    post = by_action(campaign["pending"], "publish_post")
    code, data, _ = run_json(
        capsys, "decide", post["id"], "revise", "--feedback", "mention the sensors"
    )
    assert code == 0
    redraft = by_action(data["pending"], "publish_post")
    assert redraft["id"] != post["id"] and redraft["revision"] == 1
    assert data["executed"] == []


def test_reject_sends_nothing(
    campaign: dict[str, Any], capsys: pytest.CaptureFixture[str], cli_home: Path
) -> None:
    email = by_action(campaign["pending"], "send_email")
    code, data, _ = run_json(
        capsys, "decide", email["id"], "reject", "--reason", "off-brand", "--comment", "too pushy"
    )
    assert code == 0
    assert data["outcomes"][0]["status"] == "rejected" and data["executed"] == []
    assert maildir_count(cli_home) == 0


@pytest.mark.parametrize(
    "extra, words",
    [
        (["approve-ish"], ["approve", "edit", "revise", "reject", "--feedback", "--reason"]),
        (["revise"], ["revise needs --feedback", "Allowed"]),
        (["revise", "--feedback", "  "], ["revise needs --feedback"]),
        (["reject"], ["reject needs --reason"]),
        (["edit"], ["edit needs --args"]),
        (["edit", "--args", "{not json"], ["--args is not valid JSON", "approve"]),
        (["edit", "--args", "[1, 2]"], ["JSON object"]),
        (["approve", "--feedback", "x"], ["approve does not take --feedback"]),
        # refused by the facade's validation (graphs.decisions): also exit 2, nothing saved
        (["edit", "--args", '{"subjekt": "x"}'], ["subjekt", "subject"]),
        (["edit", "--args", '{"to": "nobody"}'], ["email address"]),
    ],
)
def test_malformed_decisions_exit_2_and_save_nothing(
    campaign: dict[str, Any],
    cli_home: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    words: list[str],
) -> None:
    email = by_action(campaign["pending"], "send_email")
    code, out, err = run(capsys, "decide", email["id"], *extra, "--json")
    assert code == 2, err
    error = json.loads(out)
    assert error["error"] == "invalid_input"
    for word in words:
        assert word in error["message"], error["message"]
    assert "Nothing was saved" in error["message"]
    assert err.count("\n") == 1 and "Traceback" not in err
    assert decisions(cli_home) == []
    code, items, _ = run_json(capsys, "inbox")
    assert email["id"] in {i["id"] for i in items}
    assert maildir_count(cli_home) == 0


def test_unknown_id_is_not_found(cli_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "decide", "feedbeef", "approve", "--json")
    assert code == 4
    assert json.loads(out)["error"] == "not_found"
    assert "signoff inbox" in err
    code, out, err = run(capsys, "decide", "feedbeef", "approve")
    assert code == 4 and out == ""


# -- show / campaigns / reindex / recover ---------------------------------------------------------
def test_show_json_contract(campaign: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    email = by_action(campaign["pending"], "send_email")
    assert run_json(capsys, "decide", email["id"], "approve")[0] == 0
    code, data, _ = run_json(capsys, "show", campaign["thread_id"])
    assert code == 0
    assert set(data) >= {
        "thread_id",
        "status",
        "brief",
        "decisions",
        "executed",
        "outcomes",
        "pending",
    }
    assert data["brief"]["product"] == "Brightloop 2 smart thermostat"
    assert [d["decision"]["type"] for d in data["decisions"]] == ["approve"]
    assert data["decisions"][0]["by"] == "tester"  # from SIGNOFF_USER
    [sent] = data["executed"]
    assert sent["name"] == "send_email" and sent["status"] == "done" and len(sent["key"]) == 64

    code, out, _ = run(capsys, "show", campaign["thread_id"])
    assert code == 0
    assert sent["key"] in out and "tester: approve email-1" in out and "publish_post" in out


def test_show_unknown_campaign(cli_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "show", "nope", "--json")
    assert code == 4 and json.loads(out)["error"] == "not_found"


def test_campaigns_lists_them(campaign: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    code, rows, _ = run_json(capsys, "campaigns")
    assert code == 0 and [r["thread_id"] for r in rows] == [campaign["thread_id"]]
    code, out, _ = run(capsys, "campaigns")
    header, row = out.splitlines()[:2]
    assert header.split() == ["CAMPAIGN", "STATUS", "STARTED", "LAST", "CHANGE", "PRODUCT"]
    assert row.startswith(campaign["thread_id"][:8] + "  ") and "waiting" in row


def test_reindex_rebuilds_the_inbox(
    campaign: dict[str, Any], cli_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Signoff(cli_home, recover=False) as s:
        s.store.replace_inbox(campaign["thread_id"], [])  # lose the derived index
        assert s.pending() == []
    code, out, _ = run(capsys, "reindex")
    assert code == 0 and out.startswith("reindexed 1 campaign;")
    code, items, _ = run_json(capsys, "inbox")
    assert {i["id"] for i in items} == {p["id"] for p in campaign["pending"]}
    code, data, _ = run_json(capsys, "reindex")
    assert data == {"reindexed": 1, "pending": 2}


def test_recover_applies_a_recorded_decision(
    campaign: dict[str, Any], cli_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    email = by_action(campaign["pending"], "send_email")
    with Signoff(cli_home, recover=False) as s:  # a decision recorded, then the process died
        s.store.record_decision(
            email["id"], campaign["thread_id"], email["action_id"], {"type": "approve"}, "ann"
        )
    assert maildir_count(cli_home) == 0
    code, out, _ = run(capsys, "show", campaign["thread_id"])
    assert "NOT APPLIED" in out  # reading does not apply it
    code, data, _ = run_json(capsys, "recover")
    assert code == 0 and data == {"applied": [email["id"]]}
    assert maildir_count(cli_home) == 1
    code, data, _ = run_json(capsys, "recover")
    assert data == {"applied": []}


# -- errors ---------------------------------------------------------------------------------------
def test_model_failure_is_one_line_and_retry_carries_on(
    cli_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import graphs.model

    def broken(**kw: Any) -> Any:
        raise RuntimeError("the model server did not start")

    monkeypatch.setattr(graphs.model, "load_chat_model", broken)
    code, out, err = run(capsys, "new", "--brief", BRIEF, "-q", "--json")
    assert code == 1
    error = json.loads(out)
    assert error["error"] == "stopped" and "the model server did not start" in error["message"]
    thread_id = error["thread_id"]
    assert f"signoff retry {thread_id}" in error["message"]
    assert "Traceback" not in err and err.count("\n") == 1
    assert run_json(capsys, "show", thread_id)[1]["status"] == "error"

    monkeypatch.setattr(graphs.model, "load_chat_model", lambda **kw: ScriptedChatModel())
    code, data, _ = run_json(capsys, "retry", thread_id, "-q")
    assert code == 0
    assert data["thread_id"] == thread_id and data["status"] == "waiting"
    assert sorted(p["action"] for p in data["pending"]) == ["publish_post", "send_email"]
    assert run(capsys, "retry", "nope")[0] == 4


def test_home_flag_overrides_the_environment(
    cli_home: Path, tmp_path: Path, fake_model: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other"
    assert run_json(capsys, "new", "--brief", BRIEF, "-q", "--home", str(other))[0] == 0
    assert (other / "signoff.db").exists()
    assert run_json(capsys, "--home", str(other), "inbox")[1] != []
    assert run_json(capsys, "inbox")[1] == []  # $SIGNOFF_HOME is untouched


def test_ui_runs_streamlit_on_loopback(
    cli_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[list[str]] = []
    envs: list[dict[str, str]] = []
    from ui import cli_app

    def supervise(page: list[str], workers: list[list[str]], env: dict[str, str]) -> int:
        seen.append(page)
        envs.append(env)
        return 0

    monkeypatch.setattr(cli_app, "supervise", supervise)
    code, _, _ = run(capsys, "ui", "--port", "8765")
    assert code == 0
    [argv] = seen
    # ui/serve.py: the app (ui/app.py) behind the Host check
    assert argv[1:4] == ["-m", "streamlit", "run"] and argv[4].endswith("ui/serve.py")
    assert argv[argv.index("--server.address") + 1] == "127.0.0.1"
    assert argv[argv.index("--server.port") + 1] == "8765"
    assert envs[0]["SIGNOFF_HOME"] == str(cli_home.resolve())


# -- processes ------------------------------------------------------------------------------------
RACER = """
import sys, time
from pathlib import Path
from ui.cli import main
import graphs.runtime  # everything imported before the start signal
ready, go = Path(sys.argv[1]), Path(sys.argv[2])
ready.touch()
while not go.exists():
    time.sleep(0.001)
raise SystemExit(main(sys.argv[3:]))
"""


def test_two_processes_decide_at_once_one_wins(
    campaign: dict[str, Any], cli_home: Path, tmp_path: Path
) -> None:
    email = by_action(campaign["pending"], "send_email")
    go = tmp_path / "go"
    procs, readies = [], []
    for n in range(2):
        ready = tmp_path / f"ready{n}"
        readies.append(ready)
        argv = [
            sys.executable,
            "-c",
            RACER,
            str(ready),
            str(go),
            "decide",
            email["id"],
            "approve",
            "--json",
        ]
        env = {**os.environ, "SIGNOFF_USER": f"p{n}"}
        procs.append(
            subprocess.Popen(
                argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        )
    # A start-up wait, not a timing: two interpreters import the app (41-57 s each were seen at
    # load 15 on 2 cores); the race itself starts only when both are ready.
    deadline = time.monotonic() + 240
    while not all(r.exists() for r in readies):
        if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
            for p in procs:
                p.kill()
            outputs = [p.communicate() for p in procs]
            pytest.fail(f"the racers did not start: {outputs}")
        time.sleep(0.01)
    go.touch()
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 3], results
    loser = next(json.loads(out) for code, out, _ in results if code == 3)
    winner = next(json.loads(out) for code, out, _ in results if code == 0)
    assert loser["error"] == "already_decided" and loser["by"] == winner["decided"]["by"]
    assert maildir_count(cli_home) == 1
    assert len(decisions(cli_home)) == 1


def test_console_script(cli_home: Path, tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "signoff"
    assert script.exists(), "the `signoff` console script is not installed (uv sync)"
    env = {**os.environ, "SIGNOFF_HOME": str(tmp_path / "cs")}

    def signoff(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(script), *argv], env=env, capture_output=True, text=True, timeout=120
        )

    done = signoff("inbox", "--json")
    assert done.returncode == 0 and json.loads(done.stdout) == []
    done = signoff("decide", "abc", "approve")
    assert done.returncode == 4 and "No pending action" in done.stderr and done.stdout == ""
    done = signoff("decide", "abc", "maybe")
    assert done.returncode == 2 and "expected one of" in done.stderr


def test_usage_errors_exit_2_with_json_when_asked(
    cli_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "decide", "abc", "--json")
    assert code == 2
    error = json.loads(out)
    assert error["error"] == "usage" and "{approve,edit,revise,reject}" in error["message"]
    assert "usage: signoff decide" in err
    code, out, err = run(capsys, "frob")
    assert code == 2 and out == "" and "invalid choice" in err


def test_one_contact_of_a_batch_is_not_sent_back_alone_the_template_is(
    cli_home: Path,
    fake_model: list[ScriptedChatModel],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """`decide CONTACT revise` on an audience batch says why a contact's email is never sent
    back on its own and what to do (edit it, or send the template back); with --template the
    batch's one template goes back to the writer for every contact, as one decision."""
    audience = tmp_path / "audience.csv"
    audience.write_text("email,name\nann@example.com,Ann\nbob@example.com,Bob\ncy@example.com,Cy\n")
    code, data, _ = run_json(
        capsys, "new", "--brief", BRIEF, "--channels", "email", "--audience", str(audience)
    )
    assert code == 0
    contact = data["pending"][0]
    code, out, err = run(capsys, "decide", contact["id"], "revise", "--feedback", "Shorter")
    assert code != 0 and "never sent back on its own" in err and "--template" in err, err
    with Signoff(cli_home, recover=False) as s:
        assert s.store.decisions(data["thread_id"]) == []  # nothing was saved
    code, out, err = run(
        capsys, "decide", contact["id"], "revise", "--feedback", "Shorter", "--template"
    )
    assert code == 0, err
    assert "back to the writer for 3 contacts" in out, out
    with Signoff(cli_home, recover=False) as s:
        [decided] = s.store.decisions(data["thread_id"])
        assert decided["decision"] == {"type": "revise", "feedback": "Shorter"}
        redrafted = s.pending()
    assert len(redrafted) == 3 and {p["revision"] for p in redrafted} == {1}
