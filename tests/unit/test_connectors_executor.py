"""The executor's follow-ups (undo, settle, retry), its fault points, settings and the registry."""

from __future__ import annotations

import email
import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from loopback import Loopback, Mastodon, Reply
from support import smtp_on_loopback

from graphs import faults
from graphs.executor import Executor, idempotency_key
from graphs.store import Store, connect
from tools.base import ConnectorError, Settings
from tools.registry import TOOLS, get_tool

ROOT = Path(__file__).resolve().parents[2]
POST = {"text": "Warm homes [1], smaller bills."}


def make_settings(home: Path, **values: object) -> Settings:
    fast: dict[str, object] = {"http_backoff": 0.001, "http_timeout": 2.0}
    return Settings(home=home, **{**fast, **values})  # type: ignore[arg-type]


@pytest.fixture
def executor(home: Path) -> Iterator[Executor]:
    ex = Executor(Store(connect(home / "signoff.db")), make_settings(home))
    yield ex
    ex.store.conn.close()


def with_settings(ex: Executor, **values: object) -> Executor:
    return Executor(ex.store, make_settings(ex.settings.home, **values))


def row(ex: Executor, key: str) -> dict:
    [found] = [r for r in ex.store.outbox() if r["key"] == key]
    return found


def events(ex: Executor, event: str) -> list[dict]:
    return [a for a in ex.store.audit_log() if a["event"] == event]


def feed(home: Path) -> list[dict]:
    path = home / "feed.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


# -- undo ---------------------------------------------------------------------------------------
def test_undo_runs_once_and_is_audited_with_who(executor, home):
    outcome = executor.execute("camp", "post-1", "publish_post", POST)
    key = outcome["detail"]["key"]
    assert outcome["status"] == "executed" and key == idempotency_key(
        "camp", "post-1", "publish_post", POST
    )
    done = executor.undo(key, "alice")
    assert done["status"] == "undone" and done["undone"]["by"] == "alice"
    stored = row(executor, key)
    assert stored["status"] == "undone" and stored["result"]["undone"]["deleted"] is True
    assert stored["result"]["line"] == 1  # what the send returned is kept
    [audit] = events(executor, "action.undone")
    assert audit["actor"] == "alice" and audit["detail"]["key"] == key
    again = executor.undo(key, "bob")
    assert "Already undone by alice" in again["message"]
    assert len(feed(home)) == 2 and len(events(executor, "action.undone")) == 1
    # the publisher running again (a resume after a crash) does not post it again
    assert executor.execute("camp", "post-1", "publish_post", POST)["status"] == "undone"
    assert len(feed(home)) == 2


def test_undo_refuses_what_cannot_be_undone(executor):
    email_key = executor.execute(
        "camp", "email-1", "send_email", {"to": "a@example.com", "subject": "s", "body": "b"}
    )["detail"]["key"]
    with pytest.raises(ValueError, match="Send email cannot be undone: An email cannot be unsent"):
        executor.undo(email_key, "alice")
    with pytest.raises(KeyError, match="No action with key 'nope'"):
        executor.undo("nope", "alice")
    with Loopback() as server:
        server.script("POST", "/hook", [Reply(200)])
        hooked = with_settings(executor, social="webhook", social_webhook_url=server.url + "/hook")
        key = hooked.execute("camp", "post-9", "publish_post", POST)["detail"]["key"]
        with pytest.raises(ValueError, match="went out through webhook, which Signoff cannot take"):
            hooked.undo(key, "alice")
    assert row(executor, key)["status"] == "done" and events(executor, "action.undone") == []


def test_an_undo_that_fails_leaves_the_action_done_and_can_be_tried_again(executor):
    with Loopback() as server:
        Mastodon(server)
        masto = with_settings(
            executor, social="mastodon", mastodon_url=server.url, mastodon_token="t0ken"
        )
        key = masto.execute("camp", "post-1", "publish_post", POST)["detail"]["key"]
    with pytest.raises(ConnectorError) as info:  # the server is gone
        with_settings(
            masto,
            social="mastodon",
            mastodon_url=server.url,
            mastodon_token="t0ken",
            http_retries=0,
        ).undo(key, "alice")
    assert info.value.retryable is True
    assert row(executor, key)["status"] == "done"
    [failed] = events(executor, "action.undo_failed")
    assert failed["actor"] == "alice" and failed["detail"]["retryable"] is True


