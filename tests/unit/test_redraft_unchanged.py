"""A send-back never silently returns the same draft: the writer asks once more, more
forcefully, and when the draft is still the same the person is told on the card and in the audit
(graphs/redraft_check.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fakes import ScriptedChatModel
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, SecretStr

from graphs import redraft_check
from graphs.runtime import Signoff
from ui.audit_text import describe, event_label

# an ask only the model can follow (a quote asked for by name the writer puts in itself:
# tests/unit/test_customer_quotes.py)
FEEDBACK = "Make it warmer and more personal"
SAME = "Brightloop 2 keeps your home warm for less. Order now."
CHANGED = "Tom from Denver says Brightloop 2 cut his heating bill. Order now."
RETRY = "You sent back the same text"  # the forceful second try's words (prompts.REVISE_AGAIN_TASK)


def always_the_same(schema: type[BaseModel], prompt: str) -> dict[str, Any]:
    return {"text": SAME}


def changes_when_pressed(schema: type[BaseModel], prompt: str) -> dict[str, Any]:
    return {"text": CHANGED if RETRY in prompt else SAME}


def send_back(
    home: Path, brief: dict[str, Any], answer: Any
) -> tuple[ScriptedChatModel, dict, list]:
    model = ScriptedChatModel(script=[answer] * 60)
    with Signoff(home, model=model) as runtime:
        [post] = runtime.start({**brief, "channels": ["social"]})["pending"]
        assert post["args"]["text"].startswith(SAME)
        first_calls = len(model.calls)
        [again] = runtime.decide(post["id"], {"type": "revise", "feedback": FEEDBACK})["pending"]
        audit = runtime.store.audit_log(again["thread_id"], event="draft.unchanged")
    return model, {**again, "first_calls": first_calls}, audit


def retried(model: ScriptedChatModel, first_calls: int) -> list[str]:
    return [c["prompt"] for c in model.calls[first_calls:] if RETRY in c["prompt"]]


def test_the_same_redraft_twice_is_retried_and_the_person_is_told(
    home: Path, brief: dict[str, Any]
) -> None:
    model, again, audit = send_back(home, brief, always_the_same)
    prompts = retried(model, again["first_calls"])
    assert prompts, "the writer did not ask again after an unchanged redraft"
    # the second try names the previous text as what must change, and the reviewer's words
    assert (
        f"do not copy it:\n{SAME}" in prompts[0] and f"The reviewer asked: {FEEDBACK}" in prompts[0]
    )
    assert again["revision"] == 1 and again["args"]["text"].startswith(SAME)
    assert again["review_notes"][0] == (
        f"The AI could not change this draft the way you asked (“{FEEDBACK}”). "
        "Edit it yourself, send it back with other words, or reject it."
    )
    [entry] = audit
    assert event_label("draft.unchanged") == "Redraft unchanged"
    assert entry["detail"]["changed_on_retry"] is False
    assert entry["detail"]["feedback"] == FEEDBACK
    assert describe(entry) == (
        f"The AI could not change the social post as asked (“{FEEDBACK}”): "
        "it waits for you with a note"
    )


def test_a_redraft_that_changes_when_pressed_carries_no_note(
    home: Path, brief: dict[str, Any]
) -> None:
    model, again, audit = send_back(home, brief, changes_when_pressed)
    assert retried(model, again["first_calls"])
    assert again["args"]["text"].startswith(CHANGED)
    assert not any("could not change this draft" in n for n in again["review_notes"])
    [entry] = audit
    assert entry["detail"]["changed_on_retry"] is True
    assert describe(entry).endswith(
        f"came back unchanged (“{FEEDBACK}”); asked again, it changed it"
    )


def test_a_redraft_that_changes_at_once_is_not_retried(home: Path, brief: dict[str, Any]) -> None:
    def obeys(schema: type[BaseModel], prompt: str) -> dict[str, Any]:
        return {"text": CHANGED if "Reviewer feedback" in prompt else SAME}

    model, again, audit = send_back(home, brief, obeys)
    assert retried(model, again["first_calls"]) == []
    assert again["args"]["text"].startswith(CHANGED) and audit == []
    assert not any("could not change this draft" in n for n in again["review_notes"])


def test_the_feedback_comes_after_the_previous_draft_in_the_redraft_prompt(
    home: Path, brief: dict[str, Any]
) -> None:
    model, again, _ = send_back(home, brief, always_the_same)
    redraft = model.calls[again["first_calls"]]["prompt"]
    assert redraft.index("Previous draft, to rewrite:") < redraft.rindex(FEEDBACK)
    # every AI review round of the redraft ends with the reviewer's words
    for call in model.calls[again["first_calls"] :]:
        if "Your draft was checked" in call["prompt"]:
            assert call["prompt"].rstrip().endswith(FEEDBACK), call["prompt"][-300:]


def test_what_counts_as_unchanged() -> None:
    same = redraft_check.unchanged
    assert same("Warm homes.  Order NOW!", "warm homes order now", [FEEDBACK])
    assert same("Warm homes for less. Order now.", "Warm homes for less. Buy now.", [FEEDBACK])
    assert not same("Hi there, order now.", "Hello there, order now.", ["Say Hello, not Hi"])
    assert not same(SAME, CHANGED, [FEEDBACK])
    assert redraft_check.note(["  Quote Tom\nfrom Denver  "]).startswith(
        "The AI could not change this draft the way you asked (“Quote Tom from Denver”)."
    )


def test_the_retry_samples_more_freely_where_the_model_allows() -> None:
    model = ChatOpenAI(
        model="m", base_url="http://127.0.0.1:9/v1", api_key=SecretStr("k"), temperature=0.2
    )
    varied = redraft_check.varied(model)
    assert isinstance(varied, ChatOpenAI)
    assert varied.temperature == redraft_check.RETRY_TEMPERATURE
    assert varied.seed == redraft_check.RETRY_SEED
    assert model.temperature == 0.2 and model.seed is None  # the shared model is untouched
    scripted = ScriptedChatModel()
    assert redraft_check.varied(scripted) is scripted
