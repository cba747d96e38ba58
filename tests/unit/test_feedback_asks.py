"""A send-back that asks for a quote, a name or a number: recognised, and checked against the
redraft (graphs/feedback_asks.py, through graphs.checks.draft.feedback_left)."""

from __future__ import annotations

import pytest

from graphs.channels import by_key
from graphs.checks.draft import feedback_left
from graphs.feedback_asks import QuoteAsk, asks_left, name_asks, number_asks, quote_asks

QUOTED = 'Tom from Denver says: "We saved $212 on heating." Rated 4.7 from 3400 reviews.'
NAMED_ONLY = "Tom from Denver saved $212 on heating last winter."
UNRELATED = "Brightloop 2 keeps your home warm for less. Order now."


@pytest.mark.parametrize(
    ("note", "asks"),
    [
        ("Quote Tom from Denver by name", [QuoteAsk("Tom", "Denver")]),
        ("Please quote Lena from Munich.", [QuoteAsk("Lena", "Munich")]),
        ("Use Tom's quote", [QuoteAsk("Tom")]),
        ("Add a quote from Maria in Leeds", [QuoteAsk("Maria", "Leeds")]),
        ("Quote a customer", [QuoteAsk("")]),
        ("Add a customer testimonial", [QuoteAsk("")]),
        ("Quote The team", []),
        ("Make it warmer", []),
    ],
)
def test_quote_requests_are_recognised(note: str, asks: list[QuoteAsk]) -> None:
    assert quote_asks(note) == asks


def test_name_and_number_requests_are_recognised() -> None:
    assert name_asks("Name Priya") == ["Priya"]
    assert name_asks("Mention Dev by name") == ["Dev"]
    assert name_asks("Mention Tom from Denver by name") == ["Tom"]
    assert name_asks("Name the product in the subject") == []
    assert number_asks("Mention the 4.7 rating") == ["4.7"]
    assert number_asks("Use $212") == ["$212"]
    # a limit is no figure to add, nor is a figure to drop
    assert number_asks("Say 3,400 reviews and keep it under 200 characters") == ["3,400"]
    assert number_asks("Drop the 4.7 rating") == []
    assert number_asks("Shorter, at most 2 sentences") == []


def test_a_quote_request_is_met_only_by_the_name_and_words_in_quotation_marks() -> None:
    note = "Quote Tom from Denver by name"
    assert asks_left(note, QUOTED) == []
    assert asks_left(note, NAMED_ONLY) == [
        "The send-back asked for a quote from Tom from Denver; the redraft has no words in "
        "quotation marks."
    ]
    assert asks_left(note, UNRELATED) == [
        "The send-back asked to quote Tom from Denver by name; the redraft does not name Tom."
    ]
    assert asks_left("Add a customer testimonial", QUOTED) == []
    assert asks_left("Add a customer testimonial", NAMED_ONLY) != []


def test_a_number_is_met_in_any_of_its_written_forms() -> None:
    assert asks_left("Say 3,400 reviews", QUOTED) == []  # written 3400
    assert asks_left("Mention the 4.7 rating", QUOTED) == []
    assert asks_left("Use $212", "We saved 212 dollars on heating.") == []
    assert asks_left("Mention the 4.7 rating", UNRELATED) == [
        "The send-back asked for 4.7; the redraft does not say it."
    ]
    assert asks_left("Name Maria", QUOTED) == [
        "The send-back asked to name Maria; the redraft does not say it."
    ]


def test_feedback_left_checks_a_quote_request_against_the_redraft() -> None:
    post = by_key("social")
    note = ["Quote Tom from Denver by name"]
    previous = {"text": UNRELATED}
    assert feedback_left(post, {"text": QUOTED}, note, previous) == []
    [left] = feedback_left(post, {"text": UNRELATED}, note, previous)
    assert "does not name Tom" in left
    # "Mention Tom from Denver by name" is a name to say, not the phrase word for word
    assert feedback_left(post, {"text": NAMED_ONLY}, ["Mention Tom from Denver by name"]) == []
    # a quote asked for is no phrase to copy: "customer testimonial" need not be written
    assert feedback_left(post, {"text": QUOTED}, ["Add a customer testimonial"]) == []
    # a figure named with its sign is reported once
    [left] = feedback_left(post, {"text": UNRELATED}, ["Use $212"])
    assert left == "The send-back named $212; the redraft does not say it."
