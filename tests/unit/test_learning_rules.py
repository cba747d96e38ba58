"""Rules learned from edits never ban the product's own words (a new user's walk: rephrasing
"The Brightloop 2 thermostat costs…" taught "Never say 'The Brightloop 2 thermostat'")."""

from __future__ import annotations

from pathlib import Path

from graphs.brand import SAMPLE, BrandBook
from graphs.learning import learn, rules_from_edit

PRICE = "The Brightloop 2 thermostat costs $149. A pack of two room sensors costs $39."
BRIEF = {"product": "Brightloop 2", "audience": "homeowners", "goal": "pre-orders"}


def edit(home: Path, before: str, after: str, **sources: list[str]) -> list[str]:
    return learn(
        home,
        BRIEF,
        {"subject": "A warmer home", "body": before},
        {"type": "edit", "args": {"subject": "A warmer home", "body": after}},
        **sources,
    )


def test_rephrasing_a_sentence_that_names_the_product_bans_nothing(tmp_path: Path) -> None:
    BrandBook(tmp_path).save(SAMPLE)
    before = "The Brightloop 2 thermostat costs $149 and learns your schedule."
    assert edit(tmp_path, before, "For $149, it learns your schedule.") == []
    # dropping the knowledge base's own word for it ("thermostat") is a rewording, not a ban
    reworded = "Brightloop 2 costs only $149 and learns your schedule."
    assert edit(tmp_path, before, reworded, sources=[PRICE]) == []
    assert BrandBook(tmp_path).get("Brightloop").rules == ()


def test_a_cut_stock_phrase_is_still_learned_beside_the_products_name(tmp_path: Path) -> None:
    BrandBook(tmp_path).save(SAMPLE)
    rules = edit(
        tmp_path,
        "Meet the revolutionary Brightloop 2 thermostat. It costs $149.",
        "Meet the Brightloop 2. It costs $149.",
        sources=[PRICE],
    )
    assert rules == ["Never say 'revolutionary'"]


def test_a_phrase_left_elsewhere_or_only_reworded_is_no_rule() -> None:
    from graphs.learning import protected

    keep = protected(BRIEF, ["Brightloop"], [PRICE])
    # cut once but still in the text: the person did not ban it
    before = {"body": "A perfect gift. Warm rooms, a perfect winter."}
    after = {"body": "A gift. Warm rooms, a perfect winter."}
    assert rules_from_edit(before, after, keep=keep) == []
    # the same words put back in another order: a rewording
    before = {"body": "Setting it up takes under 30 minutes with a screwdriver."}
    after = {"body": "With a screwdriver, it takes under 30 minutes to set it up."}
    assert rules_from_edit(before, after, keep=keep) == []
    # the brand's name, wherever it is cut
    before = {"body": "Brightloop Labs designs it in Manchester."}
    after = {"body": "It is designed in Manchester."}
    assert rules_from_edit(before, after, keep=keep) == []
