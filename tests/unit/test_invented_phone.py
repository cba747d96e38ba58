"""A phone number nobody gave ("please contact us at 123-456-7890", which the 0.5B wrote into the
demo email and kept through every round) is taken out of the draft by the writer; a number the
campaign gives stays."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fakes import ScriptedChatModel, default_answer
from pydantic import BaseModel

from graphs.channels.base import by_key
from graphs.checks.asks import invented_phones, without
from graphs.checks.draft import review
from graphs.runtime import Signoff

CALL = "If you are interested in pre-ordering, please contact us at 123-456-7890."
PASSAGES = [{"id": "p#1", "text": "Brightloop 2 costs $149.", "source": "pricing.md"}]
BRIEF = {"product": "Brightloop 2 smart thermostat", "audience": "homeowners", "goal": "sell"}


def test_the_sentence_with_the_made_up_number_is_found_and_taken_out() -> None:
    args = {"to": "a@x.example", "subject": "Winter", "body": f"Hello,\n\nIt costs $149. {CALL}"}
    _, checks = review(by_key("email"), args, BRIEF, {}, PASSAGES)
    found = invented_phones(checks)
    assert [a.sentence for a in found] == [CALL]
    assert without(args, found)["body"] == "Hello,\n\nIt costs $149."


def test_a_number_the_campaign_gives_is_not_taken_out() -> None:
    given = [*PASSAGES, {"id": "c#1", "text": "Call 0161 496 0000 to order.", "source": "c.md"}]
    args = {"text": "It costs $149. Call 0161 496 0000 to order."}
    _, checks = review(by_key("social"), args, BRIEF, {}, given)
    assert invented_phones(checks) == []


def calls(schema: type[BaseModel], prompt: str) -> dict[str, Any]:
    data = default_answer(schema, prompt)
    if "body" in data:
        data["body"] = data["body"] + " " + CALL
    return data


def test_the_writer_takes_out_a_number_the_model_keeps_in_every_round(
    home: Path, brief: dict[str, Any]
) -> None:
    model = ScriptedChatModel(script=[calls] * 20)
    with Signoff(home, model=model) as runtime:
        [action] = runtime.start({**brief, "channels": ["email"]})["pending"]
    assert "123-456-7890" not in action["args"]["body"]
    assert not any("phone number" in n for n in action.get("review_notes", []))
    assert len(model.calls) == 1  # taken out in the first round, not after three
