"""A registered channel's card under AppTest: LinkedIn drawn by its own preview, its edit box
counted against LinkedIn's limit, and the edit checked again before it can go out."""

from __future__ import annotations

import json
from pathlib import Path

from ui_support import BRIEF, open_app, texts

from graphs.runtime import Signoff

INBOX = "views/inbox.py"


def test_a_linkedin_card_draws_its_preview_and_counts_its_own_limit(
    ui_home: Path, seeded: Signoff
) -> None:
    [post] = seeded.start({**BRIEF, "channels": ["linkedin"]})["pending"]
    assert post["action"] == "publish_linkedin_post"
    at = open_app(INBOX)
    assert not at.exception
    shown = "\n".join(str(t.value) for t in at.text)
    assert post["args"]["text"] in shown  # the whole post, as LinkedIn shows it
    assert f"({len(post['args']['text']):,} of 3,000 characters)" in shown
    at.button(key=f"edit-{post['id']}").click().run()
    box = at.text_area(key=f"edit-text-{post['id']}")
    assert "[1]" not in box.value
    assert box.max_chars == 3000  # counted as you type, stopped at LinkedIn's limit
    assert f"{len(box.value):,} / 3,000 characters" in texts(at)
    edited = "The Brightloop 2 costs $89 this week. Order today."
    box.input(edited)
    at.button(key=f"edit-save-{post['id']}").click().run()
    assert not at.exception
    assert not (ui_home / "linkedin.jsonl").exists()  # checked again first: a wrong price
    assert "says $89; the fact sheet says $149" in texts(at)
    assert f"{len(edited):,} / 3,000 characters" in texts(at)
    at.checkbox(key=f"edit-checked-{post['id']}").check().run()
    at.button(key=f"edit-save-{post['id']}").click().run()
    assert not at.exception
    [line] = (ui_home / "linkedin.jsonl").read_text().splitlines()
    assert json.loads(line)["text"] == edited
