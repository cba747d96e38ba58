"""Social connectors against a loopback server: webhook, Mastodon, the local feed."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import pytest
from loopback import Loopback, Mastodon, Reply

from graphs.executor import Executor
from graphs.store import Store, connect
from tools import registry
from tools.base import Call, ConnectorError, Settings
from tools.registry import get_tool
from tools.social import PUBLISH_POST

KEY = "a1" * 32


def make_settings(home: Path, **values: object) -> Settings:
    fast: dict[str, object] = {"http_backoff": 0.001, "http_timeout": 2.0}
    return Settings(home=home, **{**fast, **values})  # type: ignore[arg-type]


def call(name: str, args: dict, settings: Settings, key: str = KEY) -> Call:
    return Call(get_tool(name).validate_args(args, settings), key, "campaign-1", "a-1", settings)


def feed(home: Path, name: str) -> list[dict]:
    path = home / name
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


# -- webhook ------------------------------------------------------------------------------------
def test_webhook_posts_json_with_the_idempotency_key(tmp_path):
    with Loopback() as server:
        server.script("POST", "/hook", [Reply(200, {"id": "w-1"})])
        s = make_settings(tmp_path, social="webhook", social_webhook_url=server.url + "/hook")
        result = get_tool("publish_post").run(call("publish_post", {"text": "Warm [1] homes."}, s))
    [request] = server.requests
    assert request.headers["idempotency-key"] == KEY
    assert request.json["text"] == "Warm homes." and request.json["key"] == KEY
    assert request.json["campaign"] == "campaign-1"
    assert result == {"transport": "webhook", "status": 200, "response": {"id": "w-1"}}


def test_webhook_retries_5xx_with_the_same_key_then_succeeds(tmp_path):
    with Loopback() as server:
        server.script("POST", "/hook", [Reply(503), Reply(502), Reply(200, {"ok": True})])
        s = make_settings(tmp_path, social="webhook", social_webhook_url=server.url + "/hook")
        result = get_tool("publish_post").run(call("publish_post", {"text": "hi"}, s))
    assert [r.headers["idempotency-key"] for r in server.requests] == [KEY] * 3
    assert result["status"] == 200


def test_webhook_retries_after_a_timeout(tmp_path):
    with Loopback() as server:
        server.script("POST", "/hook", [Reply(200, delay=1.5), Reply(200, {"ok": True})])
        s = make_settings(
            tmp_path, social="webhook", social_webhook_url=server.url + "/hook", http_timeout=0.3
        )
        result = get_tool("publish_post").run(call("publish_post", {"text": "hi"}, s))
    assert len(server.requests) == 2 and result["response"] == {"ok": True}


def test_webhook_4xx_fails_at_once_with_the_servers_words(tmp_path):
    with Loopback() as server:
        server.script("POST", "/hook/s3cret", [Reply(422, {"error": "text is too spicy"})])
        url = server.url + "/hook/s3cret"
        s = make_settings(tmp_path, social="webhook", social_webhook_url=url)
        with pytest.raises(ConnectorError) as info:
            get_tool("publish_post").run(call("publish_post", {"text": "hi"}, s))
    assert len(server.requests) == 1  # a 4xx is not retried
    exc = info.value
    assert exc.retryable is False and exc.status == 422
    assert "422" in str(exc) and "text is too spicy" in str(exc) and "draft it again" in str(exc)
    assert "s3cret" not in str(exc)  # a webhook's path is its secret


def test_webhook_that_stays_down_is_retryable_after_all_attempts(tmp_path):
    with Loopback() as server:
        server.script("POST", "/hook", [Reply(500, body=b"oops")])
        s = make_settings(
            tmp_path, social="webhook", social_webhook_url=server.url + "/hook", http_retries=2
        )
        with pytest.raises(ConnectorError) as info:
            get_tool("publish_post").run(call("publish_post", {"text": "hi"}, s))
    assert len(server.requests) == 3
    assert info.value.retryable is True and info.value.status == 500 and "oops" in str(info.value)


def test_unreachable_webhook_is_retryable_and_names_the_setting(tmp_path):
    with Loopback() as server:
        url = server.url + "/hook"
    s = make_settings(tmp_path, social="webhook", social_webhook_url=url, http_retries=1)
    with pytest.raises(ConnectorError) as info:
        get_tool("publish_post").run(call("publish_post", {"text": "hi"}, s))
    assert info.value.retryable is True
    assert "Could not reach" in str(info.value) and "SIGNOFF_SOCIAL_WEBHOOK_URL" in str(info.value)


def test_a_webhook_post_cannot_be_undone(tmp_path):
    with Loopback() as server:
        server.script("POST", "/hook", [Reply(200)])
        s = make_settings(tmp_path, social="webhook", social_webhook_url=server.url + "/hook")
        c = call("publish_post", {"text": "hi"}, s)
        tool = get_tool("publish_post")
        assert tool.undo is not None and tool.undo(c, tool.run(c)) is None
    assert len(server.requests) == 1


# -- Mastodon -----------------------------------------------------------------------------------
@pytest.fixture
def mastodon(tmp_path):
    with Loopback() as server:
        fake = Mastodon(server, token="t0ken")
        s = make_settings(
            tmp_path, social="mastodon", mastodon_url=server.url, mastodon_token="t0ken"
        )
        yield server, fake, s


def test_mastodon_posts_a_status_with_bearer_token_and_key(mastodon, caplog):
    server, fake, s = mastodon
    caplog.set_level(logging.DEBUG)
    result = get_tool("publish_post").run(call("publish_post", {"text": "Warm [2] homes."}, s))
    [request] = server.requests
    assert (request.method, request.path) == ("POST", "/api/v1/statuses")
    assert request.headers["authorization"] == "Bearer t0ken"
    assert request.headers["idempotency-key"] == KEY
    assert fake.statuses[result["id"]]["content"] == "Warm homes."
    assert result["transport"] == "mastodon" and result["url"].endswith(f"/@brand/{result['id']}")
    assert "t0ken" not in caplog.text  # secrets never logged


def test_mastodon_same_key_twice_makes_one_status(mastodon):
    server, fake, s = mastodon
    first = get_tool("publish_post").run(call("publish_post", {"text": "once"}, s))
    again = get_tool("publish_post").run(call("publish_post", {"text": "once"}, s))
    other = get_tool("publish_post").run(call("publish_post", {"text": "once"}, s, key="b2" * 32))
    assert first == again and other["id"] != first["id"]
    assert len(fake.statuses) == 2 and len(server.calls("POST", "/api/v1/statuses")) == 3


def test_mastodon_publish_undo_deletes_the_status(mastodon):
    server, fake, s = mastodon
    tool = get_tool("publish_post")
    c = call("publish_post", {"text": "oops"}, s)
    result = tool.run(c)
    assert tool.undo is not None
    assert tool.undo(c, result) == {"transport": "mastodon", "deleted": result["id"]}
    assert fake.statuses == {}
    assert server.requests[-1].method == "DELETE"
    assert tool.undo(c, result)["already_gone"] is True  # a second delete finds it gone


@pytest.mark.parametrize(
    ("name", "store", "verb"),
    [("like_post", "favourites", "favourite"), ("repost_post", "reblogs", "reblog")],
)
def test_mastodon_like_and_repost_by_url_then_undo(mastodon, name, store, verb):
    server, fake, s = mastodon
    status = get_tool("publish_post").run(call("publish_post", {"text": "ours"}, s, key="c3" * 32))
    tool = get_tool(name)
    c = call(name, {"post": status["url"]}, s)  # a status URL: its last segment is the id
    result = tool.run(c)
    assert getattr(fake, store) == {status["id"]}
    assert server.requests[-1].path == f"/api/v1/statuses/{status['id']}/{verb}"
    assert server.requests[-1].headers["idempotency-key"] == KEY
    assert tool.undo is not None
    undone = tool.undo(c, result)
    assert undone is not None and undone["action"] == f"un{verb}"
    assert getattr(fake, store) == set()
    assert server.requests[-1].path == f"/api/v1/statuses/{status['id']}/un{verb}"
    assert server.requests[-1].headers["idempotency-key"] == f"{KEY}-undo"


def test_mastodon_like_by_id_and_by_a_link_on_another_server(mastodon):
    server, fake, s = mastodon
    get_tool("like_post").run(call("like_post", {"post": "12345"}, s))
    get_tool("like_post").run(
        call("like_post", {"post": "https://other.test/@friend/999"}, s, key="d4" * 32)
    )
    assert fake.favourites == {"12345", "555"}  # 999 is the other server's id: resolved to ours
    [search] = server.calls("GET", "/api/v2/search")
    assert search.query == {
        "q": "https://other.test/@friend/999",
        "type": "statuses",
        "resolve": "true",
    }


def test_mastodon_follow_a_handle_then_unfollow(mastodon):
    server, fake, s = mastodon
    tool = get_tool("follow_account")
    c = call("follow_account", {"account": "@friend@other.test"}, s)
    result = tool.run(c)
    [lookup] = server.calls("GET", "/api/v1/accounts/lookup")
    assert lookup.query == {"acct": "friend@other.test"}
    assert fake.follows == {"42"} and result["id"] == "42"
    assert tool.undo is not None
    tool.undo(c, result)
    assert fake.follows == set()
    assert server.requests[-1].path == "/api/v1/accounts/42/unfollow"


def test_mastodon_follow_resolves_an_account_the_server_does_not_know_yet(mastodon):
    server, fake, s = mastodon
    get_tool("follow_account").run(call("follow_account", {"account": "@far@away.test"}, s))
    assert fake.follows == {"77"}
    with pytest.raises(ConnectorError, match="found no account @nobody@away.test"):
        get_tool("follow_account").run(
            call("follow_account", {"account": "@nobody@away.test"}, s, key="e5" * 32)
        )


def test_mastodon_bad_token_is_not_retried_and_says_check_credentials(mastodon):
    server, fake, s = mastodon
    s = dataclasses.replace(s, mastodon_token="wrong")
    with pytest.raises(ConnectorError) as info:
        get_tool("publish_post").run(call("publish_post", {"text": "hi"}, s))
    assert info.value.retryable is False and info.value.status == 401
    assert "access token is invalid" in str(info.value) and "credentials" in str(info.value)
    assert "wrong" not in str(info.value) and len(server.requests) == 1


# -- the local feed -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "args", "verb"),
    [
        ("like_post", {"post": "https://social.test/@a/1"}, "like"),
        ("repost_post", {"post": "1"}, "repost"),
        ("follow_account", {"account": "@a@social.test"}, "follow"),
    ],
)
def test_feed_engagements_are_written_once_and_undone_once(tmp_path, name, args, verb):
    s = make_settings(tmp_path)
    tool = get_tool(name)
    c = call(name, args, s)
    first, again = tool.run(c), tool.run(c)
    assert first == again and first["transport"] == "feed"
    [entry] = feed(tmp_path, "engagements.jsonl")
    assert (entry["key"], entry["action"], entry["target"]) == (
        KEY,
        verb,
        next(iter(args.values())),
    )
    assert tool.undo is not None
    tool.undo(c, first)
    tool.undo(c, first)
    [_, undo] = feed(tmp_path, "engagements.jsonl")
    assert (undo["undo_of"], undo["action"]) == (KEY, f"un{verb}")
    assert tool.risk.tier == "low" and tool.risk.reversible


def test_feed_post_undo_appends_a_deletion(tmp_path):
    s = make_settings(tmp_path)
    tool = get_tool("publish_post")
    c = call("publish_post", {"text": "hello [1]"}, s)
    result = tool.run(c)
    assert tool.run(c) == result  # idempotent by key
    assert tool.undo is not None
    tool.undo(c, result)
    post, deletion = feed(tmp_path, "feed.jsonl")
    assert post["text"] == "hello" and deletion == {
        "undo_of": KEY,
        "at": deletion["at"],
        "action": "delete",
    }


def test_engagement_args_are_checked_with_clear_messages():
    with pytest.raises(ValueError, match="neither a post link"):
        get_tool("like_post").validate_args({"post": "not a link!"})
    with pytest.raises(ValueError, match="neither a handle like @name@mastodon.social"):
        get_tool("follow_account").validate_args({"account": "@bad handle"})
    assert get_tool("follow_account").validate_args({"account": " @a@b.social "}) == {
        "account": "@a@b.social"
    }


# -- limits -------------------------------------------------------------------------------------
def test_a_post_over_the_networks_limit_is_refused_before_any_request(
    tmp_path, mastodon, monkeypatch
):
    server, fake, s = mastodon
    short = dataclasses.replace(get_tool("publish_post"), limits={"mastodon": {"max_chars": 20}})
    monkeypatch.setitem(registry.TOOLS, "publish_post", short)
    text = "Twenty-one chars [1] long"  # 21 once the citation mark is gone
    assert short.validate_args({"text": text}) == {"text": text}  # the model alone allows it
    with pytest.raises(ValueError, match="21 characters; mastodon allows at most 20"):
        short.validate_args({"text": text}, s)
    assert short.validate_args({"text": text}, make_settings(tmp_path)) == {"text": text}  # feed
    executor = Executor(Store(connect(tmp_path / "signoff.db")), s)
    outcome = executor.execute("campaign-1", "post-1", "publish_post", {"text": text})
    assert outcome["status"] == "failed" and outcome["detail"]["retryable"] is False
    assert "not attempted" in outcome["detail"]["error"]
    assert server.requests == [] and executor.store.outbox() == []
    with pytest.raises(ConnectorError, match="501 characters"):  # the connector guards itself
        get_tool("publish_post").run(Call({"text": "x" * 501}, KEY, "c", "a", s))
    assert server.requests == []
    assert PUBLISH_POST.limits_for(s) == {"max_chars": 500}