def test_only_an_executed_action_can_be_undone(executor):
    with Loopback() as server:
        server.script("POST", "/hook", [Reply(503)])
        hooked = with_settings(
            executor,
            social="webhook",
            social_webhook_url=server.url + "/hook",
            http_retries=0,
        )
        outcome = hooked.execute("camp", "like-1", "like_post", {"post": "123"})
    assert outcome["status"] == "failed"
    with pytest.raises(ValueError, match="Only an executed action can be undone; .* is failed"):
        executor.undo(outcome["detail"]["key"], "alice")


# -- settle (in doubt) ----------------------------------------------------------------------------
class Recorder:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


EMAIL = {"to": "customers@example.com", "subject": "Winter", "body": "Warm homes [1]."}


def in_doubt(ex: Executor) -> str:
    """What a crash mid-send leaves behind on plain SMTP: a claimed key, then in doubt."""
    args = get_tool("send_email").validate_args(EMAIL, ex.settings)  # as it goes out
    key = idempotency_key("camp", "email-1", "send_email", args)
    ex.store.claim(key, "camp", "email-1", "send_email", args)
    outcome = ex.execute("camp", "email-1", "send_email", EMAIL)
    assert outcome["status"] == "in_doubt" and outcome["detail"]["key"] == key
    return key


def test_settle_mark_sent_records_who_and_never_sends(executor, home):
    smtp = with_settings(executor, smtp_url="smtp://127.0.0.1:9")
    key = in_doubt(smtp)
    with pytest.raises(ValueError, match=r"expected one of \['mark_sent', 'send_again'\]"):
        smtp.settle(key, "maybe", "bob")
    outcome = smtp.settle(key, "mark_sent", "bob")
    assert outcome["status"] == "executed"
    assert row(smtp, key)["result"] == {"settled": "marked as sent", "by": "bob"}
    [audit] = events(smtp, "action.settled")
    assert audit["actor"] == "bob" and audit["detail"]["choice"] == "mark_sent"
    with pytest.raises(
        ValueError, match="Only an in-doubt action can be settled; this one is done"
    ):
        smtp.settle(key, "send_again", "bob")
    assert not (home / "maildir").exists()


def test_settle_send_again_sends_once_more(executor):
    recorder = Recorder()
    with smtp_on_loopback(recorder) as port:
        smtp = with_settings(executor, smtp_url=f"smtp://127.0.0.1:{port}")
        key = in_doubt(smtp)
        assert recorder.messages == []
        outcome = smtp.settle(key, "send_again", "bob")
    assert outcome["status"] == "executed" and outcome["detail"]["transport"] == "smtp"
    [message] = recorder.messages
    assert message["Message-ID"] == f"<{key[:32]}@signoff.local>"
    stored = row(smtp, key)
    assert stored["status"] == "done" and stored["attempts"] == 2
    assert [a["detail"]["choice"] for a in events(smtp, "action.settled")] == ["send_again"]
    assert len(events(smtp, "action.executed")) == 1


# -- retry_failed -------------------------------------------------------------------------------
def test_retry_failed_runs_a_failed_action_again(executor):
    with Loopback() as server:
        server.script("POST", "/hook", [Reply(503, {"error": "down"}), Reply(200, {"id": "p1"})])
        hooked = with_settings(
            executor, social="webhook", social_webhook_url=server.url + "/hook", http_retries=0
        )
        failed = hooked.execute("camp", "post-1", "publish_post", POST)
        assert failed["status"] == "failed"
        assert failed["detail"]["retryable"] is True and failed["detail"]["status"] == 503
        assert "down" in failed["detail"]["error"]
        key = failed["detail"]["key"]
        outcome = hooked.retry_failed(key, "carol")
        with pytest.raises(
            ValueError, match="Only a failed action can be retried; this one is done"
        ):
            hooked.retry_failed(key, "carol")
    assert outcome["status"] == "executed" and outcome["detail"]["response"] == {"id": "p1"}
    assert row(hooked, key)["attempts"] == 2
    [retried] = events(hooked, "action.retried")
    assert retried["actor"] == "carol" and retried["detail"]["attempt"] == 2
    assert [r.headers["idempotency-key"] for r in server.requests] == [key, key]


