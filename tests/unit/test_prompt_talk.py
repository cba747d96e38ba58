"""A redraft that talks about the drafting ("Lena, Munich's reviewer sent the previous draft
back. They asked if they should quote Lena…", as the 0.5B wrote in the send-back eval) is named by
the AI review and the writer takes those sentences out, as it does an ask nobody can follow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fakes import ScriptedChatModel, default_answer
from pydantic import BaseModel

from graphs.channels.base import by_key
from graphs.checks.asks import prompt_talk, without
from graphs.checks.draft import review
from graphs.runtime import Signoff

LEAK = (
    "Lena, Munich's reviewer sent the previous draft back. They asked if they should quote Lena "
    "from Munich by name."
)


@pytest.mark.parametrize(
    "sentence",
    [
        "Lena, Munich's reviewer sent the previous draft back.",
        "They asked if they should quote Lena from Munich by name.",
        "A reviewer sent your previous draft back.",
        "You sent the social post back, so here it is again.",
    ],
)
def test_talk_of_the_drafting_is_found(sentence: str) -> None:
    assert [t.sentence for t in prompt_talk(f"Brightloop 2 costs $149. {sentence}")] == [sentence]


@pytest.mark.parametrize(
    "copy",
    [
        "Brightloop 2 costs $149. Send it back within 30 days if it is not for you.",
        "Our reviews average 4.7 out of 5. They asked for a quieter fan, and we built one.",
        "Draft beer at the festival bar. Sent to your door in two days.",
    ],
)
def test_ordinary_copy_is_not_talk_of_the_drafting(copy: str) -> None:
    assert prompt_talk(copy) == []


def test_the_review_names_it_and_without_takes_it_out() -> None:
    post = by_key("social")
    text = f"The Trailhead 30 weighs 840 grams. {LEAK}"
    problems, _ = review(post, {"text": text}, {"product": "Trailhead 30"}, {}, [])
    assert [p.kind for p in problems if p.kind == "prompt"] == ["prompt", "prompt"]
    assert without({"text": text}, prompt_talk(text)) == {
        "text": "The Trailhead 30 weighs 840 grams."
    }


def leaks(schema: type[BaseModel], prompt: str) -> dict[str, Any]:
    if "text" in schema.model_fields and "Reviewer feedback" in prompt:
        return {"text": f"Brightloop 2 keeps your home warm for less. {LEAK}"}
    return default_answer(schema, prompt)


def test_the_writer_takes_the_drafting_talk_out_of_a_redraft(
    home: Path, brief: dict[str, Any]
) -> None:
    model = ScriptedChatModel(script=[leaks] * 30)
    with Signoff(home, model=model) as runtime:
        [post] = runtime.start({**brief, "channels": ["social"]})["pending"]
        calls = len(model.calls)
        [again] = runtime.decide(
            post["id"], {"type": "revise", "feedback": "Make it warmer and more personal"}
        )["pending"]
    text = again["args"]["text"]
    assert "reviewer" not in text and "They asked" not in text, text
    assert text.startswith("Brightloop 2 keeps your home warm for less.")
    assert len(model.calls) - calls == 1  # taken out in the first round, not after three
