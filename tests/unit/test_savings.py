"""A stated saving must be the sheet's saving, not any price the sheet gives (notebook 02's
sample product: the Trailhead 30 costs €79, or €59 with the code: the saving is €20)."""

from __future__ import annotations

from graphs.checks.facts import check_args
from graphs.eval_drafts import load_products, passages_of
from graphs.state import Claim, Evidence
from graphs.verifier import verify_claims

OFFER = "The Trailhead 30 costs €79. Until 30 April it costs €59 with the code TRAIL30."


def trailhead() -> dict:
    return next(p for p in load_products() if p["slug"] == "trailhead-30")


def status(sentence: str) -> tuple[str, str | None]:
    product = trailhead()
    args = {"subject": "Spring", "body": sentence}
    [check] = [
        c
        for c in check_args(args, passages_of(product), product["brief"], product["brand"])
        if c.sentence == sentence
    ]
    return check.status, check.differs


def test_the_offer_price_stated_as_a_saving_is_flagged_with_the_sheets_saving() -> None:
    said, differs = status("Save €59 on the Trailhead 30 with the code TRAIL30.")
    assert said == "unsupported"
    assert differs == "says you save €59; the saving in the fact sheet is €20, from €79 to €59"
    assert status("Get €59 off your Trailhead 30 until 30 April.")[0] == "unsupported"


def test_prices_and_savings_the_sheet_gives_stay_supported() -> None:
    assert status("Until 30 April it costs €59 with the code TRAIL30.")[0] == "supported"
    assert status("The Trailhead 30 costs €79.")[0] == "supported"
    tandoor = next(p for p in load_products() if p["slug"] == "tandoor-box")
    checks = check_args(
        {"subject": "Curry night", "body": "Save £25 on your first box with the code CURRY25."},
        passages_of(tandoor),
        tandoor["brief"],
        tandoor["brand"],
    )
    assert [c.status for c in checks if c.facts] == ["supported"]


def test_the_claim_verifier_reads_a_saving_the_same_way() -> None:
    evidence = [
        Evidence(id="E1", source="trailhead-30.md", location="Price", quote=OFFER, ref="r1")
    ]
    claims = [
        Claim(text="Save €59 on the Trailhead 30 with the code TRAIL30", evidence_ids=["E1"]),
        Claim(text="The Trailhead 30 costs €59 with the code TRAIL30", evidence_ids=["E1"]),
    ]
    wrong, right = verify_claims(claims, evidence, {"r1": OFFER}.get)
    assert not wrong["supported"] and wrong["reason"].endswith(
        "the saving in the cited quote is €20, from €79 to €59"
    )
    assert right["supported"]
