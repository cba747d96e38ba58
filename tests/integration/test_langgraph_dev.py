"""The graph under LangGraph's own server (`langgraph dev`), driven with `langgraph_sdk` as
Studio and Agent Inbox drive it: no Signoff runtime in the loop.

The server runs as a subprocess (the environment's own `langgraph` entry point) on a free
loopback port, in a temporary directory (its `.langgraph_api/` lands there), with the scripted
model behind the one model seam (tests/langgraph_app/graph.py) and the shipped policy (an
approved email is held 300 s, a post 60 s). The data directory it shares with the test holds
the decisions, the outbox and the audit."""

from __future__ import annotations

import json
import mailbox
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support import maildir_count, run, run_json

from graphs.policy import DEFAULT_POLICY, load_policy
from graphs.server_watch import ServerWatcher
from graphs.store import Store, connect

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 180
BRIEF = {
    "product": "Brightloop 2 smart thermostat",
    "audience": "homeowners with high heating bills",
    "goal": "pre-orders before winter",
    "to": "customers@example.com",
}


class Server:
    def __init__(self, url: str, home: Path) -> None:
        from langgraph_sdk import get_sync_client

        self.url = url
        self.home = home
        self.client = get_sync_client(url=url)

    def start(self, **brief: Any) -> str:
        thread_id = str(self.client.threads.create()["thread_id"])
        state = {"brief": {**BRIEF, **brief}, "evidence": [], "actions": [], "outcomes": []}
        self.client.runs.wait(thread_id, "campaign", input=state)
        return thread_id

    def pending(self, thread_id: str) -> dict[str, tuple[str, dict[str, Any]]]:
        """{action name: (interrupt id, payload)}."""
        state = self.client.threads.get_state(thread_id)
        return {i["value"]["action"]["name"]: (i["id"], i["value"]) for i in state["interrupts"]}

    def resume(self, thread_id: str, answer: Any, user: str | None = None) -> None:
        context = {"signoff_user": user} if user else None
        self.client.runs.wait(thread_id, "campaign", command={"resume": answer}, context=context)

    def outcomes(self, thread_id: str) -> dict[str, str]:
        values = self.client.threads.get_state(thread_id)["values"]
        return {o["name"]: o["status"] for o in values.get("outcomes", [])}

    def store(self) -> Store:
        return Store(connect(self.home / "signoff.db"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    work = tmp_path_factory.mktemp("langgraph-dev")
    home = work / "home"
    config = work / "langgraph.json"
    config.write_text(
        json.dumps(
            {
                "dependencies": [str(ROOT)],
                "graphs": {"campaign": f"{ROOT / 'tests/langgraph_app/graph.py'}:graph"},
            }
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIGNOFF_", "LANGSMITH_"))}
    env.pop("LANGCHAIN_TRACING_V2", None)
    env.update(
        SIGNOFF_HOME=str(home),
        SIGNOFF_POLICY=str(DEFAULT_POLICY),
        LANGGRAPH_CLI_NO_ANALYTICS="1",
        PYTHONPATH=str(ROOT),
    )
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = work / "server.log"
    entry = Path(sys.executable).parent / "langgraph"  # the environment's own entry point
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(entry), "dev", "--config", str(config), "--host", "127.0.0.1"]
            + ["--port", str(port), "--no-browser", "--no-reload"],
            cwd=work,  # `.langgraph_api/` lands here
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"langgraph dev exited with {process.returncode}:\n{log.read_text()}")
            try:
                if httpx.get(f"{url}/ok", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"langgraph dev did not answer in {START_TIMEOUT_S} s:\n{log.read_text()}"
                )
            time.sleep(0.5)
        yield Server(url, home)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    assert (work / ".langgraph_api").is_dir()  # the server's files stayed in the temp dir


def test_langchain_dialect_and_a_second_decision_refused(server: Server) -> None:
    thread_id = server.start(channels=["email", "social"])
    pending = server.pending(thread_id)
    email_id, email = pending["send_email"]
    post_id, post = pending["publish_post"]
    assert email["action_request"]["args"] == email["action_requests"][0]["arguments"]
    assert post["config"]["allow_ignore"] is True
    edited = {**email["action"]["args"], "subject": "Warmer for less"}
    server.resume(
        thread_id,
        {
            email_id: {
                "decisions": [
                    {"type": "edit", "edited_action": {"name": "send_email", "args": edited}}
                ]
            },
            post_id: {"decisions": [{"type": "reject", "message": "Not this week"}]},
        },
    )
    hold_id, hold = server.pending(thread_id)["send_email"]
    assert hold["kind"] == "hold" and hold["action"]["args"] == edited
    # the same interrupt again: refused by the graph (strict resume), nothing changes
    with pytest.raises(Exception, match="UnknownInterruptError"):
        server.resume(thread_id, {email_id: {"decisions": [{"type": "approve"}]}})
    assert server.pending(thread_id)["send_email"][0] == hold_id
    store = server.store()
    decisions = {d["interrupt_id"]: d for d in store.decisions(thread_id)}
    assert decisions[email_id]["decision"] == {"type": "edit", "args": edited}
    assert decisions[post_id]["decision"]["reason"] == "Not this week"
    assert decisions[post_id]["by"] == "langchain-hitl"
    assert server.outcomes(thread_id) == {"publish_post": "rejected"}


def test_signoff_cli_lists_the_servers_items_and_says_where_to_decide(
    server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    thread_id = server.start(channels=["email"])
    [(email_id, _)] = server.pending(thread_id).values()
    home = ["--home", str(server.home)]
    code, items, _ = run_json(capsys, "inbox", *home)
    assert code == 0 and email_id in {i["id"] for i in items}
    code, error, _ = run_json(capsys, "decide", email_id, "approve", *home)
    assert code == 2 and "LangGraph's server" in error["message"]
    assert server.store().decision(email_id) is None
    server.resume(thread_id, {email_id: {"type": "approve"}}, user="bob")
    code, holds, _ = run_json(capsys, "holds", *home)
    [hold] = [h for h in holds if h["thread_id"] == thread_id]
    assert hold["approved_by"] == "bob" and hold["seconds_left"] > 200
    code, items, _ = run_json(capsys, "inbox", *home)
    assert email_id not in {i["id"] for i in items}
    # the server's scheduler from the command line: nothing is due yet, so nothing moves
    code, out, err = run(capsys, "worker", "--langgraph-url", server.url, "--once", "--json")
    assert code == 0 and server.url in err and "released" not in out
    assert server.pending(thread_id)["send_email"][0] == hold["id"]
    server.resume(thread_id, {hold["id"]: {"type": "cancel", "reason": "not now"}}, user="bob")
    assert server.outcomes(thread_id) == {"send_email": "cancelled"}


def test_agent_inbox_refusals_never_stick_a_thread(server: Server) -> None:
    thread_id = server.start(product="Brightloop 2 smart thermostat price cut", channels=["email"])
    [(email_id, email)] = server.pending(thread_id).values()
    assert email["needs_check"]
    # Agent Inbox: a one-item HumanResponse list and no interrupt id; accept lacks the check
    with pytest.raises(Exception, match="ValidationError"):
        server.resume(thread_id, [{"type": "accept", "args": None}])
    assert server.pending(thread_id)["send_email"][0] == email_id  # not stuck: still waiting
    store = server.store()
    assert store.decision(email_id) is None
    server.resume(thread_id, {email_id: {"type": "approve", "checked": True}}, user="ann")
    hold_id, hold = server.pending(thread_id)["send_email"]
    assert hold["config"]["allow_ignore"] is False
    with pytest.raises(Exception, match="ValidationError"):
        server.resume(thread_id, [{"type": "ignore", "args": None}])
    assert server.pending(thread_id)["send_email"][0] == hold_id  # the approved send still waits
    assert store.decision(email_id)["by"] == "ann"
    assert maildir_count(server.home) == 0

    # a post: respond sends it back to the writer, edit changes it, accept on its hold sends now
    post_thread = server.start(channels=["social"])
    [(post_id, _)] = server.pending(post_thread).values()
    server.resume(post_thread, [{"type": "response", "args": "Mention the winter"}])
    [(redraft_id, redraft)] = server.pending(post_thread).values()
    assert redraft_id != post_id and redraft["feedback"] == ["Mention the winter"]
    text = "Brightloop 2 keeps your home warm this winter."
    action = {"action": "publish_post", "args": {**redraft["action"]["args"], "text": text}}
    server.resume(post_thread, [{"type": "edit", "args": action}])
    [(post_hold, _)] = server.pending(post_thread).values()
    server.resume(post_thread, [{"type": "accept", "args": None}])
    assert server.outcomes(post_thread) == {"publish_post": "executed"}
    lines = (server.home / "feed.jsonl").read_text().splitlines()
    assert [json.loads(line)["text"] for line in lines] == [text]
    [sent_now] = [e for e in store.audit_log(post_thread) if e["event"] == "hold.send_now"]
    assert sent_now["actor"] == "agent-inbox" and sent_now["detail"]["interrupt_id"] == post_hold

    # the scheduler for the server's threads: releases the held email, expires a stale review
    stale = server.start(channels=["email"])
    [(stale_id, _)] = server.pending(stale).values()
    watcher = ServerWatcher(server.url)
    sent_before = maildir_count(server.home)  # (holds the other tests left are due too)
    done = watcher.tick(time.time() + 8 * 86400)
    assert hold_id in done["released"] and stale_id in done["expired"]
    assert server.outcomes(thread_id) == {"send_email": "executed"}
    assert server.outcomes(stale) == {"send_email": "expired"}
    assert maildir_count(server.home) == sent_before + len(done["released"])
    assert watcher.tick(time.time() + 8 * 86400)["released"] == []  # once

    # the audit is complete, each entry with the policy's version, and the chain holds
    version = load_policy(DEFAULT_POLICY).version
    events = [(e["event"], e["actor"]) for e in store.audit_log(thread_id, oldest_first=True)]
    assert events == [
        ("action.routed", "signoff"),
        ("action.proposed", "signoff"),
        ("decision.recorded", "ann"),
        ("action.held", "signoff"),
        ("hold.release", "scheduler"),
        ("action.executed", "signoff"),
    ]
    expired = [e for e in store.audit_log(stale) if e["event"] == "decision.recorded"]
    assert (
        expired[0]["actor"] == "scheduler" and expired[0]["detail"]["decision"]["type"] == "expire"
    )
    assert {e["policy_version"] for e in store.audit_log(limit=10**6)} == {version}
    assert store.verify_audit()["ok"]


def _held_audience(server: Server, contacts: list[dict[str, str]]) -> tuple[str, str, Any]:
    """A new email campaign to `contacts` on the server, its audience approved by ann in Agent
    Inbox's dialect: (thread id, the hold's interrupt id, the hold's payload)."""
    thread_id = str(server.client.threads.create()["thread_id"])
    state = {
        "brief": {**BRIEF, "channels": ["email"]},
        "evidence": [],
        "actions": [],
        "outcomes": [],
        "audience": contacts,
    }
    server.client.runs.wait(thread_id, "campaign", input=state)
    [(batch_id, _)] = server.pending(thread_id).values()
    server.resume(thread_id, {batch_id: [{"type": "accept", "args": None}]}, user="ann")
    [(hold_id, hold)] = server.pending(thread_id).values()
    return thread_id, hold_id, hold


def test_a_contact_taken_out_leaves_one_hold_for_the_audience(
    server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    """Agent Inbox's `take_out` on a held audience: the hold asks again under a new id, and
    `signoff holds` lists that one hold (not the replaced one beside it), with the contact
    taken out under its id; the watcher's release sends the rest."""
    contacts = [{"email": f"p{i}@example.com", "name": f"Pat{i} Lee"} for i in range(1, 4)]
    thread_id, first_id, first = _held_audience(server, contacts)
    form = {**first["action_request"]["args"], "take_out": "p2@example.com"}
    edit = [{"type": "edit", "args": {"action": "send_email", "args": form}}]
    server.resume(thread_id, {first_id: edit}, user="ann")
    [(again_id, again)] = server.pending(thread_id).values()
    assert again_id != first_id and again["batch_size"] == 2
    code, holds, _ = run_json(capsys, "holds", "--home", str(server.home))
    mine = [h for h in holds if h["thread_id"] == thread_id]
    assert code == 0 and [h["id"] for h in mine] == [again_id], mine
    assert mine[0]["taken_out"] == 1
    store = server.store()
    assert [
        d["interrupt_id"] for d in store.decisions(thread_id) if d["action_id"] == "email-2"
    ] == [f"{again_id}-2"]
    done = ServerWatcher(server.url).tick(now=time.time() + 3600)
    assert again_id in done["released"] and first_id not in done["skipped"]
    # (other tests' holds on this server are released with it: read only this audience's mail)
    path = server.home / "maildir"
    sent = {str(m["To"]) for m in mailbox.Maildir(str(path), create=False)}
    assert {"p1@example.com", "p3@example.com"} <= sent and "p2@example.com" not in sent


def test_holds_contacts_lists_an_audience_held_in_the_server(
    server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    """`signoff holds --contacts` on an audience the server holds: its contacts live in the
    server's checkpoints. Without the server's address the CLI says so and what to run; with
    `--langgraph-url` it lists them from the server, a contact taken out in Agent Inbox too."""
    contacts = [{"email": f"q{i}@example.com", "name": f"Quinn{i} Ray"} for i in range(1, 4)]
    thread_id, hold_id, _ = _held_audience(server, contacts)
    home = ["--home", str(server.home)]

    code, error, _ = run_json(capsys, "holds", "--contacts", hold_id, *home)
    assert code == 2 and "LangGraph's server" in error["message"]
    assert f"signoff holds --contacts {hold_id} --langgraph-url URL" in error["message"]

    remote = ["--langgraph-url", server.url]
    code, listed, _ = run_json(capsys, "holds", "--contacts", hold_id, *remote, *home)
    assert code == 0 and (listed["total"], listed["held"], listed["taken_out"]) == (3, 3, 0)
    assert [c["email"] for c in listed["contacts"]] == [c["email"] for c in contacts]
    assert listed["contacts"][1]["id"] == f"{hold_id}-2"

    form = {**server.pending(thread_id)["send_email"][1]["action_request"]["args"]}
    edit = [{"type": "edit", "args": {"action": "send_email", "args": {**form, "take_out": "2"}}}]
    server.resume(thread_id, {hold_id: edit}, user="ann")
    [(again_id, _)] = server.pending(thread_id).values()
    code, out, _ = run(capsys, "holds", "--contacts", again_id, *remote, *home)
    assert code == 0
    assert "Quinn1 Ray" in out and "q2@example.com" in out and "taken out by ann" in out
    assert "2 of 3 contacts held, 1 taken out" in out
    gone = ["--langgraph-url", f"http://127.0.0.1:{_free_port()}"]  # nobody answers there
    code, error, _ = run_json(capsys, "holds", "--contacts", again_id, *gone, *home)
    assert code == 2 and "Could not read campaign" in error["message"]
    server.resume(thread_id, {again_id: {"type": "cancel", "reason": "test done"}}, user="ann")