# -- fault points -------------------------------------------------------------------------------
CRASHING = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from graphs.executor import Executor
    from graphs.store import Store, connect
    from tools.base import Settings

    home = Path(sys.argv[1])
    ex = Executor(Store(connect(home / "signoff.db")), Settings(home=home))
    for n, text in enumerate(sys.argv[2:], start=1):
        print(ex.execute("camp", f"post-{n}", "publish_post", {"text": text})["status"], flush=True)
    """
)


def run_with_crash(home: Path, at: str, *texts: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SIGNOFF_CRASH_AT": at}
    return subprocess.run(
        [sys.executable, "-c", CRASHING, str(home), *texts],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("at", "status", "lines"),
    [
        ("before_claim", None, 0),
        ("after_claim", "sending", 0),
        ("after_connector", "sending", 1),
        ("after_record", "done", 1),
    ],
)
def test_a_fault_point_kills_the_process_there_and_a_restart_executes_once(
    executor, home, at, status, lines
):
    done = run_with_crash(home, at, "one")
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert done.stdout == ""
    assert [r["status"] for r in executor.store.outbox()] == ([status] if status else [])
    assert len(feed(home)) == lines
    again = executor.execute("camp", "post-1", "publish_post", {"text": "one"})
    assert again["status"] == "executed" and len(feed(home)) == 1  # the feed honours the key


def test_a_fault_point_can_wait_for_its_nth_visit(executor, home):
    done = run_with_crash(home, "after_connector:2", "one", "two", "three")
    assert done.returncode == -signal.SIGKILL and done.stdout.split() == ["executed"]
    assert [r["status"] for r in executor.store.outbox()] == ["done", "sending"]
    assert [e["text"] for e in feed(home)] == ["one", "two"]


def test_fault_point_specs_are_checked():
    assert faults.parse(None) is None and faults.parse("") is None
    assert faults.parse("after_claim") == ("after_claim", 1)
    assert faults.parse("after_record:3") == ("after_record", 3)
    with pytest.raises(ValueError, match="names no fault point; expected one of"):
        faults.parse("after_lunch")
    with pytest.raises(ValueError, match="a count from 1"):
        faults.parse("after_claim:0")
    faults.point("after_connector")  # unset here: nothing happens
    done = run_with_crash(ROOT, "after_lunch")
    assert done.returncode == 1 and "SIGNOFF_CRASH_AT='after_lunch' names no fault point" in (
        done.stderr
    )


# -- settings -----------------------------------------------------------------------------------
def test_settings_load_from_connectors_toml_and_the_environment_wins(tmp_path):
    (tmp_path / "connectors.toml").write_text(
        textwrap.dedent(
            """
            social = "mastodon"
            mastodon_url = "https://social.example"
            mastodon_token = "file-secret"
            http_retries = 2
            ads_daily_budget = 50
            ads_webhook_url = "https://ads.example/hooks/abc123secret"
            """
        )
    )
    env = {
        "SIGNOFF_MASTODON_TOKEN": "env-secret",
        "SIGNOFF_ADS_CURRENCY": "usd",
        "SIGNOFF_SMTP_URL": "smtp://me:hunter2@mail.example:587",
        "SIGNOFF_CMS": "",  # empty: unset
        "SIGNOFF_HOME": "/elsewhere",  # not a connector setting
    }
    s = Settings.load(tmp_path, env)
    assert (s.social, s.mastodon_url, s.mastodon_token) == (
        "mastodon",
        "https://social.example",
        "env-secret",
    )
    assert (s.http_retries, s.ads_daily_budget, s.ads_currency, s.cms) == (2, 50.0, "USD", "folder")
    assert s.home == tmp_path
    shown = repr(s)
    for secret in ("env-secret", "file-secret", "hunter2", "abc123secret"):
        assert secret not in shown and secret not in str(s)
    assert "mastodon_token='***'" in shown and "smtp://me:***@mail.example:587" in shown
    assert "https://ads.example/***" in shown


def test_settings_defaults(tmp_path):
    s = Settings.load(tmp_path, {})
    assert (s.smtp_url, s.social, s.cms, s.ads_currency) == (None, "feed", "folder", "EUR")
    assert (s.ads_daily_budget, s.ads_campaign_budget) == (None, None)
    assert s.http_timeout > 0 and s.http_retries >= 0


@pytest.mark.parametrize(
    ("env", "toml", "expected"),
    [
        (
            {"SIGNOFF_SOCIAL": "tiktok"},
            "",
            ["SIGNOFF_SOCIAL", "'tiktok'", "'feed', 'webhook', 'mastodon'"],
        ),
        (
            {"SIGNOFF_ADS_DAILY_BUDGET": "ten"},
            "",
            ["SIGNOFF_ADS_DAILY_BUDGET", "'ten'", "not a number"],
        ),
        ({"SIGNOFF_HTTP_RETRIES": "2.5"}, "", ["SIGNOFF_HTTP_RETRIES", "whole number"]),
        ({"SIGNOFF_HTTP_RETRIES": "50"}, "", ["SIGNOFF_HTTP_RETRIES", "50", "from 0 to 10"]),
        (
            {"SIGNOFF_SOCIAL": "mastodon", "SIGNOFF_MASTODON_URL": "https://m.example"},
            "",
            ["social = 'mastodon' needs", "SIGNOFF_MASTODON_TOKEN", "set social to 'feed'"],
        ),
        (
            {"SIGNOFF_SOCIAL_WEBHOOK_URL": "hooks.example/x"},
            "",
            ["SIGNOFF_SOCIAL_WEBHOOK_URL", "'hooks.example/x'", "https:// URL"],
        ),
        (
            {"SIGNOFF_SMTP_URL": "mail.example:25"},
            "",
            ["SIGNOFF_SMTP_URL", "smtp://user:password@host:587"],
        ),
        ({"SIGNOFF_ADS_CURRENCY": "euro"}, "", ["SIGNOFF_ADS_CURRENCY", "'EURO'", "3-letter"]),
        (
            {"SIGNOFF_ADS_CAMPAIGN_BUDGET": "-5"},
            "",
            ["SIGNOFF_ADS_CAMPAIGN_BUDGET", "-5", "0 or more"],
        ),
        ({}, "socail = 'feed'", ["Unknown key 'socail'", "connectors.toml", "'social'"]),
        ({}, "social = [", ["connectors.toml", "is not valid TOML", "Fix the file"]),
        ({}, "http_timeout = 'soon'", ["'http_timeout' in", "'soon'", "not a number"]),
        ({}, "cms = 3", ["'cms' in", "must be text"]),
    ],
)
def test_a_bad_setting_says_which_key_what_came_and_what_is_allowed(tmp_path, env, toml, expected):
    if toml:
        (tmp_path / "connectors.toml").write_text(toml)
    with pytest.raises(ValueError) as info:
        Settings.load(tmp_path, env)
    for fragment in expected:
        assert fragment in str(info.value)


def test_a_bad_secret_is_not_echoed(tmp_path):
    with pytest.raises(ValueError, match="SIGNOFF_MASTODON_TOKEN") as info:
        Settings(home=tmp_path, mastodon_token="two\nlines-s3cret")
    assert "s3cret" not in str(info.value)
    with pytest.raises(ValueError, match="SIGNOFF_SMTP_URL") as info:
        Settings(home=tmp_path, smtp_url="http://me:pw123@mail.example:25")
    assert "me:***@mail.example" in str(info.value) and "pw123" not in str(info.value)


# -- registry -----------------------------------------------------------------------------------
def test_every_tool_is_registered_and_an_unknown_one_is_named():
    assert sorted(TOOLS) == [
        "follow_account",
        "like_post",
        "publish_linkedin_post",
        "publish_page",
        "publish_post",
        "repost_post",
        "send_email",
        "spend_ads",
    ]
    with pytest.raises(
        KeyError, match=r"Unknown action 'tiktok'; expected one of \['follow_account'"
    ):
        get_tool("tiktok")
    s = Settings(home=Path("/tmp"))
    assert {n: t.connector(s) for n, t in TOOLS.items()} == {
        "send_email": "maildir",
        "publish_post": "feed",
        "like_post": "feed",
        "follow_account": "feed",
        "repost_post": "feed",
        "publish_page": "folder",
        "spend_ads": "ledger",
        "publish_linkedin_post": "feed",
    }


def test_an_unknown_outbox_key_is_told_in_plain_words_by_the_facade(home: Path) -> None:
    """Every caller of the facade (page, CLI, notebook) gets the sentence, not a KeyError's
    quoted repr."""
    from fakes import ScriptedChatModel

    from graphs.errors import NotFound
    from graphs.runtime import Signoff

    with Signoff(home, model=ScriptedChatModel()) as runtime:
        for call in (
            lambda: runtime.undo("nosuchkey"),
            lambda: runtime.retry_action("nosuchkey"),
        ):
            with pytest.raises(NotFound) as raised:
                call()
            assert str(raised.value).startswith("No action with key 'nosuchkey'"), raised.value
