"""An ask the reader cannot follow ("Call us today" with no phone number anywhere, "click the
link below" in a campaign without a link) goes back to the writer with what to ask instead, is
named to the reviewer if it stays, and costs the draft its "complete" in the drafts eval. A page
section headed with the template's name ("## Call to Action") is sent back the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fakes import ScriptedChatModel, default_answer
from pydantic import BaseModel
from test_draft_quality import BODY, BRAND, PASSAGES, SHEET, email

from graphs.channels.base import by_key
from graphs.checks.asks import unfollowable, without
from graphs.checks.draft import review
from graphs.checks.drafts import Knowledge, score_action
from graphs.runtime import Signoff

BRIEF = {"product": "Trailhead 30", "audience": "hikers", "goal": "sell"}


@pytest.mark.parametrize(
    ("copy", "missing"),
    [
        ("Call us today to order yours.", "phone number"),
        ("Give us a call and we will help.", "phone number"),
        ("Ring our team for a fitting.", "phone number"),
        ("Click the link below to order.", "link"),
        ("Order now via the link below.", "link"),
    ],
)
def test_an_ask_the_campaign_gives_no_means_for_is_found(copy: str, missing: str) -> None:
    [ask] = unfollowable(copy, [SHEET], link="")
    assert ask.missing == missing and ask.sentence.lower() in copy.lower()


@pytest.mark.parametrize(
    "copy",
    [
        "Reply to this email to order yours.",
        "We call it the lightest pack we make.",  # 'call' without 'us'
        "Order yours today.",
    ],
)
def test_an_ordinary_ending_is_not_an_ask(copy: str) -> None:
    assert unfollowable(copy, [SHEET], link="") == []


def test_the_campaign_s_own_number_or_link_makes_the_ask_fine() -> None:
    with_phone = SHEET + "\nOrders by phone: +44 1539 720 000."
    assert unfollowable("Call us today to order.", [with_phone], link="") == []
    assert unfollowable("Click the link below.", [SHEET], link="https://x.example/t30") == []
    # a number too short to be a telephone number is not one
    assert unfollowable("Call us today.", [SHEET + " Model 30-840."], link="") != []


def test_the_writer_is_told_what_to_ask_instead() -> None:
    args = {
        "to": "a@x.example",
        "subject": "Spring on your back",
        "body": BODY.replace("order yours today", "call us today"),
    }
    problems, _ = review(by_key("email"), args, BRIEF, BRAND, PASSAGES)
    [ask] = [p for p in problems if p.kind == "ask"]
    assert "“call us”, but the campaign gives no phone number" in ask.reason
    assert "reply to this email" in ask.feedback
    linked = review(
        by_key("email"), args, {**BRIEF, "link": "https://x.example/t"}, BRAND, PASSAGES
    )
    [ask] = [p for p in linked[0] if p.kind == "ask"]
    assert "visit https://x.example/t" in ask.feedback


def test_the_eval_counts_an_unfollowable_ask_as_incomplete() -> None:
    knowledge = Knowledge(known=SHEET + "\n".join(BRAND.values()))
    action = email(BODY.replace("order yours today", "call us today"))
    action["args"]["sender"] = "Northpeak <hello@northpeak.example>"
    score = score_action(action, knowledge, brand=BRAND)
    assert not score.complete and any("call us" in p for p in score.problems)
    fine = email(BODY)
    fine["args"]["sender"] = "Northpeak <hello@northpeak.example>"
    assert score_action(fine, knowledge, brand=BRAND).complete


def test_a_page_section_headed_with_the_template_s_name_goes_back_to_the_writer() -> None:
    body = (
        "The Trailhead 30 weighs 840 grams.\n\n## Call to Action\n\nIt costs €79.\n\n"
        "## Made in Porto\n\nIt is sewn in Porto."
    )
    args = {"slug": "t", "title": "Trailhead 30", "body": body}
    problems, _ = review(by_key("cms"), args, BRIEF, {}, PASSAGES)
    [heading] = [p for p in problems if p.kind == "channel"]
    assert "“Call to Action”" in heading.reason and "two to four words" in heading.feedback
    action = {"id": "page-1", "name": "publish_page", "channel": "cms", "args": args}
    score = score_action(action, Knowledge(known=SHEET), brand={})
    assert not score.clean and any("Call to Action" in p for p in score.problems)
    fine = {**action, "args": {**args, "body": body.replace("Call to Action", "Order yours")}}
    assert score_action(fine, Knowledge(known=SHEET), brand={}).clean


def test_the_sentence_that_asks_is_taken_out_and_nothing_else() -> None:
    body = (
        "Hello,\n\nPrices from €4.50 a bag. Call us today to book at €45! It weighs 840 grams."
        "\n\nhttps://x.example/book\n\nThe Northpeak team"
    )
    args = {"to": "call us <a@x.example>", "subject": "Spring", "body": body}
    asks = unfollowable(body, [SHEET], link="")
    kept = without(args, asks)
    assert kept["body"] == (
        "Hello,\n\nPrices from €4.50 a bag. It weighs 840 grams.\n\nhttps://x.example/book\n\n"
        "The Northpeak team"
    )
    assert kept["to"] == args["to"] and kept["subject"] == "Spring"  # addresses are never edited
    assert unfollowable(kept["body"], [SHEET], link="") == []
    last = without({"text": "Enjoy the music! Call us for more information."}, asks)
    assert last == {"text": "Enjoy the music!"}


def call_us(schema: type[BaseModel], prompt: str) -> dict[str, Any]:
    data = default_answer(schema, prompt)
    if "body" in data:
        ask = "Call us today and our team will book yours!"
        data["body"] = data["body"].replace("Reply to this email to order.", ask)
    return data


def test_the_writer_takes_out_an_ask_the_model_keeps_in_every_round(
    home: Path, brief: dict[str, Any]
) -> None:
    model = ScriptedChatModel(script=[call_us] * 20)  # "Call us today!" in every round
    with Signoff(home, model=model) as runtime:
        [action] = runtime.start({**brief, "channels": ["email"]})["pending"]
    assert "Call us" not in action["args"]["body"]
    assert action["args"]["body"].strip() and action["args"]["subject"].strip()
    assert not any("phone number" in n for n in action.get("review_notes", []))
    # the first round saw the ask and the writer took it out there, not after three rounds
    assert len(model.calls) == 1, [c["schema"] for c in model.calls]
