"""The Inbox a page at a time: a pager over the entries, filters by campaign, channel and risk,
(the sidebar's counts are COUNT queries: tests/unit/test_inbox_pages.py)."""

from __future__ import annotations

from pathlib import Path

from ui_support import BRIEF, open_app, present, texts

from graphs.runtime import Signoff

INBOX = "views/inbox.py"


def test_pages_and_filters(ui_home: Path, seeded: Signoff) -> None:
    threads = [seeded.start({**BRIEF, "channels": ["social"]})["thread_id"] for _ in range(3)]
    items = seeded.pending()
    assert [i["thread_id"] for i in items] == threads  # one post per campaign, oldest first
    at = open_app(INBOX, per_page="2")
    assert not at.exception
    assert [present(at, f"card-{i['id']}") for i in items] == [True, True, False]
    assert "Page 1 of 2" in texts(at)
    assert "3 actions waiting for your sign-off" in texts(at)
    assert at.button(key="inbox-prev").disabled
    at.button(key="inbox-next").click().run()
    assert not at.exception
    assert [present(at, f"card-{i['id']}") for i in items] == [False, False, True]
    assert "Page 2 of 2" in texts(at) and at.button(key="inbox-next").disabled

    at.selectbox(key="inbox-filter-campaign").select(threads[1]).run()
    assert not at.exception
    assert [present(at, f"card-{i['id']}") for i in items] == [False, True, False]
    assert not present(at, "inbox-pager")  # one page: no pager
    at.selectbox(key="inbox-filter-campaign").select("")
    at.selectbox(key="inbox-filter-channel").select("email").run()
    assert "Nothing waiting matches these filters." in texts(at)
    at.selectbox(key="inbox-filter-channel").select(None)
    at.selectbox(key="inbox-filter-risk").select(items[0]["risk"]).run()
    assert [present(at, f"card-{i['id']}") for i in items] == [True, True, False]
