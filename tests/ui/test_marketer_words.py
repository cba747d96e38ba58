"""The marketer's pages speak a marketer's language: no autonomy level names, no identifiers
(snake_case words, state keys), no 'interrupt', 'thread' or 'payload', no JSON.

A walk-through found "at autonomy level 'supervised' it would wait for a person" on every card.
Each page is drawn with a campaign, an audience batch and a held email, and its words read.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ui_support import BRIEF, open_app

from graphs.runtime import Signoff

PAGES = [
    "views/inbox.py",
    "views/scheduled.py",
    "views/campaign.py",
    "views/activity.py",
    "views/autonomy.py",
    "views/new_campaign.py",
    "views/knowledge.py",
    "views/brand.py",
]
LEVELS = re.compile(r"autonomy level|'(?:supervised|earned|monitored)'|\bsupervised\b", re.I)
ICON = re.compile(r":material/\w+:")
IDENTIFIER = re.compile(r"\b[a-z]+_[a-z0-9_]+\b")  # send_email, thread_id, hold_seconds
JARGON = re.compile(r"\b(interrupt|thread|payload|checkpoint)s?\b", re.IGNORECASE)
COMMAND = re.compile(r"\bSIGNOFF_\w+|`signoff |make run")
JSON = re.compile(r"[{\[]\s*\"\w+\"\s*:")


def words(at) -> str:  # type: ignore[no-untyped-def]
    """What a person reads: markdown, captions, alerts, titles, labels, badges (not tooltips)."""
    parts: list[str] = []
    for kind in ("markdown", "caption", "success", "info", "warning", "error", "title"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [str(e.label) for e in at.expander]
    parts += [str(b.label) for b in at.button]
    parts += [str(m.label) for m in at.metric]
    return ICON.sub("", "\n".join(parts).replace("\\", ""))


@pytest.fixture
def campaigns(ui_home: Path, seeded: Signoff) -> Signoff:
    seeded.start(dict(BRIEF))
    contacts = [{"email": f"{n.lower()}@example.com", "name": n} for n in ("Ann", "Bob")]
    seeded.start({**BRIEF, "channels": ["email"]}, audience=contacts)
    return seeded


@pytest.mark.parametrize("page", PAGES)
def test_a_marketer_page_has_no_internal_words(page: str, campaigns: Signoff) -> None:
    thread = campaigns.campaigns()[0]["thread_id"]
    at = open_app(page, thread=thread)
    assert not at.exception
    text = words(at)
    if page != "views/autonomy.py":  # the page that names and explains the levels
        assert not LEVELS.search(text), LEVELS.findall(text)
    assert not IDENTIFIER.search(text), IDENTIFIER.findall(text)
    assert not JARGON.search(text), JARGON.findall(text)
    assert not COMMAND.search(text), COMMAND.findall(text)
    assert not JSON.search(text), text


def test_the_card_says_what_the_autonomy_means(campaigns: Signoff) -> None:
    at = open_app("views/inbox.py")
    text = words(at)
    assert "Actions of this kind" in text
    assert "wait for a person" in text
