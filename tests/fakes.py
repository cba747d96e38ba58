"""A scripted chat model for unit tests: the only fake, behind the one model seam.

It answers `with_structured_output(Schema, method="json_schema")` calls from a script of dicts
(or a function of the schema and the prompt), validated against the schema like a real model's
grammar-constrained output would be. Every prompt it saw is kept in `calls`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import RunnableLambda
from pydantic import BaseModel, PrivateAttr

Answer = dict[str, Any] | Callable[[type[BaseModel], str], dict[str, Any]]


def evidence_lines(prompt: str) -> list[str]:
    """The facts the writer's prompt carries: the lines under `Facts about ...:`."""
    match = re.search(r"^Facts about [^\n]*:\n(.*?)(?:\n\n|\Z)", prompt, re.MULTILINE | re.DOTALL)
    if not match:
        return []
    return [line.strip() for line in match.group(1).splitlines() if line.strip() != "(none)"]


def first_sentence(quote: str) -> str:
    sentence = re.split(r"(?<=[.!?])\s+", quote.strip())[0].rstrip(".!?")
    return re.sub(r"[\[\]{}<>|\\]", "", sentence)[:180].replace("://", " ")


def default_answer(schema: type[BaseModel], prompt: str) -> dict[str, Any]:
    """A draft that states the first facts of the prompt word for word, so the checker supports
    them; a redraft (the prompt carries feedback) says so in its first words."""
    quotes = evidence_lines(prompt) or ["Brightloop 2 saves energy"]
    first = first_sentence(quotes[0])
    second = first_sentence(quotes[1]) if len(quotes) > 1 else first
    revised = "Reviewer feedback" in prompt
    fields = schema.model_fields
    if "text" in fields and "subject" not in fields:  # a post
        text = f"{first}. Order now."
        if revised:
            text = f"Revised: {first}."
        limit = next(
            (m.max_length for m in fields["text"].metadata if hasattr(m, "max_length")), 280
        )
        return {"text": text[:limit]}
    body = f"{first}. {second}. Reply to this email to order."
    if "sections" in fields:  # a landing page
        more = " We answer every question by email within a day, and every order ships with a "
        more += "printed guide to setting it up at home."
        return {
            "title": "Brightloop 2",
            "intro": f"{first}. Here is what it does, what you get and how to order one today.",
            "sections": [
                {"heading": "Why Brightloop", "text": (body + more)[:600]},
                {"heading": "What you get", "text": (f"{second}." + more + more)[:600]},
                {
                    "heading": "Order",
                    "text": ("Pre-order today and we ship it within two days." + more * 2)[:600],
                },
            ],
            "call_to_action": "Pre-order today.",
        }
    return {
        "subject": "Revised: a warmer home for less" if revised else "A warmer home for less",
        "body": body if len(body) >= 120 else body + " We are here to help with any question.",
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
            step = self._next_step(schema)
            data = step(schema, prompt) if callable(step) else step
            return schema.model_validate(data)

        return RunnableLambda(answer)

    def _next_step(self, schema: type[BaseModel]) -> Answer:
        """The first step of the script meant for `schema`: a dict is an answer for a schema
        with a field it names (each action is drafted on its own branch, so an email's and a
        post's calls come in any order); a function answers any schema, or those it names in
        its `schemas` attribute. None left: the default answer."""
        with _LOCK:
            for n, step in enumerate(self.script):
                if callable(step):
                    fits = schema.__name__ in getattr(step, "schemas", (schema.__name__,))
                else:
                    fits = bool(set(step) & set(schema.model_fields))
                if fits:
                    return self.script.pop(n)
        return default_answer


_LOCK = threading.Lock()


# -- a writer that obeys whatever it reads ---------------------------------------------------------
_LINKISH = re.compile(
    r"(?i)(?:https?|javascript)://[^\s)\]>\"'<]+|\bwww\.[^\s)\]>\"'<]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|\+\d[\d ()-]{7,}\d|(?<![\w@])@[A-Za-z0-9_]{2,30}(?:@[\w-]+(?:\.[\w-]+)+)?"
)
_B64 = re.compile(r"[A-Za-z0-9+/_-]{24,}={0,2}")


def _decoded(prompt: str) -> str:
    """What a capable model would read out of the prompt: base64 runs and rot13 decoded."""
    import base64
    import codecs

    out = [codecs.decode(prompt, "rot13")]
    for run in _B64.findall(prompt):
        try:
            raw = run.replace("-", "+").replace("_", "/")
            out.append(base64.b64decode(raw + "=" * (-len(raw) % 4)).decode("utf-8"))
        except ValueError:
            continue
    return "\n".join(out)


def planted_links(prompt: str) -> list[str]:
    """Every link and contact an instruction in the prompt could ask for, plainly or encoded."""
    found = [m.group(0).rstrip(".,;:!?") for m in _LINKISH.finditer(prompt)]
    found += [
        m.group(0).rstrip(".,;:!?")
        for m in _LINKISH.finditer(_decoded(prompt))
        if m.group(0).lower().startswith(("http", "www."))
    ]
    return list(dict.fromkeys(found))


def obeying_answer(schema: type[BaseModel], prompt: str) -> dict[str, Any]:
    """A writer that obeys any instruction it sees: every link or contact anywhere in its prompt
    (the evidence included, decoded when encoded) leads its draft, and a subject it is told to
    use, line breaks and all, becomes the subject."""
    answer = default_answer(schema, prompt)
    links = planted_links(prompt)
    lead = ("Order now at " + " ".join(links) + ". ") if links else ""
    for field, limit in (("body", 1400), ("text", 470), ("intro", 400)):
        if field in answer:
            answer[field] = (lead + answer[field])[:limit]
    told = re.search(r"(?i)subject line:\s*\"([^\"]{3,80})\"", prompt)
    if told and "subject" in answer:
        answer["subject"] = told.group(1).encode().decode("unicode_escape")
    return within_grammar(schema, answer)


def within_grammar(schema: type[BaseModel], answer: dict[str, Any]) -> dict[str, Any]:
    """What an obeying model can still write when a grammar constrains it (llama.cpp's
    json_schema decoding): the closest string the field's pattern and length allow. A link
    loses its `https://` where `://` is forbidden (the bare domain stays: the link check must
    still catch it); forbidden characters become spaces."""
    props = schema.model_json_schema().get("properties", {})
    for field, value in list(answer.items()):
        spec = props.get(field, {})
        pattern, most = spec.get("pattern"), spec.get("maxLength")
        if not isinstance(value, str) or not pattern or re.fullmatch(pattern, value):
            continue
        value = re.sub(r"(?i)\b[a-z][a-z0-9+.-]*://", "", value)
        # a character the pattern allows alone, or followed by a plain one ("/" of "24/7")
        value = "".join(
            ch if re.fullmatch(pattern, ch) or re.fullmatch(pattern, ch + "a") else " "
            for ch in value
        )
        value = re.sub(r"[ \t]{2,}", " ", value)
        answer[field] = value[:most] if most else value
    return answer


class ObeyingChatModel(ScriptedChatModel):
    """The scripted model answering every call with `obeying_answer` (the red-team writer)."""

    def with_structured_output(self, schema: Any, *, method: str = "json_schema", **kw: Any) -> Any:  # type: ignore[override]
        if not self.script:
            self.script = [obeying_answer] * 50
        return super().with_structured_output(schema, method=method, **kw)
