"""Amounts read as a marketer writes them: "Spend 150 EUR", never "Spend 150.0 EUR"."""

from __future__ import annotations

from graphs.channels import by_key
from graphs.humanize import money


def test_money_drops_a_zero_fraction_and_keeps_cents() -> None:
    assert money(150.0, "EUR") == "150 EUR"
    assert money(149.5, "EUR") == "149.50 EUR"
    assert money(1200) == "1,200"
    assert money("a lot", "EUR") == "a lot EUR"  # not a number: shown as it came


def test_the_ad_spend_preview_reads_its_amount_as_money() -> None:
    preview = by_key("ads").preview
    assert preview is not None
    text = preview({"amount": 150.0, "currency": "EUR", "description": "Brightloop: sell more"})
    assert text == "Spend 150 EUR: Brightloop: sell more"
