"""A notification's link opens its item in the inbox (query params), a stale link says the draft
changed; the Settings page records how a person is told."""

from __future__ import annotations

import time
from pathlib import Path

from ui_support import BRIEF, keys, open_app, texts

from graphs.notify import STALE
from graphs.runtime import Signoff
from ui.auth import local_user

INBOX = "views/inbox.py"
SETTINGS = "views/settings.py"


def link_token(seeded: Signoff, interrupt_id: str) -> str:
    row = seeded.store.inbox_item(interrupt_id)
    assert row is not None
    return seeded.reach.links.token(row, "ann@example.com", time.time() + 3600)


def test_link_opens_only_its_item_until_show_everything(ui_home: Path, seeded: Signoff) -> None:
    pending = {p["action"]: p for p in seeded.start(dict(BRIEF))["pending"]}
    email, post = pending["send_email"], pending["publish_post"]
    at = open_app(INBOX, item=email["id"], t=link_token(seeded, email["id"]))
    assert not at.exception
    assert f"approve-{email['id']}" in keys(at) and f"approve-{post['id']}" not in keys(at)
    assert "Opened from your notification." in texts(at)
    at.button(key="item-link-show-all").click().run()
    assert {f"approve-{email['id']}", f"approve-{post['id']}"} <= keys(at)
    assert "item" not in at.query_params


def test_stale_or_forged_link_is_refused(ui_home: Path, seeded: Signoff) -> None:
    pending = {p["action"]: p for p in seeded.start(dict(BRIEF))["pending"]}
    post = pending["publish_post"]
    token = link_token(seeded, post["id"])
    seeded.decide(post["id"], {"type": "revise", "feedback": "Shorter."}, by="bob")
    [redraft] = [p for p in seeded.pending() if p["action"] == "publish_post"]
    at = open_app(INBOX, item=post["id"], t=token)
    assert not at.exception
    assert STALE in texts(at)
    assert f"approve-{redraft['id']}" in keys(at)  # the current draft, for a fresh look
    at = open_app(INBOX, item=post["id"], t=token[:-2] + "xx")
    assert "This link is not valid" in texts(at)


def test_settings_page_saves_the_choice(ui_home: Path, seeded: Signoff) -> None:
    at = open_app(SETTINGS)
    assert not at.exception
    assert at.radio(key="notify-mode").value == "immediate"
    at.radio(key="notify-mode").set_value("digest")
    at.button(key="notify-save").click().run()
    assert not at.exception
    assert seeded.notify_preference(local_user()) == "digest"  # local mode: the OS user
    assert "Saved: one summary a day." in texts(at)
    assert "No way to send messages is set up yet" in texts(at)
    assert "README" not in texts(at)  # a marketer asks whoever runs Signoff, in words
    assert "ask whoever runs Signoff to set up email or a team chat" in texts(at)
