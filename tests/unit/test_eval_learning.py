"""Learning from edits in the eval: edits become brand rules and the second campaign is counted."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from graphs.eval_drafts import load_products, run_eval
from graphs.eval_learning import cut, format_learning, found_phrases
from graphs.learning import rules_from_edit
from tests.fakes import ScriptedChatModel, default_answer


def hype(obey: bool) -> Any:
    """A draft with a stock phrase in it; with `obey`, it leaves out what the house rules forbid."""

    def answer(schema: type[BaseModel], prompt: str) -> dict[str, Any]:
        data = default_answer(schema, prompt)
        if obey and "Never say 'revolutionary'" in prompt:
            return data
        for key in ("text", "intro", "body"):
            if key in data:
                data[key] = "A revolutionary find. " + data[key]
                break
        return data

    return answer


def model(obey: bool) -> ScriptedChatModel:
    return ScriptedChatModel(script=[hype(obey)] * 200)


def test_a_cut_stock_phrase_becomes_a_rule_in_the_persons_words() -> None:
    before = {
        "body": "Meet our revolutionary grinder, a game-changer! Look no further.\n\nThe team"
    }
    phrases = found_phrases(before)
    assert phrases[:2] == ["look no further", "revolutionary"]
    after = cut(before, phrases[:2])
    assert after["body"] == "Meet our grinder, a game-changer!\n\nThe team"
    assert rules_from_edit(before, after) == [
        "Never say 'revolutionary'",
        "Never say 'Look no further'",
    ]


def test_the_second_campaign_follows_the_rules_the_edits_taught() -> None:
    products = load_products()
    report = run_eval(products, limit=1, chat_model=model(obey=True), learn=1)
    figures = report.learning
    assert figures is not None
    assert figures["phrases_cut"] >= 3  # email, post and page each said it
    assert "Never say 'revolutionary'" in figures["rules_learned"]
    assert figures["repeated"] == 0
    assert "repeats 0 of" in format_learning(figures)


def test_a_writer_that_ignores_the_rules_shows_as_repeats() -> None:
    report = run_eval(load_products(), limit=1, chat_model=model(obey=False), learn=1)
    figures = report.learning
    assert figures is not None and figures["phrases_cut"] >= 3
    assert figures["repeated"] == figures["phrases_cut"]
