"""A customer's words that the draft made the brand's own claim are put back in their words and
with their name by the writer (graphs/writer_quotes.py): the 0.5B model kept "We saved $212 on
heating…" as the brand's claim through every round of the AI review. And a greeting's name after
a comma ("Hello, Leeds!") no longer stays at the top of the message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fakes import ScriptedChatModel, default_answer
from pydantic import BaseModel

from graphs.channels.base import by_key
from graphs.channels.text import clean
from graphs.checks.draft import review
from graphs.runtime import Signoff
from graphs.writer_quotes import asked_quote, customer_quotes, quoted_as_theirs, shortened

TOM = "We saved $212 on heating between November and March compared with the winter before."
MARIA = (
    "Our gas bill went down by a fifth the first winter, and I never touch the thermostat any more."
)
PASSAGES = [
    {"id": "c#1", "text": f'"{MARIA}"', "source": "customers.md", "location": "Maria, Leeds"},
    {"id": "c#2", "text": f'"{TOM}"', "source": "customers.md", "location": "Tom, Denver"},
    {"id": "c#3", "text": '"It paid for itself."', "source": "customers.md", "location": "Reviews"},
    {
        "id": "p#1",
        "text": "Brightloop 2 costs $149. A pack of two room sensors costs $39.",
        "source": "pricing.md",
        "location": "Price",
    },
]
BRIEF = {"product": "Brightloop 2 smart thermostat", "audience": "homeowners", "goal": "sell"}
EMAIL = by_key("email")


def body(core: str) -> dict[str, Any]:
    return {
        "to": "customers@example.com",
        "subject": "Winter is coming",
        "body": f"Hello,\n\n{core}\n\nThe Brightloop team",
    }


def test_a_restated_customer_sentence_is_quoted_as_theirs_and_checks_as_attributed() -> None:
    args = body(f"Brightloop 2 costs $149. {TOM} {MARIA} Order yours before the first frost.")
    problems, checks = review(EMAIL, args, BRIEF, {}, PASSAGES)
    assert [p.kind for p in problems] == ["fact", "fact"]
    swaps = customer_quotes(checks, PASSAGES)
    assert {s: forms[0] for s, forms in swaps.items()} == {
        TOM: f"“{TOM}” — Tom, Denver.",
        MARIA: f"“{MARIA}” — Maria, Leeds.",
    }
    assert swaps[TOM][-1] == "“We saved $212 on heating…” — Tom, Denver."  # the shortest form

    fixed, left, after = quoted_as_theirs(EMAIL, args, BRIEF, {}, PASSAGES, problems, checks)
    assert left == []
    assert fixed["body"] == (
        f"Hello,\n\nBrightloop 2 costs $149. “{TOM}” — Tom, Denver. “{MARIA}” — Maria, Leeds. "
        "Order yours before the first frost.\n\nThe Brightloop team"
    )
    status = {c.sentence: c.status for c in after}
    assert status[f"“{TOM}” — Tom, Denver."] == "attributed"
    assert fixed["to"] == args["to"] and fixed["subject"] == args["subject"]


def test_the_same_words_twice_are_quoted_once() -> None:
    again = "We saved $212 on heating between November and March."
    args = body(f"Brightloop 2 costs $149. {TOM} Honestly, {again[0].lower()}{again[1:]}")
    problems, checks = review(EMAIL, args, BRIEF, {}, PASSAGES)
    fixed, left, _ = quoted_as_theirs(EMAIL, args, BRIEF, {}, PASSAGES, problems, checks)
    assert fixed["body"].count("$212") == 1 and "— Tom, Denver." in fixed["body"]
    assert left == []


def test_what_it_cannot_attribute_or_would_make_worse_is_left_as_it_was() -> None:
    # a quote under a heading that names no one ("Reviews"): nobody to attribute it to
    args = body("Brightloop 2 costs $149. It paid for itself. Order yours before the frost.")
    problems, checks = review(EMAIL, args, BRIEF, {}, PASSAGES)
    assert customer_quotes(checks, PASSAGES) == {}
    assert quoted_as_theirs(EMAIL, args, BRIEF, {}, PASSAGES, problems, checks)[0] == args

    # a sentence that only mixes a customer's words with a brand fact is the model's to fix
    mixed = body("For $149 we saved $212 on heating between November and March. Order yours now.")
    problems, checks = review(EMAIL, mixed, BRIEF, {}, PASSAGES)
    swaps = customer_quotes(checks, PASSAGES)
    assert all("$149" not in s for s in swaps)

    # a post whose quote (even cut short) would not fit in its length: kept, the problem named
    post = by_key("social")
    short = {"text": "Brightloop 2 costs $149. We saved $212 on heating."}
    problems, checks = review(post, short, BRIEF, {}, PASSAGES)
    long_passages = [
        {**p, "text": p["text"].replace(TOM, TOM + " " + "It kept every room warm. " * 30)}
        for p in PASSAGES
    ]
    problems, checks = review(post, short, BRIEF, {}, long_passages)
    kept, left, _ = quoted_as_theirs(post, short, BRIEF, {}, long_passages, problems, checks)
    assert kept == short and left == problems


def restating(schema: type[BaseModel], prompt: str) -> dict[str, Any]:
    data = default_answer(schema, prompt)
    if "body" in data:
        data["body"] = "Hello, Leeds! " + data["body"] + " " + TOM
    return data


def test_the_writer_quotes_the_customer_the_model_restates_in_every_round(
    home: Path, brief: dict[str, Any]
) -> None:
    model = ScriptedChatModel(script=[restating] * 20)  # Tom's words as the brand's, every round
    with Signoff(home, model=model) as runtime:
        [action] = runtime.start({**brief, "channels": ["email"]})["pending"]
    text = action["args"]["body"]
    assert f"“{TOM}” — Tom, Denver." in text
    assert "Leeds" not in text.split("\n\n")[1]  # the greeting's name went with the greeting
    assert not any("customer's words" in n for n in action.get("review_notes", []))
    assert len(model.calls) == 1, [c["schema"] for c in model.calls]  # fixed in the first round


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("Hello, Leeds! We are excited.", "We are excited."),
        ("Hi, Maria Lopez, great news: it ships.", "Great news: it ships."),
        ("Hi, we have great news for you.", "We have great news for you."),
        ("Hello, Brightloop is here! It learns.", "Brightloop is here! It learns."),
        ("Hello Leeds! We ship.", "We ship."),
        (
            "Hello Maria, Leeds and Tom, Denver, welcome to our pre-order.",
            "Welcome to our pre-order.",
        ),
        ("Hi Sam, Brightloop 2 is here!", "Brightloop 2 is here!"),
        ("Hello Brightloop fans, it is here.", "It is here."),
    ],
)
def test_a_greeting_goes_with_the_name_it_greets(written: str, kept: str) -> None:
    assert clean(written) == kept


def test_a_post_gets_the_quote_cut_short_where_the_whole_would_not_fit() -> None:
    post = by_key("social")
    text = (
        "Brightloop 2 learns a household's schedule in the first week and adjusts on its own. "
        "It is a smart thermostat for homes and small offices, made for high heating bills. "
        "The cost is $149, a pack of two room sensors costs $39. Tom saved $212."
    )
    assert len(text) <= 280
    args = {"text": text}
    problems, checks = review(post, args, BRIEF, {}, PASSAGES)
    fixed, left, after = quoted_as_theirs(post, args, BRIEF, {}, PASSAGES, problems, checks)
    assert left == [] and len(fixed["text"]) <= 280
    fitting = [
        f
        for f in customer_quotes(checks, PASSAGES)["Tom saved $212."]
        if len(text.replace("Tom saved $212.", f)) <= 280
    ]
    assert fitting and fixed["text"].endswith(fitting[0])  # the longest that fits
    assert fitting[0].endswith("…” — Tom, Denver.") and "$212" in fitting[0]
    assert after[-1].status == "attributed"  # the checker reads Tom's words cut short as his


def test_shortened_forms_keep_the_figures_and_end_on_a_word_that_carries_meaning() -> None:
    forms = shortened(TOM, "Tom from Denver saved $212 on heating.")
    assert forms == [
        "We saved $212 on heating between November and March compared with the winter…",
        "We saved $212 on heating between November and March…",
        "We saved $212 on heating between November…",
        "We saved $212 on heating…",
    ]
    assert shortened("It paid for itself.", "It paid for itself.") == []
    # without a figure the sentence used, a quote is not cut ("It is the only thing…")
    cola = "It is the only thing that stopped my afternoon cola habit."
    assert shortened(cola, cola) == [] and shortened(TOM, "Tom saved a lot.") == []


def test_the_quote_a_send_back_asks_for_is_found_unless_the_redraft_has_it() -> None:
    ask = ["Quote Tom from Denver by name"]
    forms = asked_quote(ask, PASSAGES, "Brightloop 2 costs $149. Tom from Denver saved $212.")
    assert forms[0] == f"“{TOM}” — Tom, Denver." and forms[-1].endswith("heating…” — Tom, Denver.")
    assert asked_quote(ask, PASSAGES, f"It works. “{TOM}” — Tom, Denver.") == []
    assert asked_quote(["Quote Priya by name"], PASSAGES, "It works.") == []  # no words of hers
    assert asked_quote(["Make it shorter"], PASSAGES, "It works.") == []


def test_a_post_takes_the_asked_quote_before_its_link_the_longest_form_that_fits() -> None:
    from graphs.channels.post import assemble, network_limit

    forms = asked_quote(["Quote Tom from Denver by name"], PASSAGES, "")
    brief = {**BRIEF, "link": "https://brightloop.example/pre-order"}

    class Draft:
        text = "Brightloop 2 learns your schedule in a week. It costs $149."

    text = assemble(Draft, brief, {}, None, {"add_quote": forms})["text"]
    assert text == f"{Draft.text} {forms[0]} {brief['link']}"
    Draft.text = (
        "Brightloop 2 learns your schedule in a week and adjusts on its own. It costs $149 for "
        "homes and small offices, and two room sensors cost $39 more."
    )
    text = assemble(Draft, brief, {}, None, {"add_quote": forms})["text"]
    assert len(text) <= network_limit() and text.endswith(f"…” — Tom, Denver. {brief['link']}")
    assert text.startswith(Draft.text)  # the model's words stay whole
    # no room beside the model's words: its last sentences make room for the words asked for
    Draft.text = " ".join(f"Brightloop 2 learns room {n} of your home." for n in range(6))
    text = assemble(Draft, brief, {}, None, {"add_quote": forms})["text"]
    assert len(text) <= network_limit() and "— Tom, Denver." in text
    assert text.startswith("Brightloop 2 learns room 0 of your home.") and "room 5" not in text
    # ... and the offer stays when it is added too
    offered = {**brief, "offer": "£20 off before 1 December"}
    text = assemble(Draft, offered, {}, None, {"add_quote": forms, "add_offer": True})["text"]
    assert len(text) <= network_limit() and "— Tom, Denver." in text
    assert f"Offer: £20 off before 1 December. {brief['link']}" in text


def never_quotes(schema: type[BaseModel], prompt: str) -> dict[str, Any]:
    if "text" in schema.model_fields:
        if "Reviewer feedback" in prompt or "Quote Tom" in prompt:
            return {"text": "Brightloop 2 keeps your home warm for less. Tom from Denver agrees."}
        return {"text": "Brightloop 2 keeps your home warm for less. Order now."}
    return default_answer(schema, prompt)


def test_a_send_back_asking_for_tom_s_words_gets_them_when_the_model_leaves_them_out(
    home: Path, brief: dict[str, Any]
) -> None:
    model = ScriptedChatModel(script=[never_quotes] * 30)
    with Signoff(home, model=model) as runtime:
        [post] = runtime.start({**brief, "channels": ["social"]})["pending"]
        [again] = runtime.decide(
            post["id"], {"type": "revise", "feedback": "Quote Tom from Denver by name"}
        )["pending"]
    text = again["args"]["text"]
    assert "— Tom, Denver." in text and "$212" in text, text
    assert not any("quote Tom" in n for n in again.get("review_notes") or []), again
