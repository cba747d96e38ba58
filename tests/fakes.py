"""A scripted chat model for unit tests: the only fake, behind the one model seam.

It answers `with_structured_output(Schema, method="json_schema")` calls from a script of dicts
(or a function of the schema and the prompt), validated against the schema like a real model's
grammar-constrained output would be. Every prompt it saw is kept in `calls`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import RunnableLambda
from pydantic import BaseModel, PrivateAttr

Answer = dict[str, Any] | Callable[[type[BaseModel], str], dict[str, Any]]


def default_answer(schema: type[BaseModel], prompt: str) -> dict[str, Any]:
    if "text" in schema.model_fields:
        text = "Brightloop 2 costs $149 [2]. Order now."
        if "Reviewer feedback" in prompt:
            text = "Revised: Brightloop 2 costs $149 [2], with free sensors [3]."
        return {
            "text": text,
            "claims": [{"text": "Brightloop 2 costs $149", "evidence": [2]}],
            "confidence": 0.8,
        }
    subject = "Cut your heating bill by 23%"
    if "Reviewer feedback" in prompt:
        subject = "Revised: a warmer home for less"
    return {
        "subject": subject,
        "body": "Brightloop cut energy use by 23% on average [1]. It costs $149 [2]. Reply to order.",
        "claims": [
            {"text": "Brightloop cut energy use by 23% on average", "evidence": [1]},
            {"text": "It costs $149", "evidence": [2]},
        ],
        "confidence": 0.9,
    }


class ScriptedChatModel(BaseChatModel):
    script: list[Answer] = []
    _calls: list[dict[str, Any]] = PrivateAttr(default_factory=list)

    @property
    def calls(self) -> list[dict[str, Any]]:
        return self._calls

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content="ok"))])

    def with_structured_output(self, schema: Any, *, method: str = "json_schema", **kw: Any) -> Any:  # type: ignore[override]
        assert method == "json_schema", "the graph must use json_schema structured output"

        def answer(messages: Any) -> BaseModel:
            prompt = "\n".join(m[1] if isinstance(m, tuple) else str(m.content) for m in messages)
            self._calls.append({"schema": schema.__name__, "prompt": prompt})
            step = self.script.pop(0) if self.script else default_answer
            data = step(schema, prompt) if callable(step) else step
            return schema.model_validate(data)

        return RunnableLambda(answer)
