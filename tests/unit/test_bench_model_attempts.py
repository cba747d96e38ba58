"""The model bench drafts the way the writer does: a draft cut off at max_tokens is tried again
(CI once failed `make bench`'s smoke run on one such draft of the embedded model)."""

from __future__ import annotations

from typing import Any

import pytest
from openai import LengthFinishReasonError
from openai.types.chat import ChatCompletion

from bench.bench_model import _draft
from graphs.writer import ATTEMPTS


def _cut_off() -> LengthFinishReasonError:
    completion = ChatCompletion.model_validate(
        {
            "id": "c1",
            "object": "chat.completion",
            "created": 0,
            "model": "embedded",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "length",
                    "message": {"role": "assistant", "content": '{"subject": "Save'},
                }
            ],
        }
    )
    return LengthFinishReasonError(completion=completion)


class Structured:
    """Answers with the given outcomes in turn: an exception is raised, a dict returned."""

    def __init__(self, *outcomes: Any) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0

    def invoke(self, messages: Any) -> Any:
        self.calls += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


GOOD = {"raw": None, "parsed": {"subject": "Hi"}, "parsing_error": None}


def test_a_draft_cut_off_at_max_tokens_is_tried_again_and_counted() -> None:
    structured = Structured(_cut_off(), GOOD)
    result, total_s, last_s, attempts = _draft(structured, [("user", "Write the email.")])
    assert result is GOOD
    assert attempts == 2 and structured.calls == 2
    assert total_s >= last_s >= 0


def test_a_draft_that_does_not_parse_is_tried_again() -> None:
    unparsed = {"raw": None, "parsed": None, "parsing_error": ValueError("not JSON")}
    structured = Structured(unparsed, GOOD)
    assert _draft(structured, [("user", "Write the email.")])[3] == 2


def test_it_gives_up_after_the_writers_attempts_with_the_reason() -> None:
    structured = Structured(*(_cut_off() for _ in range(ATTEMPTS)))
    with pytest.raises(RuntimeError, match=f"no draft in {ATTEMPTS} attempts"):
        _draft(structured, [("user", "Write the email.")])
    assert structured.calls == ATTEMPTS
