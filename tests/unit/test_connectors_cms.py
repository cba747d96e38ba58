"""CMS pages: the local site folder, and WordPress's REST API on a loopback server."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from loopback import Loopback, Reply, WordPress

from tools.base import Call, ConnectorError, Settings
from tools.cms import front_matter
from tools.registry import get_tool

KEY1, KEY2 = "1a" * 32, "2b" * 32
PAGE = {"slug": "winter-sale", "title": 'Winter "sale"', "body": "# Warm homes\n\nSave 23% [1]."}


def make_settings(home: Path, **values: object) -> Settings:
    fast: dict[str, object] = {"http_backoff": 0.001, "http_timeout": 2.0}
    return Settings(home=home, **{**fast, **values})  # type: ignore[arg-type]


def call(args: dict, settings: Settings, key: str) -> Call:
    tool = get_tool("publish_page")
    return Call(tool.validate_args(args, settings), key, "campaign-1", "page-1", settings)


# -- folder -------------------------------------------------------------------------------------
def test_folder_page_is_upserted_by_slug_with_a_front_matter(tmp_path):
    s, tool = make_settings(tmp_path), get_tool("publish_page")
    first = tool.run(call(PAGE, s, KEY1))
    page = tmp_path / "site" / "winter-sale.md"
    text = page.read_text()
    meta = front_matter(text)
    assert meta["title"] == 'Winter "sale"' and meta["slug"] == "winter-sale"
    assert meta["key"] == KEY1 and meta["updated"]
    assert text.endswith("# Warm homes\n\nSave 23%.\n")  # citation marks never go out
    assert first["created"] is True and first["transport"] == "folder"
    assert tool.run(call(PAGE, s, KEY1)) == first and page.read_text() == text  # same key: no-op
    second = tool.run(call({**PAGE, "body": "New text"}, s, KEY2))
    assert second["created"] is False and second["previous"]
    assert [p.name for p in (tmp_path / "site").glob("*.md")] == ["winter-sale.md"]
    assert front_matter(page.read_text())["key"] == KEY2 and "New text" in page.read_text()


def test_folder_undo_puts_back_the_previous_page_then_removes_a_new_one(tmp_path):
    s, tool = make_settings(tmp_path), get_tool("publish_page")
    assert tool.undo is not None
    c1, c2 = call(PAGE, s, KEY1), call({**PAGE, "body": "Second"}, s, KEY2)
    r1 = tool.run(c1)
    original = (tmp_path / "site" / "winter-sale.md").read_text()
    r2 = tool.run(c2)
    with pytest.raises(ConnectorError, match="published again since"):
        tool.undo(c1, r1)  # would overwrite the later version
    assert tool.undo(c2, r2) == {
        "transport": "folder",
        "slug": "winter-sale",
        "restored": True,
        "path": str(tmp_path / "site" / "winter-sale.md"),
    }
    assert (tmp_path / "site" / "winter-sale.md").read_text() == original
    assert tool.undo(c1, r1)["deleted"] is True
    assert not (tmp_path / "site" / "winter-sale.md").exists()


def test_page_args_are_checked():
    tool = get_tool("publish_page")
    with pytest.raises(ValueError, match="slug"):
        tool.validate_args({**PAGE, "slug": "Winter Sale"})
    with pytest.raises(ValueError, match="slug"):
        tool.validate_args({**PAGE, "slug": "-winter"})
    assert tool.risk.tier == "medium" and tool.risk.reversible and tool.channel == "cms"


# -- WordPress ----------------------------------------------------------------------------------
@pytest.fixture
def wordpress(tmp_path):
    with Loopback() as server:
        fake = WordPress(server, user="editor", password="abcd efgh")
        s = make_settings(
            tmp_path,
            cms="wordpress",
            wordpress_url=server.url + "/",
            wordpress_user="editor",
            wordpress_app_password="abcd efgh",
        )
        yield server, fake, s


def test_wordpress_creates_then_updates_by_slug_with_basic_auth(wordpress):
    server, fake, s = wordpress
    tool = get_tool("publish_page")
    created = tool.run(call(PAGE, s, KEY1))
    updated = tool.run(call({**PAGE, "title": "Winter sale, day 2"}, s, KEY2))
    assert created["created"] is True and updated["created"] is False
    assert created["id"] == updated["id"] and len(fake.pages) == 1
    page = fake.pages[created["id"]]
    assert page["title"] == "Winter sale, day 2" and page["status"] == "publish"
    assert page["content"] == "# Warm homes\n\nSave 23%."
    expected = "Basic " + base64.b64encode(b"editor:abcd efgh").decode()
    assert {r.headers["authorization"] for r in server.requests} == {expected}
    lookups = server.calls("GET", "/wp-json/wp/v2/pages")
    assert lookups[0].query["slug"] == "winter-sale" and "draft" in lookups[0].query["status"]
    assert [r.path for r in server.calls("POST")] == [
        "/wp-json/wp/v2/pages",
        f"/wp-json/wp/v2/pages/{created['id']}",
    ]


def test_wordpress_create_that_failed_half_way_is_not_duplicated(wordpress):
    server, fake, s = wordpress
    fake.flaky_creates = 1  # saves the page, then answers 503
    result = get_tool("publish_page").run(call(PAGE, s, KEY1))
    assert len(fake.pages) == 1 and result["id"] in fake.pages
    assert [r.method for r in server.requests] == ["GET", "POST", "GET", "POST"]


def test_wordpress_undo_makes_the_page_a_draft(wordpress):
    server, fake, s = wordpress
    tool = get_tool("publish_page")
    c = call(PAGE, s, KEY1)
    result = tool.run(c)
    assert tool.undo is not None
    assert tool.undo(c, result) == {"transport": "wordpress", "id": result["id"], "status": "draft"}
    assert fake.pages[result["id"]]["status"] == "draft"


def test_wordpress_4xx_says_status_and_message_and_is_not_retried(wordpress):
    import dataclasses

    server, fake, s = wordpress
    s = dataclasses.replace(s, wordpress_app_password="wrong one")
    with pytest.raises(ConnectorError) as info:
        get_tool("publish_page").run(call(PAGE, s, KEY1))
    assert info.value.retryable is False and info.value.status == 401
    assert "401" in str(info.value) and "not allowed to create posts" in str(info.value)
    assert "wrong one" not in str(info.value)
    assert len(server.requests) == 1


def test_wordpress_down_is_retryable_after_the_retries(wordpress):
    server, fake, s = wordpress
    server.route("GET", r"/wp-json/.*", lambda request, match: Reply(502), first=True)
    with pytest.raises(ConnectorError) as info:
        get_tool("publish_page").run(call(PAGE, s, KEY1))
    assert info.value.retryable is True and len(server.requests) == s.http_retries + 1
