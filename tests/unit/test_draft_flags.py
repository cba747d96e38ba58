"""Two faults of a new user's walk, flagged by the AI review for the person in plain words:
an email subject in Chinese characters for an English campaign, and a landing page that said
one sentence three times (graphs/checks/draft.py `review`, graphs/checks/scripts.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fakes import ScriptedChatModel, default_answer
from pydantic import BaseModel

from graphs.channels import by_action
from graphs.channels.page import PageDraft, assemble
from graphs.checks.draft import review
from graphs.policy import Facts, load_policy, route
from graphs.runtime import Signoff

BRIEF = {"product": "Brightloop 2", "audience": "homeowners", "goal": "pre-orders"}
FACTS = [
    {"id": "p#1", "text": "The Brightloop 2 thermostat costs $149.", "source": "pricing.md"},
    {"id": "p#2", "text": "Brightloop cut energy use by 23% on average.", "source": "product.md"},
]
RAW_KEY = re.compile(r"\b[a-z]+_[a-z_]+\b")


def reasons(action: str, args: dict[str, Any], facts: list[dict[str, str]] = FACTS) -> list[str]:
    problems, _ = review(by_action(action), args, BRIEF, {"name": "Brightloop"}, facts)
    return [p.reason for p in problems if p.kind != "fact"]


# -- another script ------------------------------------------------------------------------------
def test_chinese_characters_in_an_english_subject_are_flagged_in_plain_words() -> None:
    args = {"subject": "Brightloop 2 智能恒温器", "body": "The Brightloop 2 thermostat costs $149."}
    [reason] = reasons("send_email", args)
    assert reason == (
        "Written partly in Chinese characters (“智能恒温器”), which neither the brief nor the "
        "facts use: check the wording before it goes out"
    )
    assert not RAW_KEY.search(reason)
    post = {"text": "Brightloop 2 экономит энергию. It costs $149."}
    assert any(
        "Cyrillic letters (“экономит”, “энергию”)" in r for r in reasons("publish_post", post)
    )


def test_accented_latin_symbols_and_the_campaigns_own_script_are_not_flagged() -> None:
    post = {
        "text": "Café owners: déjà vu at 20 °C, €59 or £49, naïve Ørsted fans, 5 µm. Order now."
    }
    assert reasons("publish_post", post) == []
    russian = [*FACTS, {"id": "p#3", "text": "Цена: 149 долларов.", "source": "ru.md"}]
    assert reasons("publish_post", {"text": "Цена 149 долларов. Order now."}, russian) == []


def test_a_draft_in_another_script_waits_for_a_person_whatever_its_autonomy() -> None:
    facts = Facts(
        action="publish_post",
        channel="social",
        level="monitored",
        writer_confidence=0.95,
        unsupported=0,
        foreign_scripts=["Chinese characters (“智能”)"],
    )
    routing = route(load_policy(), facts)
    assert routing["route"] == "review"
    assert (
        "The draft is written partly in Chinese characters (“智能”), which neither the brief nor "
        "the facts use: check the wording." in routing["reasons"]
    )


def chinese_subject(schema: type[BaseModel], prompt: str) -> dict[str, Any]:
    data = default_answer(schema, prompt)
    if "subject" in data:
        data["subject"] = "智能 " + data["subject"]
    return data


def test_the_card_shows_why_an_email_in_another_script_waits(
    home: Path, brief: dict[str, Any]
) -> None:
    model = ScriptedChatModel(script=[chinese_subject] * 20)
    with Signoff(home, model=model) as runtime:
        [email] = runtime.start({**brief, "channels": ["email"]})["pending"]
    assert email["args"]["subject"].startswith("智能")
    assert any("Chinese characters (“智能”)" in n for n in email["review_notes"])
    assert any("Chinese characters (“智能”)" in r for r in email["reasons"])


# -- a sentence said three times -----------------------------------------------------------------
SAID = "Brightloop 2 cuts heating bills by 23% on average."
MORE = (
    " We answer every question by email within a day, and every order ships with a printed "
    "guide to setting it up at home."
)


def test_a_sentence_run_into_another_goes_and_a_call_to_action_that_repeats_is_flagged() -> None:
    # a landing page of a new user's walk said one sentence three times: once in the intro,
    # once run into a section's sentence ("here.Brightloop…") and once as the call to action
    draft = PageDraft.model_validate(
        {
            "title": "Brightloop 2 for less",
            "intro": SAID + " Here is what it does and how to order one today.",
            "sections": [
                {"heading": "Why", "text": "It learns your week." + MORE * 2},
                {"heading": "What", "text": "Room sensors come in pairs here." + SAID + MORE},
                {"heading": "How", "text": "Install it in under 30 minutes." + MORE * 2},
            ],
            "call_to_action": SAID,
        }
    )
    args = assemble(draft, BRIEF, {}, None, {})
    assert "Room sensors come in pairs here." in args["body"]
    assert args["body"].count(SAID) == 2  # the run-in repeat is dropped as any repeat is
    assert f"Says the same sentence twice: “{SAID}”" in reasons("publish_page", args)


def test_a_page_that_says_one_sentence_three_times_is_flagged() -> None:
    body = f"{SAID} Here is how.\n\n## Why\n\n{SAID}{MORE}\n\n## How\n\nCall us.\n\n{SAID}"
    args = {"slug": "brightloop-2", "title": "Brightloop 2 for less", "body": body}
    assert f"Says the same sentence 3 times: “{SAID}”" in reasons("publish_page", args)


def test_a_subject_the_message_repeats_and_headings_are_not_repeats() -> None:
    args = {
        "subject": "A warmer home for less",
        "body": "A warmer home for less. The Brightloop 2 thermostat costs $149.",
    }
    assert reasons("send_email", args) == []
    post = {"text": f"{SAID} Order now. {SAID}"}
    assert reasons("publish_post", post) == [f"Says the same sentence twice: “{SAID}”"]


def test_a_contacts_own_name_in_its_script_is_no_flag() -> None:
    from graphs.assess import _foreign_scripts

    state: Any = {
        "brief": BRIEF,
        "brand": {"name": "Brightloop"},
        "evidence": [{"quote": FACTS[0]["text"]}],
        "audience": [{"email": "d@example.com", "name": "Дмитрий"}],
    }
    assert _foreign_scripts(["Hello Дмитрий,", "It costs $149."], state) == []
    assert _foreign_scripts(["Привет Дмитрий,"], state) == ["Cyrillic letters (“Привет”)"]
