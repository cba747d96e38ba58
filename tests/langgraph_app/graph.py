"""The campaign graph for `langgraph dev` in tests: the shipped graph, with the one model seam
answered by the scripted model of tests/fakes.py (no model server, so the test is fast).

A brief whose product mentions "price cut" gets a draft with a claim the evidence does not
support (to test that approving it needs `checked: true`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent.parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from fakes import ScriptedChatModel, default_answer  # noqa: E402

import graphs.model  # noqa: E402

# a price the fact sheet does not give ($149), long enough for the email grammar
UNSUPPORTED = {
    "subject": "Half price",
    "body": "The Brightloop 2 now costs $19 today only. Order yours before midnight and keep "
    "your home warm all winter long. Reply to this email, friends.",
    "confidence": 0.9,
}


def _answer(schema: Any, prompt: str) -> dict[str, Any]:
    if "price cut" in prompt and "subject" in schema.model_fields:
        return dict(UNSUPPORTED)
    return default_answer(schema, prompt)


class _Model(ScriptedChatModel):
    def with_structured_output(self, schema: Any, **kw: Any) -> Any:  # type: ignore[override]
        self.script = [_answer]
        return super().with_structured_output(schema, **kw)


def load_chat_model(**kw: Any) -> ScriptedChatModel:
    return _Model()


graphs.model.load_chat_model = load_chat_model  # type: ignore[assignment]

from graphs.campaign import graph  # noqa: E402

__all__ = ["graph"]
