"""`make eval-drafts`: its data, its scores, and a smoke run on 3 products (structure, not scores)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from graphs.checks.drafts import Knowledge, score_action
from graphs.eval_drafts import (
    HOLDOUT,
    LABELS,
    label_scores,
    load_labels,
    load_products,
    passages_of,
    pick,
)

ROOT = Path(__file__).resolve().parents[2]


def test_the_products_cover_six_kinds_of_business_with_their_own_facts() -> None:
    products = load_products()
    assert len(products) >= 24
    kinds = Counter(p["kind"] for p in products)
    assert set(kinds) >= {"goods", "software", "services", "local business", "events", "food"}
    assert len({p["slug"] for p in products}) == len(products)
    for p in products:
        assert passages_of(p), p["slug"]
        assert p["brand"]["signature"] and p["brand"]["from_address"]
        assert {"product", "audience", "goal", "ad_budget"} <= set(p["brief"])
    assert [p["kind"] for p in pick(products, 6)] == list(dict.fromkeys(kinds))  # one per kind


def test_labelled_sentences_name_known_products_and_keep_a_holdout() -> None:
    slugs = {p["slug"] for p in load_products()}
    tuning, holdout = load_labels(LABELS), load_labels(HOLDOUT)
    assert len(tuning) >= 60 and len(holdout) >= 30
    for row in tuning + holdout:
        assert row["product"] in slugs
        assert row["label"] in {"supported", "unsupported", "attributed", "no_facts"}
    assert not {r["sentence"] for r in tuning} & {r["sentence"] for r in holdout}
    figures = label_scores(LABELS)
    assert figures["tp"] + figures["fn"] == sum(r["label"] == "unsupported" for r in tuning)


PRODUCT = {
    "slug": "trail",
    "sheet": "# Trail\n## Price\nThe Trail pack costs €59 until 30 April. Code TRAIL30.",
}
BRAND = {
    "from_address": "hello@northpeak.example",
    "signature": "The Northpeak team",
    "postal_address": "Northpeak, 14 Quarry Lane, Kendal",
}
KNOWLEDGE = Knowledge(
    known=PRODUCT["sheet"] + "\n" + "\n".join(BRAND.values()),
    others=["The Brightloop 2 costs $149 and cuts energy use by 23%."],
    other_names=["Brightloop"],
)


def email(body: str, subject: str = "Spring on your back", **extra: str) -> dict:
    return {
        "id": "email-1",
        "name": "send_email",
        "channel": "email",
        "args": {"to": "a@example.com", "subject": subject, "body": body, **extra},
    }


GOOD_BODY = (
    "Hi Sam,\n\nThe Trail pack carries a weekend without weighing you down. It costs €59 until "
    "30 April with the code TRAIL30. Made for long days on the hill, with room for a stove, a "
    "jacket and lunch. Pack it once and forget about it until the summit. Order yours today "
    "and be ready for the first warm weekend of the year.\n\nThe Northpeak team\n"
    "Northpeak, 14 Quarry Lane, Kendal · Unsubscribe: https://northpeak.example/unsubscribe"
)


def test_a_clean_signed_email_is_send_ready() -> None:
    score = score_action(
        email(GOOD_BODY, sender="Northpeak <hello@northpeak.example>"), KNOWLEDGE, brand=BRAND
    )
    assert score.send_ready, score.problems


def test_each_fault_of_the_issue_is_caught() -> None:
    cases = {
        "placeholder_free": GOOD_BODY.replace("Hi Sam", "Dear [Customer's Name]"),
        "clean": GOOD_BODY.replace("It costs", "Brand voice: warm. It costs") + " [1]",
        "on_product": GOOD_BODY.replace("€59", "€59 and it cuts energy use by 23%"),
        "factual": GOOD_BODY.replace("€59 until", "€79 until"),
        "complete": GOOD_BODY.replace(
            "Order yours today", "Order yours today. Order yours today"
        ).split("\n\nThe Northpeak")[0]
        + " with multi-",
        "signed": GOOD_BODY.replace("The Northpeak team", "Best wishes"),
    }
    for score_name, body in cases.items():
        score = score_action(
            email(body, sender="Northpeak <hello@northpeak.example>"), KNOWLEDGE, brand=BRAND
        )
        assert not getattr(score, score_name), (score_name, score.problems)
        assert not score.send_ready
    post = {
        "id": "post-1",
        "name": "publish_post",
        "channel": "social",
        "args": {"text": "x" * 281},
    }
    assert not score_action(post, KNOWLEDGE).fits


def test_smoke_run_on_three_products(tmp_path: Path) -> None:
    out = tmp_path / "eval.json"
    run = subprocess.run(
        [sys.executable, "-m", "bench.eval_drafts", "--model", "fake", "--products", "3"]
        + ["--json", str(out), "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    assert "| model | campaigns | drafts | send-ready |" in run.stdout
    assert "sentences_holdout" in run.stdout and "precision" in run.stdout
    data = json.loads(out.read_text())
    [model] = data["models"]
    summary = model["summary"]
    assert summary["campaigns"] == 3 and summary["failed_campaigns"] == 0
    for key in (
        "send_ready_pct",
        "figures_from_other_products",
        "unflagged_errors_shown",
        "false_alarms_checker_pct",
        "seconds_per_campaign",
    ):
        assert key in summary
    kinds = [c["kind"] for c in model["campaigns"]]
    assert len(set(kinds)) == 3  # a slice spans kinds of business
    for campaign in model["campaigns"]:
        channels = {d["channel"] for d in campaign["drafts"]}
        assert channels == {"email", "social", "cms", "ads"}
    assert {f["set"] for f in data["labels"]} == {"sentences", "sentences_holdout"}
