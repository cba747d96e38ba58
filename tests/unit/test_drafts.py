"""Drafts worth signing: knowledge per product, brand settings, the AI review, send-backs that
keep their channel, rules learned from edits, the model choice (issue 10, writer side)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fakes import ScriptedChatModel, default_answer
from support import run, run_json

from graphs import model as model_seam
from graphs.brand import Brand, BrandBook, product_matches
from graphs.errors import InvalidInput
from graphs.researcher import gather
from graphs.runtime import Signoff
from tools.kb import KnowledgeBase

NORTHPEAK_FACTS = """# Northpeak 30L backpack

## Price
The Northpeak 30L backpack costs €89.

## Spring offer
Until 31 May, the Northpeak 30L costs €59 with the code SPRING.

## Build
Made of recycled nylon. It weighs 1.1 kg and has a lifetime warranty.
"""

NORTHPEAK = {
    "product": "Northpeak 30L backpack",
    "audience": "weekend hikers",
    "goal": "spring sales",
}


def by_action(pending: list[dict], name: str) -> dict:
    [item] = [p for p in pending if p["action"] == name]
    return item


def northpeak(runtime: Signoff) -> None:
    runtime.kb.add_text("northpeak.md", NORTHPEAK_FACTS, product="Northpeak 30L backpack")
    BrandBook(runtime.home).save(
        Brand(
            name="Northpeak",
            sender_name="Northpeak",
            from_address="news@northpeak.example",
            signature="The Northpeak team",
            postal_address="4 Quay Road, Bristol",
            avoid=("not perfect",),
            products=("Northpeak",),
        )
    )


# -- knowledge per product ---------------------------------------------------------------------
def test_the_sample_kit_is_evidence_only_for_its_own_product(tmp_path: Path) -> None:
    with KnowledgeBase(tmp_path / "kb.db") as kb:
        kb.ensure_sample()
        assert gather(kb, dict(NORTHPEAK, to="a@b.example")) == []  # type: ignore[arg-type]
        thermostat = gather(kb, {"product": "Brightloop 2", "audience": "homes", "goal": "sales"})  # type: ignore[typeddict-item]
        sources = {e["source"] for e in thermostat}
        assert "pricing.md" in sources and "style.md" not in sources  # the style guide is voice
        assert any("$149" in e["quote"] for e in thermostat)  # a small sheet is given whole
        assert any("LOOP26" in e["quote"] for e in thermostat)


def test_untagged_sources_count_only_for_the_products_they_name(tmp_path: Path) -> None:
    with KnowledgeBase(tmp_path / "kb.db") as kb:
        kb.add_text("grinder.md", "# BrewBot\n\nThe BrewBot grinder costs $129.")
        kb.add_text("other.md", "# Kettle\n\nThe Zeta kettle costs $49.")
        [hit] = gather(kb, {"product": "BrewBot X1 grinder", "audience": "a", "goal": "b"})  # type: ignore[typeddict-item]
        assert "$129" in hit["quote"]
        assert [p.text for p in kb.search("costs", product="BrewBot")] == [
            "The BrewBot grinder costs $129."
        ]
    assert product_matches("Brightloop", "Brightloop 2 smart thermostat")
    assert not product_matches("Brightloop", "BrewBot grinder")


def test_no_facts_about_the_product_says_so_before_drafting(home: Path) -> None:
    model = ScriptedChatModel()
    with Signoff(home, model=model) as runtime:
        with pytest.raises(InvalidInput, match="No facts about BrewBot grinder yet: add a fact"):
            runtime.start({"product": "BrewBot grinder", "audience": "a", "goal": "b"})
        assert runtime.campaigns() == [] and model.calls == []
        # an ad spend alone needs no facts
        result = runtime.start(
            {
                "product": "BrewBot grinder",
                "audience": "a",
                "goal": "b",
                "channels": ["ads"],
                "ad_budget": 50,
            }
        )
        assert [p["action"] for p in result["pending"]] == ["spend_ads"]


def test_kb_cli_takes_pasted_text_for_a_product_and_shows_its_passages(
    cli_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "kb", "add", "--text", NORTHPEAK_FACTS)
    assert code == 2 and "--text needs --product" in err
    code, data, _ = run_json(
        capsys, "kb", "add", "--text", NORTHPEAK_FACTS, "--product", "Northpeak 30L backpack"
    )
    assert code == 0
    [added] = data["added"]
    assert added["product"] == "Northpeak 30L backpack" and added["passages"] == 3
    code, out, _ = run(capsys, "kb", "passages", str(added["id"]))
    assert code == 0 and "about Northpeak 30L backpack" in out
    assert "[2] Spring offer" in out and "€59 with the code SPRING" in out


# -- brand settings ------------------------------------------------------------------------------
def test_brand_settings_are_validated_and_chosen_by_product(tmp_path: Path) -> None:
    book = BrandBook(tmp_path)
    assert book.all()[0].name == "Brightloop"  # the sample brand until the marketer adds one
    with pytest.raises(InvalidInput, match="'from_address' must be one address"):
        book.save(Brand(name="X", from_address="not an address"))
    book.save(
        Brand(name="Northpeak", from_address="news@northpeak.example", products=("Northpeak",))
    )
    assert book.for_brief({"product": "Northpeak 30L backpack"}).name == "Northpeak"
    assert book.for_brief({"product": "Brightloop 2"}).name == "Brightloop"
    stranger = book.for_brief({"product": "BrewBot grinder"})
    assert stranger.signature == "The BrewBot grinder team"  # never signed as another brand
    rule = book.add_rule("Northpeak", "Never say 'not perfect'")
    book.update_rule("Northpeak", rule.id, "Never say 'flawless'")
    assert [r.text for r in book.get("Northpeak").rules] == ["Never say 'flawless'"]
    book.remove_rule("Northpeak", rule.id)
    assert book.get("Northpeak").rules == ()


def test_brand_cli_sets_and_shows(cli_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, data, _ = run_json(
        capsys, "brand", "set", "Northpeak", "--from", "news@northpeak.example",
        "--signature", "The Northpeak team", "--avoid", "cheap, not perfect",
    )  # fmt: skip
    assert code == 0 and data["avoid"] == ["cheap", "not perfect"]
    code, _, err = run(capsys, "brand", "set", "Northpeak", "--from", "nope")
    assert code == 2 and "'from_address' must be one address" in err
    code, data, _ = run_json(
        capsys, "brand", "rule", "add", "Northpeak", "Sign as The Northpeak team"
    )
    assert code == 0
    code, out, _ = run(capsys, "brand", "show", "Northpeak")
    assert "From:        Northpeak <news@northpeak.example>" not in out  # sender name unset
    assert "news@northpeak.example" in out and "Sign as The Northpeak team" in out


# -- the writer and the AI review ----------------------------------------------------------------
def test_a_campaign_is_drafted_from_its_own_product_and_brand(home: Path) -> None:
    model = ScriptedChatModel()
    with Signoff(home, model=model) as runtime:
        northpeak(runtime)
        brief = {
            **NORTHPEAK,
            "offer": "€59 until 31 May with the code SPRING",
            "link": "https://northpeak.example/spring",
        }
        pending = runtime.start(brief)["pending"]
    prompt = model.calls[0]["prompt"]
    assert "€89" in prompt and "SPRING" in prompt
    assert "$149" not in prompt and "Brightloop" not in prompt  # no other product's facts
    assert "Never use these words: 'not perfect'" in prompt
    email = by_action(pending, "send_email")
    assert email["args"]["sender"] == "Northpeak <news@northpeak.example>"
    assert "The Northpeak team" in email["args"]["body"] and "Bristol" in email["args"]["body"]
    assert "From: Northpeak <news@northpeak.example>" in email["text"]


def test_an_avoided_word_goes_back_as_feedback_and_a_missing_offer_is_added(home: Path) -> None:
    sloppy = {
        "subject": "Spring on the trail",
        "body": "The Northpeak 30L is not perfect, but it is close. It weighs 1.1 kg and has a "
        "lifetime warranty. Pack it for your next weekend on the hills.",
    }
    model = ScriptedChatModel(script=[sloppy, default_answer])
    with Signoff(home, model=model) as runtime:
        northpeak(runtime)
        brief = {**NORTHPEAK, "channels": ["email"], "offer": "€59 with the code SPRING"}
        [email] = runtime.start(brief)["pending"]
    feedback = model.calls[1]["prompt"]
    assert "Do not use 'not perfect'" in feedback  # asked again, specifically
    assert "Mention the offer" not in feedback  # the offer is known:
    assert "Our offer: €59 with the code SPRING." in feedback  # it was added to the draft
    assert email["review_rounds"] == 2


def test_an_ad_spend_sent_back_stays_an_ad_spend(home: Path) -> None:
    model = ScriptedChatModel()
    with Signoff(home, model=model) as runtime:
        brief = {**NORTHPEAK, "channels": ["ads"], "ad_budget": 150}
        [ads] = runtime.start(brief)["pending"]
        result = runtime.decide(ads["id"], {"type": "revise", "feedback": "Make it 100 instead."})
        [again] = result["pending"]
    assert again["action"] == "spend_ads" and again["args"]["amount"] == 100.0
    assert again["revision"] == 1 and model.calls == []  # nothing was written by the model
    assert "-150.0" in again["changes"] and "+100.0" in again["changes"]


def test_a_send_back_is_checked_shows_its_diff_and_becomes_a_rule(home: Path) -> None:
    model = ScriptedChatModel()
    with Signoff(home, model=model) as runtime:
        northpeak(runtime)
        [post] = runtime.start({**NORTHPEAK, "channels": ["social"]})["pending"]
        feedback = "Never say 'Order now'. Mention the warranty."
        [again] = runtime.decide(post["id"], {"type": "revise", "feedback": feedback})["pending"]
        assert again["action"] == "publish_post" and again["revision"] == 1
        assert "Revised:" in again["args"]["text"]
        assert again["changes"].startswith("--- text before")
        # the scripted redraft ignores "mention the warranty": the AI review says so
        assert any("warranty" in n and "does not say it" in n for n in again["review_notes"]), again
        rules = [r.text for r in BrandBook(home).get("Northpeak").rules]
        assert rules == ["Never say 'Order now'"]
        # the next campaign follows it
        runtime.start({**NORTHPEAK, "channels": ["social"]})
    assert "House rules: Never say 'Order now'." in model.calls[-1]["prompt"]


def test_an_edit_teaches_a_rule(home: Path) -> None:
    model = ScriptedChatModel()
    with Signoff(home, model=model) as runtime:
        northpeak(runtime)
        [email] = runtime.start({**NORTHPEAK, "channels": ["email"]})["pending"]
        body = email["args"]["body"].replace("The Northpeak team", "Ann at Northpeak")
        runtime.decide(email["id"], {"type": "edit", "args": {**email["args"], "body": body}})
        audit = runtime.store.audit_log(email["thread_id"], event="brand.rules_learned")
    rules = [r.text for r in BrandBook(home).get("Northpeak").rules]
    assert "Sign emails as 'Ann at Northpeak'" in rules
    assert audit and "Sign emails as 'Ann at Northpeak'" in audit[0]["detail"]["rules"]


# -- the model --------------------------------------------------------------------------------
def test_the_bigger_embedded_model_and_the_timeout_are_settings() -> None:
    choice = model_seam.resolve_model_choice({"SIGNOFF_MODEL": "embedded:1.5b"})
    assert choice.provider == "embedded" and choice.model == "qwen2.5-coder-1.5b-instruct"
    with pytest.raises(ValueError, match="embedded:1.5b"):
        model_seam.resolve_model_choice({"SIGNOFF_MODEL": "embedded:7b"})
    assert model_seam.request_timeout(60.0, {"SIGNOFF_MODEL_TIMEOUT": "600"}) == 600.0
    assert model_seam.request_timeout(60.0, {}) == 60.0
    with pytest.raises(ValueError, match="SIGNOFF_MODEL_TIMEOUT='soon' is not a number"):
        model_seam.request_timeout(60.0, {"SIGNOFF_MODEL_TIMEOUT": "soon"})


def test_the_grammar_forbids_placeholders_links_and_over_long_posts() -> None:
    from pydantic import ValidationError

    from graphs.channels import by_key

    email = by_key("email").schema({})  # type: ignore[misc]
    post = by_key("social").schema({"link": "https://northpeak.example/spring"})  # type: ignore[misc]
    for bad in (
        "Dear [Name], hello there and welcome to the trail season with us all.",
        "See {link} for the spring deal on the backpack with lifetime warranty.",
    ):
        with pytest.raises(ValidationError):
            email.model_validate({"subject": "Spring is here", "body": bad * 2})
    # a link the grammar forbids but a JSON escape slipped past it is taken out, never kept
    link = "See https://x.example for the spring deal on the backpack with warranty."
    pattern = email.model_json_schema()["properties"]["body"]["pattern"]
    assert not re.fullmatch(pattern, link * 3)
    body = email.model_validate({"subject": "Spring is here", "body": link * 3}).body
    assert "://" not in body and "x.example" not in body
    schema = json.dumps(post.model_json_schema())
    assert '"maxLength": 247' in schema  # 280 less the link (32) and its space
