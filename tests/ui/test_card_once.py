"""An Inbox card says each supported sentence once, and names its sources by their titles.

A walk-through found each supported sentence twice on a card (in "Facts, sentence by sentence"
and again as a claim below it) and its source as a file name ("found in pricing.md › Price").
"""

from __future__ import annotations

import re
from pathlib import Path

from ui_support import BRIEF, open_app, texts

from graphs.runtime import Signoff

INBOX = "views/inbox.py"
FILE_NAME = re.compile(r"\b[\w-]+\.(?:md|txt|html?|pdf)\b")


def _email(seeded: Signoff) -> dict:
    result = seeded.start(dict(BRIEF))
    return next(p for p in result["pending"] if p["action"] == "send_email")


def test_each_supported_sentence_is_shown_once(ui_home: Path, seeded: Signoff) -> None:
    email = _email(seeded)
    supported = [c["text"] for c in email["claim_checks"] if c["supported"]]
    assert supported, email["claim_checks"]
    at = open_app(INBOX)
    assert not at.exception
    card = at.get_by_key(f"card-{email['id']}")
    shown = [str(m.value).replace("\\", "") for m in card.get("markdown")]
    shown += [str(e.label).replace("\\", "") for e in card.get("expander")]
    for sentence in supported:
        times = sum(sentence.rstrip(".") in line for line in shown)
        assert times == 1, (sentence, [line for line in shown if sentence.rstrip(".") in line])


def test_sources_are_named_by_the_documents_title(ui_home: Path, seeded: Signoff) -> None:
    email = _email(seeded)
    titles = {s.name: s.title for s in seeded.kb.sources()}
    cited = {s["source"] for e in email["evidence"] for s in e["sources"]}
    assert cited and cited <= set(titles), cited
    at = open_app(INBOX)
    assert not at.exception
    page = texts(at)
    for name in cited:
        assert titles[name] in page
    assert not FILE_NAME.search(page), FILE_NAME.findall(page)


def test_an_unknown_source_gets_a_readable_name() -> None:
    from ui.components.sources import in_words, readable

    known = {"pricing.md": "Brightloop pricing"}
    assert readable("pricing.md › Price", known) == "Brightloop pricing › Price"
    assert readable("docs/spring-offer_2026.md › Intro", known) == "Spring offer 2026 › Intro"
    assert readable("upload:faq.txt", known) == "Faq"
    assert readable("https://example.com/blog/new-plans.html", known) == ("New plans (example.com)")
    assert readable("the brief", known) == "the brief"
    assert in_words("Supported by pricing.md › Price", known) == (
        "Supported by Brightloop pricing › Price"
    )
    assert in_words("Supported by notes/launch-plan.md", known) == "Supported by Launch plan"


def test_a_draft_in_another_script_says_so_once_in_plain_words(ui_home: Path) -> None:
    from fakes import ScriptedChatModel, default_answer

    def chinese_subject(schema: object, prompt: str) -> dict:
        data = default_answer(schema, prompt)  # type: ignore[arg-type]
        if "subject" in data:
            data["subject"] = "智能 " + data["subject"]
        return data

    with Signoff(ui_home, model=ScriptedChatModel(script=[chinese_subject] * 20)) as runtime:
        [email] = runtime.start({**BRIEF, "channels": ["email"]})["pending"]
    at = open_app(INBOX)
    assert not at.exception
    card = at.get_by_key(f"card-{email['id']}")
    shown = "\n".join(str(m.value).replace("\\", "") for m in card.get("markdown"))
    assert shown.count("Chinese characters (“智能”)") == 1, shown
    assert "written partly in Chinese characters (“智能”), which neither the brief nor" in shown
