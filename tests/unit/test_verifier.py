"""The claim verifier, rule by rule, and the labelled dataset it is measured on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.eval_verifier import DATA, evaluate, load
from graphs.verifier import checkable_tokens, verify_claims

ROOT = Path(__file__).resolve().parents[2]

PRICE = "The Brightloop 2 thermostat costs $149. A pack of two room sensors costs $39."
PLUS = "Brightloop Plus costs $4 a month and adds energy reports and priority support."
ENERGY = (
    "In a 2025 field study of 1,200 homes, Brightloop cut heating and cooling energy use by 23% "
    "on average compared with a manual thermostat."
)
RETURNS = "Customers can return Brightloop within 60 days for a full refund."
OFFER = "Until 31 December 2026, customers who order the Brightloop 2 get two room sensors free."
WORKS = "Brightloop works with Apple Home, Google Home and Amazon Alexa."
MARIA = '"Our gas bill went down by a fifth the first winter."'


def ev(i: int, quote: str, location: str = "Facts", source: str = "facts.md") -> dict:
    return {"id": f"E{i}", "source": source, "location": location, "quote": quote, "ref": f"r{i}"}


EVIDENCE = [
    ev(1, PRICE, "Price", "pricing.md"),
    ev(2, PLUS, "Subscription", "pricing.md"),
    ev(3, ENERGY, "Energy savings", "product.md"),
    ev(4, RETURNS, "Returns", "pricing.md"),
    ev(5, OFFER, "Launch offer", "pricing.md"),
    ev(6, WORKS, "Works with", "product.md"),
    ev(7, MARIA, "Maria, Leeds", "customers.md"),
]
KB = {e["ref"]: e["quote"] + " More text around it." for e in EVIDENCE}


def check(text: str, *ids: str, evidence: list | None = None, kb: dict | None = None) -> dict:
    [result] = verify_claims(
        [{"text": text, "evidence_ids": list(ids)}],
        EVIDENCE if evidence is None else evidence,
        (KB if kb is None else kb).get,
    )
    return result


def kinds(text: str) -> list[tuple[str, object]]:
    return [(t.kind, t.value) for t in checkable_tokens(text)]


# -- checkable tokens -----------------------------------------------------------------------------
def test_prices_in_every_currency_form():
    assert kinds("$249") == [("price", ("USD", 249.0, frozenset()))]
    assert kinds("249 USD") == [("price", ("USD", 249.0, frozenset()))]
    assert kinds("USD 249") == [("price", ("USD", 249.0, frozenset()))]
    assert kinds("€19/month") == [("price", ("EUR", 19.0, frozenset({"month"})))]
    assert kinds("19 euros per month") == [("price", ("EUR", 19.0, frozenset({"month"})))]
    assert kinds("£8 a year") == [("price", ("GBP", 8.0, frozenset({"year"})))]
    assert kinds("$1,200.50") == [("price", ("USD", 1200.5, frozenset()))]
    assert kinds("$12M") == [("price", ("USD", 12_000_000.0, frozenset()))]
    assert kinds("$1.2 million") == [("price", ("USD", 1_200_000.0, frozenset()))]


def test_percentages_numbers_units_dates_fractions_names():
    assert kinds("23%") == [("percent", 23.0)] == kinds("23 percent")
    assert kinds("in 30 minutes") == [("number", ("minute", 30.0))]
    assert kinds("a 3-year warranty") == [("number", ("year", 3.0))]
    assert kinds("1,200 homes") == [("number", (None, 1200.0))]
    assert kinds("two room sensors") == [("number", (None, 2.0))]
    assert kinds("at 6pm") == [("number", ("pm", 6.0))]
    assert ("date", (12, 31)) in kinds("until 31 December 2026")
    assert ("date", (12, 31)) in kinds("until December 31, 2026")
    assert ("number", (None, 2026.0)) in kinds("until December 31, 2026")
    assert kinds("down by a fifth") == [("fraction", 0.2)]
    assert kinds("Works with Apple Home and Amazon Alexa") == [
        ("name", "apple home"),
        ("name", "amazon alexa"),
    ]
    assert ("name", "loop26") in kinds("Use the code LOOP26 today")
    assert kinds("Cut Your Heating Bill by 23%") == [("percent", 23.0)]  # a title, not names
    assert ("strong", "guarant") in kinds("Guaranteed savings")
    assert ("period", "month") in kinds("in the first month")


# -- the rules ----------------------------------------------------------------------------------
def test_a_supported_claim_says_why_and_where():
    result = check("The Brightloop 2 costs $149", "E1")
    assert result["supported"] is True
    assert result["reason"] == "the price, number and name are in the cited quote"
    assert result["quote"] == PRICE and result["source"] == "pricing.md › Price"
    assert result["evidence_ids"] == ["E1"] and result["text"] == "The Brightloop 2 costs $149"


def test_no_citation_is_unsupported():
    result = check("Brightloop cut energy use by 23%")
    assert (result["supported"], result["reason"]) == (False, "cites no evidence")
    assert result["quote"] is None and result["source"] is None


def test_citing_evidence_that_was_not_found():
    result = check("It costs $149", "E9")
    assert result["supported"] is False and "E9" in result["reason"]


def test_quote_must_still_be_in_the_knowledge_base():
    gone = check("It costs $149", "E1", kb={})
    assert gone["supported"] is False and gone["reason"].startswith(
        "quote not found in the knowledge base"
    )
    altered = [{**EVIDENCE[0], "quote": PRICE.replace("$149", "$99")}]
    assert check("It costs $99", "E1", evidence=altered)["supported"] is False
    no_ref = [{k: v for k, v in EVIDENCE[0].items() if k != "ref"}]
    assert check("It costs $149", "E1", evidence=no_ref)["supported"] is False


def test_wrong_price_names_both_prices():
    result = check("The Brightloop 2 costs $199", "E1")
    assert result["supported"] is False
    assert result["reason"] == "the price $199 is not in the cited quote (it says $149, $39)"


def test_wrong_currency_and_wrong_period():
    assert check("The Brightloop 2 costs 149 euros", "E1")["supported"] is False
    assert check("Brightloop Plus costs $4 a month", "E2")["supported"] is True
    assert check("Brightloop Plus costs $4 per month", "E2")["supported"] is True
    year = check("Brightloop Plus costs $4 a year", "E2")
    assert year["supported"] is False and "$4 a year" in year["reason"]


def test_percentages_must_match_exactly():
    assert check("Brightloop cut energy use by 23% on average", "E3")["supported"] is True
    rounded = check("Brightloop cut energy use by 25% on average", "E3")
    assert (
        rounded["supported"] is False and "25%" in rounded["reason"] and "23%" in rounded["reason"]
    )


def test_right_number_wrong_unit():
    result = check("Return Brightloop within 60 weeks for a full refund", "E4")
    assert result["supported"] is False and "right number, wrong unit" in result["reason"]
    assert check("Return Brightloop within 60 days for a full refund", "E4")["supported"] is True


def test_dates_and_years():
    assert check("The offer runs until December 31, 2026", "E5")["supported"] is True
    wrong_day = check("The offer runs until 30 December 2026", "E5")
    assert wrong_day["supported"] is False and "date" in wrong_day["reason"]
    assert check("The offer runs until 31 December 2027", "E5")["supported"] is False


def test_names_must_appear_as_written():
    assert check("Brightloop works with Apple Home and Amazon Alexa", "E6")["supported"] is True
    mixed = check("Brightloop works with Amazon Home", "E6")
    assert mixed["supported"] is False and "'Amazon Home'" in mixed["reason"]
    # the passage heading counts: the customer's name and city are in it
    assert check("Maria from Leeds cut her gas bill by a fifth", "E7")["supported"] is True
    assert check("Maria from London cut her gas bill by a fifth", "E7")["supported"] is False


def test_strong_words_need_the_quote_to_say_them():
    result = check("Brightloop guarantees 23% lower energy use", "E3")
    assert result["supported"] is False and "guarantees" in result["reason"]
    assert check("Brightloop Plus is free", "E2")["supported"] is False


def test_a_negation_the_quote_does_not_make_is_unsupported():
    result = check("Brightloop Plus does not add energy reports", "E2")
    assert result["supported"] is False and "'not'" in result["reason"]


def test_numbers_reused_for_another_fact_are_unsupported():
    result = check("Brightloop has a 60-day warranty", "E4")
    assert result["supported"] is False and "about something else" in result["reason"]


def test_claims_without_numbers_need_the_quote_to_say_the_same():
    assert check("Brightloop Plus adds energy reports and priority support", "E2")["supported"]
    off_topic = check("Brightloop is windproof and waterproof", "E2")
    assert off_topic["supported"] is False and "does not say this" in off_topic["reason"]


def test_several_citations_carry_the_claim_together():
    claim = "The Brightloop 2 costs $149 and cut energy use by 23% on average"
    assert check(claim, "E1", "E3")["supported"] is True
    assert check(claim, "E1")["supported"] is False
    both = check(claim, "E1", "E3")
    assert both["source"] == "pricing.md › Price; product.md › Energy savings"


def test_every_claim_gets_one_check_in_order():
    claims = [
        {"text": "It costs $149", "evidence_ids": ["E1"]},
        {"text": "It costs $1", "evidence_ids": ["E1"]},
        {"text": "Made in heaven", "evidence_ids": []},
    ]
    checks = verify_claims(claims, EVIDENCE, KB.get)
    assert [c["supported"] for c in checks] == [True, False, False]
    assert [c["text"] for c in checks] == [c["text"] for c in claims]
    json.dumps(checks)  # goes into the interrupt payload


# -- the dataset and the bench ------------------------------------------------------------------
def test_dataset_is_labelled_and_balanced():
    rows = load(DATA)
    assert len(rows) >= 60
    positives = [r for r in rows if r["label"] is True]
    negatives = [r for r in rows if r["label"] is False]
    assert len(positives) >= 20 and len(negatives) >= 20
    assert len(positives) + len(negatives) == len(rows)
    assert all(r["claim"].strip() and r["note"].strip() for r in rows)
    assert all(isinstance(r["quotes"], list) for r in rows)
    keys = {(r["claim"], json.dumps(r["quotes"]), r.get("in_kb", True)) for r in rows}
    assert len(keys) == len(rows)  # no duplicates


def test_verifier_precision_on_the_dataset():
    result, wrong = evaluate(load(DATA))
    assert result.precision >= 0.95, wrong
    assert result.recall >= 0.8, wrong


def test_bench_runs_as_a_module():
    proc = subprocess.run(
        [sys.executable, "-m", "bench.eval_verifier", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    out = json.loads(proc.stdout)
    assert out["items"] == len(load(DATA))
    assert {"precision", "recall", "f1", "tp", "fp", "tn", "fn", "misclassified"} <= out.keys()
    assert out["tp"] + out["fp"] + out["tn"] + out["fn"] == out["items"]


def test_a_figure_must_be_said_of_the_claims_subject():
    plans = [
        ev(
            1,
            "Plans start at €12 per user per month. The Team plan costs €29 per user per month.",
            "Pricing",
        )
    ]
    kb = {"r1": plans[0]["quote"]}
    assert check("The Team plan costs €29 per user per month", "E1", evidence=plans, kb=kb)[
        "supported"
    ]
    other = check("The Team plan costs €12 per user per month", "E1", evidence=plans, kb=kb)
    assert other["supported"] is False and "for something else" in other["reason"]
    # a name in an earlier sentence of the quote still carries the figure ("It costs ...")
    earlier = [ev(1, "Brightloop is a smart thermostat. It costs $149.", "Facts")]
    assert check("Brightloop costs $149", "E1", evidence=earlier, kb={"r1": earlier[0]["quote"]})[
        "supported"
    ]


def test_every_week_is_not_every_two_weeks():
    beans = [ev(1, "Fernway ships fresh beans every two weeks.", "Subscriptions")]
    kb = {"r1": beans[0]["quote"]}
    assert check("Fernway ships fresh beans every two weeks", "E1", evidence=beans, kb=kb)[
        "supported"
    ]
    assert not check("Fernway ships fresh beans every week", "E1", evidence=beans, kb=kb)[
        "supported"
    ]


def test_verifier_precision_on_the_holdout_set():
    from bench.eval_verifier import HOLDOUT

    rows = load(HOLDOUT)
    assert len(rows) >= 30
    result, wrong = evaluate(rows)
    assert result.precision >= 0.95, wrong
