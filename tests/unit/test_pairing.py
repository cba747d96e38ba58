"""One figure put with the wrong thing (graphs/checks/pairing.py `misplaced`): every figure of
the sentence is in the fact sheet, but the sheet gives it to another thing than the sentence
does. Seen in a walk-through: "The cost of $149 is a pack of two room sensors" was marked
supported, where the sheet prices the thermostat at $149 and the sensors at $39."""

from __future__ import annotations

import pytest

from graphs.checks.facts import check_text

PRICING = [
    {
        "id": "pricing",
        "source": "pricing.md › Price",
        "text": "The Brightloop 2 thermostat costs $149. A pack of two room sensors costs $39.",
    }
]
CLEANING = [
    {
        "id": "price",
        "source": "greenleaf.md › Price",
        "text": "A standard clean costs €75; the first clean costs €45.",
    }
]


@pytest.mark.parametrize(
    "sentence",
    [
        "The cost of $149 is a pack of two room sensors.",
        "A pack of two room sensors costs $149.",
        "For $149 you get a pack of two room sensors.",
        "The thermostat costs $39.",
    ],
)
def test_a_price_put_with_the_other_thing_is_unsupported_and_says_both(sentence: str) -> None:
    [check] = check_text(sentence, PRICING, product="Brightloop 2")
    assert check.status == "unsupported"
    assert check.differs is not None
    assert "wrong thing" in check.differs
    assert "$149" in check.differs and "$39" in check.differs


@pytest.mark.parametrize(
    "sentence",
    [
        "The Brightloop 2 costs $149.",
        "It costs just $149.",
        "Two room sensors cost just $39.",
        "Add a pack of two room sensors for $39 to heat only the rooms you use.",
        "The Brightloop 2 thermostat costs $149, and a pack of two room sensors costs $39.",
        "Get the Brightloop 2 for $149 and two room sensors free.",
    ],
)
def test_a_price_with_its_own_thing_or_no_thing_stays_supported(sentence: str) -> None:
    [check] = check_text(sentence, PRICING, product="Brightloop 2")
    assert check.status == "supported", check.differs


def test_the_other_clause_must_name_a_thing_of_its_own_before_its_figure() -> None:
    """The sheet prices the first clean at €45, so "Your first clean costs just €75" is wrong;
    "Book your first clean for €45" and "A regular clean is €75" are right."""
    [wrong] = check_text("Your first clean costs just €75.", CLEANING)
    assert wrong.status == "unsupported" and "€45" in (wrong.differs or "")
    for right in ("Book your first clean for €45.", "A regular clean is €75."):
        [check] = check_text(right, CLEANING)
        assert check.status == "supported", (right, check.differs)


def test_an_offer_clause_is_no_rival_thing() -> None:
    """The full price said beside the code: the offer's clause ("Until 30 April it costs €59
    with the code TRAIL30") names no other thing before its figure, so €79 stays the pack's."""
    passages = [
        {
            "id": "offer",
            "source": "trailhead.md › Price and offer",
            "text": "The Trailhead 30 costs €79. Until 30 April it costs €59 with the code TRAIL30.",
        }
    ]
    [check] = check_text("Pre-order now for €79 with the code TRAIL30 and save.", passages)
    assert check.status == "supported", check.differs


def test_another_passage_that_gives_the_figure_alone_still_supports_it() -> None:
    """The rule reads the passage that would support the sentence: when another passage gives
    the figure with no rival beside it, the sentence is supported by that one."""
    passages = [
        *PRICING,
        {"id": "faq", "source": "faq.md", "text": "A pack of two room sensors is $149 in Canada."},
    ]
    [check] = check_text("A pack of two room sensors costs $149.", passages)
    assert check.status == "supported"
    assert check.passage_id == "faq"
