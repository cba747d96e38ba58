"""What a new user met on a first walk through the CLI: short campaign ids, hints that name
only the decisions an item allows, the CLI's own flag in the facade's messages, exit codes and
messages that say what to do, and Ctrl-C on `signoff ui` (what `make run` starts).

In-process (`cli.main`) with the scripted model behind the one seam, except Ctrl-C (a real
process group)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from cli_support import BRIEF, BRIEF_TEXT, seeded, unsupported_claim_model
from support import free_port, maildir_count, run, run_json


# -- 1. the short campaign id shown everywhere is taken everywhere ------------------------------
def test_a_short_campaign_id_is_taken_by_every_command(
    cli_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with seeded(cli_home) as s:
        first, second = s.start(dict(BRIEF)), s.start(dict(BRIEF))
    short = first["thread_id"][:8]  # what the CAMPAIGN column and the page show
    code, shown, _ = run_json(capsys, "show", short)
    assert code == 0 and shown["thread_id"] == first["thread_id"]
    code, items, _ = run_json(capsys, "inbox", "--campaign", short)
    assert code == 0
    assert sorted(i["id"] for i in items) == sorted(p["id"] for p in first["pending"])
    assert len(items) == 2
    code, out, _ = run(capsys, "inbox", "--campaign", short)
    assert code == 0 and "2 pending" in out and "Nothing is waiting" not in out
    code, rows, _ = run_json(capsys, "audit", "--thread", short)
    assert code == 0 and rows and {r["thread_id"] for r in rows} == {first["thread_id"]}
    code, queued, _ = run_json(capsys, "retry", short, "--queue")
    assert code == 0 and queued["thread_id"] == first["thread_id"]
    assert second["thread_id"] != first["thread_id"]


def test_an_ambiguous_or_unknown_campaign_id_says_what_to_do(
    cli_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with seeded(cli_home) as s:
        for tail in ("aaaa", "bbbb"):
            s.store.add_campaign("abcd1234" + tail, dict(BRIEF))
    code, error, _ = run_json(capsys, "show", "abcd1234")
    assert code == 2 and "ambiguous" in error["message"]
    assert "abcd1234aaaa" in error["message"] and "abcd1234bbbb" in error["message"]
    assert "more characters" in error["message"]
    code, error, _ = run_json(capsys, "inbox", "--campaign", "abcd")
    assert code == 2 and "ambiguous" in error["message"]
    code, error, _ = run_json(capsys, "show", "abcd1234a")
    assert code == 0 and error["thread_id"] == "abcd1234aaaa"
    for argv in (["show", "ffffffff"], ["inbox", "--campaign", "ffffffff"]):
        code, error, _ = run_json(capsys, *argv)
        assert code == 4 and error["error"] == "not_found", argv
        assert "'ffffffff'" in error["message"] and "signoff campaigns" in error["message"]


# -- 2. the "Next:" hints name only what the item allows ----------------------------------------
def test_a_spend_over_its_budget_is_not_offered_approve_and_the_hint_says_so(
    cli_home: Path, fake_model: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "new", "--brief", BRIEF_TEXT, "--channels", "ads", "--ad-budget", "5000", "-q"
    )
    assert code == 0
    with seeded(cli_home) as s:
        [item] = s.pending()
    assert "approve" not in item["allowed_decisions"]
    assert f"signoff decide {item['id']} approve" not in out
    assert "approve is not offered: over the daily ad budget" in out
    edit = f"signoff decide {item['id']} edit --args '{{\"amount\": 200}}'"
    assert edit in out and f"signoff decide {item['id']} reject --reason" in out
    code, out, _ = run(capsys, "inbox")
    assert f"{item['id']}: approve is not offered (over the daily ad budget" in out
    # approve anyway: what it allows and why, not "Unknown decision"
    code, error, _ = run_json(capsys, "decide", item["id"], "approve")
    assert code == 2 and "Unknown decision" not in error["message"]
    assert "over the daily ad budget" in error["message"] and "edit" in error["message"]
    # the hinted command works
    code, data, _ = run_json(capsys, "decide", item["id"], "edit", "--args", '{"amount": 200}')
    assert code == 0 and data["decided"]["decision"]["args"] == {"amount": 200}


def test_decide_prints_the_next_items_hints(
    cli_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with seeded(cli_home) as s:
        first = s.start({**BRIEF, "channels": ["email", "ads"], "ad_budget": 5000})
    [email] = [p for p in first["pending"] if p["action"] == "send_email"]
    [ads] = [p for p in first["pending"] if p["action"] == "spend_ads"]
    code, error, _ = run_json(capsys, "decide", email["id"], ads["id"], "--approve")
    assert code == 2 and f"{ads['id']} does not take approve" in error["message"]
    assert "over the daily ad budget" in error["message"]
    code, out, _ = run(capsys, "decide", email["id"], "reject", "--reason", "not now", "-q")
    assert code == 0
    assert f"signoff decide {ads['id']} approve" not in out
    assert f"signoff decide {ads['id']} edit --args" in out


# -- 3. the claims check names the CLI's flag ---------------------------------------------------
def test_approving_unsupported_claims_names_the_checked_flag(
    cli_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with seeded(cli_home, unsupported_claim_model()) as s:
        [email] = [p for p in s.start(dict(BRIEF))["pending"] if p["action"] == "send_email"]
    assert email["needs_check"]
    for argv in (["decide", email["id"], "approve"], ["decide", email["id"], "--approve"]):
        code, error, _ = run_json(capsys, *argv)
        assert code == 2 and "costs $19 today only" in error["message"]
        assert "--checked" in error["message"] and "checked=true" not in error["message"]
    code, out, _ = run(capsys, "inbox")
    assert f"{email['id']}: approve --checked" in out
    assert maildir_count(cli_home) == 0
    with seeded(cli_home) as s:  # the graph's own message is unchanged for other drivers
        with pytest.raises(Exception, match="checked=true"):
            s.decide(email["id"], {"type": "approve"}, by="tester")
    assert json.loads(run(capsys, "decide", email["id"], "approve", "--checked", "--json")[1])


# -- 4. exit codes and messages -----------------------------------------------------------------
def test_kb_add_of_a_file_that_is_not_there_exits_4_like_other_unknown_files(
    cli_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "nonexistent.md")
    code, _, err = run(capsys, "kb", "add", missing)
    assert code == 4 and "does not exist" in err
    code, error, _ = run_json(capsys, "kb", "add", missing)
    assert code == 4 and error["error"] == "not_found" and error["exit_code"] == 4
    assert run(capsys, "new", "--brief", BRIEF_TEXT, "--audience", missing)[0] == 4  # the same
    facts = tmp_path / "facts.md"
    facts.write_text("# Brightloop 2\n\nThe Brightloop 2 costs $149.\n")
    code, out, err = run(capsys, "kb", "add", str(facts), "--product", "Brightloop 2")
    assert code == 0 and "(1 passage)" in err and "passages)" not in err


def test_undo_of_an_unknown_key_says_how_to_list_the_keys(
    cli_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "undo", "nosuchkey")
    assert code == 4
    assert err.startswith("signoff: No action with key 'nosuchkey'"), err  # no KeyError repr
    assert "`signoff undo` (no key)" in err
    code, _, err = run(capsys, "settle", "nosuchkey", "mark_sent")
    assert code == 4 and '"' not in err and "signoff in-doubt" in err
    code, _, err = run(capsys, "failed", "--retry", "nosuchkey")
    assert code == 4 and '"' not in err and "`signoff failed`" in err


def test_a_brief_without_fields_says_what_a_brief_needs(
    cli_home: Path, fake_model: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, error, _ = run_json(capsys, "new", "--brief", "hello world")
    assert code == 2 and error["error"] == "invalid_input"
    assert "No facts" not in error["message"]
    for field in ("'product: …'", "'audience: …'", "'goal: …'"):
        assert field in error["message"]
    code, error, _ = run_json(capsys, "new", "--brief", "product: hello world")
    assert code == 2 and "'audience' is missing" in error["message"]  # before the facts


def test_a_bad_option_prints_the_commands_own_usage(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "inbox", "--bogus")
    assert code == 2 and out == ""
    assert err.startswith("usage: signoff inbox") and "--campaign" in err
    assert "unrecognized arguments: --bogus" in err and "`signoff inbox --help`" in err
    code, out, err = run(capsys, "kb", "add", "--bogus")
    assert code == 2 and err.startswith("usage: signoff kb add")


def test_the_help_says_what_v_does_in_one_way(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "inbox", "--help")
    assert code == 0
    text = " ".join(out.split())
    assert "-v shows the traceback" not in text
    assert "log INFO messages to stderr, and the traceback of an unexpected error" in text
    assert "-v also prints its traceback" in text


# -- 5. Ctrl-C on `signoff ui --workers 1` (what `make run` starts) ------------------------------
def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process, from /proc; None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], int(fields[1])


def _descendants(pid: int) -> dict[int, str]:
    """Every process under `pid` (pid: its command line), from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _proc_stat(int(entry.name))) is not None:
            parents[int(entry.name)] = stat[1]
    found: dict[int, str] = {}
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                try:
                    found[child] = Path(f"/proc/{child}/cmdline").read_text().replace("\0", " ")
                except OSError:
                    found[child] = ""
                frontier.append(child)
    return found


