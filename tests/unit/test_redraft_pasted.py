"""A send-back's words pasted into the redraft (a new user's walk: the reviewer's instruction
appeared inside the email) go back to the writer and, when they stay, reach the person with a
note in plain words (graphs/redraft_check.py `copied_feedback`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fakes import ScriptedChatModel, default_answer
from pydantic import BaseModel

from graphs.runtime import Signoff

FEEDBACK = "Please make it warmer and mention the free shipping on orders over $99."
PASTED = "You pasted the reviewer's instruction"  # the AI review's words to the writer


def pastes(always: bool) -> Any:
    """A writer that pastes the send-back into its redraft: every time, or until the AI review
    tells it so."""
    told: list[bool] = []

    def answer(schema: type[BaseModel], prompt: str) -> dict[str, Any]:
        data = default_answer(schema, prompt)
        if PASTED in prompt:
            told.append(True)
        if "Reviewer feedback" in prompt and (always or not told):
            data["text"] = f"{FEEDBACK} {data['text']}"
        return data

    return answer


def send_back(home: Path, brief: dict[str, Any], always: bool) -> dict[str, Any]:
    model = ScriptedChatModel(script=[pastes(always)] * 60)  # one writer, its memory shared
    with Signoff(home, model=model) as runtime:
        [post] = runtime.start({**brief, "channels": ["social"]})["pending"]
        [again] = runtime.decide(post["id"], {"type": "revise", "feedback": FEEDBACK})["pending"]
    return again


def test_a_pasted_instruction_that_stays_reaches_the_person_with_a_note(
    home: Path, brief: dict[str, Any]
) -> None:
    again = send_back(home, brief, always=True)
    assert "mention the free shipping" in again["args"]["text"]
    notes = [n for n in again["review_notes"] if n.startswith("Your send-back note was copied")]
    assert notes == [
        "Your send-back note was copied into the draft (“Please make it warmer and mention the "
        "free shipping on orders over $99”) instead of being followed. Edit it out, send it back "
        "with other words, or reject it."
    ]
    assert not re.search(r"\b[a-z]+_[a-z]+\b", notes[0])  # no raw keys


def test_the_ai_review_sends_a_pasted_instruction_back_to_the_writer(
    home: Path, brief: dict[str, Any]
) -> None:
    again = send_back(home, brief, always=False)
    assert "Please make it warmer" not in again["args"]["text"]
    assert not any("copied into the draft" in n for n in again["review_notes"])


def test_words_the_note_quotes_or_the_facts_give_are_the_drafts_to_use() -> None:
    from graphs.redraft_check import copied_feedback

    before = "Brightloop 2 costs $149. Order now."
    assert copied_feedback("Pre-order today.", ['Say "Pre-order today" instead'], before) is None
    facts = ["Shipping is free on orders over $99 in the United States and Canada."]
    note = ["Mention that shipping is free on orders over $99 in the United States"]
    assert copied_feedback("Shipping is free on orders over $99.", note, before, facts) is None
    assert copied_feedback("Make it shorter. It costs $149.", ["Make it shorter"], before)
    # copy the reviewer dictated is the redraft doing as asked
    dictated = ["Mention that the Trailhead 30 weighs 840 grams and is made in Porto"]
    done = "The Trailhead 30 weighs 840 grams and is made in Porto. Order now."
    assert copied_feedback(done, dictated, before) is None