def _running(pid: int) -> bool:
    stat = _proc_stat(pid)
    return stat is not None and stat[0] != "Z"


def test_ctrl_c_stops_the_page_and_its_workers_quietly(cli_home: Path) -> None:
    """SIGINT to the process group, as a terminal's Ctrl-C does, then once more to the process
    (`uv run`, which `make run` goes through, forwards it again): "Stopped.", exit 0 (so `make`
    adds no error line), no traceback, and the page server and the worker are gone."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        # the worker's --warm-model then starts no model server: an address nobody answers
        "OPENAI_API_KEY": "unused",
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
        "SIGNOFF_MODEL": "openai:unused",
    }
    command = [sys.executable, "-m", "ui", "ui", "--port", str(port), "--workers", "1"]
    ui = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        process_group=0,  # a job of its own, as in a terminal
        # a terminal's job takes Ctrl-C (the test runner's may ignore SIGINT)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    started: dict[int, str] = {}
    try:
        deadline = time.monotonic() + 120
        while True:
            assert ui.poll() is None, ui.communicate()[0]
            assert time.monotonic() < deadline, "the page did not answer"
            started = _descendants(ui.pid)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                    pass
            except OSError:
                time.sleep(0.5)
                continue
            if any(" worker " in c for c in started.values()):
                break
        time.sleep(1.0)  # the worker is past its start
        os.killpg(ui.pid, signal.SIGINT)
        time.sleep(0.05)
        ui.send_signal(signal.SIGINT)
        out = ui.communicate(timeout=60)[0].decode()
    finally:
        if ui.poll() is None:
            ui.kill()
            ui.wait()
        for pid in started:  # only what this test started
            if _running(pid):
                os.kill(pid, signal.SIGKILL)
    assert ui.returncode == 0, out
    assert "Stopped." in out
    assert "Traceback" not in out and "Aborted!" not in out and "KeyboardInterrupt" not in out
    assert any("streamlit" in c for c in started.values()), started
    deadline = time.monotonic() + 10
    while any(_running(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert {pid: c for pid, c in started.items() if _running(pid)} == {}


def test_a_full_thread_id_without_a_campaign_row_still_filters(
    cli_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The inbox and the audit also hold threads LangGraph's server runs (no campaign row here):
    their full id is taken as given."""
    with seeded(cli_home):
        pass
    remote = "0b6f7c1e-2d4a-4c1b-9f3e-5a6b7c8d9e0f"
    code, out, _ = run(capsys, "inbox", "--campaign", remote)
    assert code == 0 and "Nothing is waiting" in out
    code, rows, _ = run_json(capsys, "audit", "--thread", remote)
    assert code == 0 and rows == []
