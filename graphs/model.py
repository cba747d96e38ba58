"""The one seam that builds chat models. Nodes call :func:`load_chat_model`, never a client.

Which model (per process, from the environment):

1. ``SIGNOFF_MODEL`` if set: ``embedded``, ``embedded:1.5b``, ``openai`` or ``openai:<model-name>``
   (e.g. ``openai:gpt-4o-mini``; ``OPENAI_BASE_URL`` points it at any OpenAI-compatible
   server such as Ollama or vLLM).
2. else ``OPENAI_API_KEY`` set: OpenAI's ``gpt-4o-mini`` (``OPENAI_BASE_URL`` honoured).
3. else the embedded default: Qwen2.5-Coder-0.5B-Instruct served by llama.cpp in a child
   process (``graphs/embedded.py``), reached through the same ``ChatOpenAI`` client.

Structured output: use ``load_chat_model().with_structured_output(Schema,
method="json_schema")``. On the embedded model it is grammar-constrained, bounds on numbers
included; ``function_calling`` and ``json_mode`` do not work there, and it never emits tool
calls. The model sees field *names* while generating, not the schema's descriptions: say in
the prompt what each field means (e.g. "confidence: 0.0-1.0").

Request timeouts are a setting: ``SIGNOFF_MODEL_TIMEOUT`` (seconds; default 120 for OpenAI, 300
for the embedded models: a 1.5B model on two busy cores writes ~6 tokens/s).

Tests swap the model by patching ``graphs.model.load_chat_model`` (callers import it at call
time) or by injecting one through the run's ``Context``. Never call ``get_num_tokens*()`` on
these models: it downloads tiktoken files.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from langchain_core.language_models import BaseChatModel
from pydantic import SecretStr

from graphs import embedded

logger = logging.getLogger(__name__)

ENV_MODEL = "SIGNOFF_MODEL"
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
DEFAULT_MAX_TOKENS = 700
ENV_TIMEOUT = "SIGNOFF_MODEL_TIMEOUT"
OPENAI_TIMEOUT_S = 120.0
# 2 cores, quiet: ~40-45 tokens/s out, ~140 tokens/s reading, so a full 4k-token prompt plus
# 700 output tokens takes about a minute; next to other busy processes it can be 3x slower.
EMBEDDED_TIMEOUT_S = 300.0
# Without a penalty the 0.5B model loops ("[Your Company Website] \n[Your Company Phone] ...")
# until max_tokens in 4 of 20 writer drafts measured here (the JSON is then cut off and fails);
# with 0.3: 0 of 20, and the drafts got shorter. (repeat_penalty 1.1 did as well; DRY worse.)
EMBEDDED_FREQUENCY_PENALTY = 0.3
_EMBEDDED_API_KEY = "signoff-embedded"  # the local server checks no key; the client wants one

Provider = Literal["embedded", "openai"]


@dataclass(frozen=True)
class ModelChoice:
    """Which model the environment selects, and why. Resolving it starts nothing."""

    provider: Provider
    model: str
    base_url: str | None  # None: OpenAI's default endpoint, or the embedded server's (dynamic)
    reason: str


def resolve_model_choice(env: Mapping[str, str] | None = None) -> ModelChoice:
    """Read the choice from ``env`` (default ``os.environ``); raise ValueError if invalid."""
    env = os.environ if env is None else env
    base_url = env.get("OPENAI_BASE_URL") or None
    raw = (env.get(ENV_MODEL) or "").strip()
    if raw:
        provider, _, name = raw.partition(":")
        provider = provider.strip().lower()
        name = name.strip()
        if provider == "embedded" and not name:
            return ModelChoice("embedded", embedded.MODEL_ALIAS, None, f"{ENV_MODEL}={raw}")
        if provider == "embedded" and name.lower() in embedded.SPECS:
            spec = embedded.SPECS[name.lower()]
            return ModelChoice("embedded", spec.alias, None, f"{ENV_MODEL}={raw}")
        if provider == "openai" and (name or ":" not in raw):
            if not env.get("OPENAI_API_KEY") and not base_url:
                raise ValueError(
                    f"{ENV_MODEL}={raw!r} needs OPENAI_API_KEY (or OPENAI_BASE_URL for an "
                    "OpenAI-compatible server), and neither is set. Set one of them, or use "
                    f"{ENV_MODEL}=embedded for the built-in local model."
                )
            return ModelChoice(
                "openai", name or DEFAULT_OPENAI_MODEL, base_url, f"{ENV_MODEL}={raw}"
            )
        raise ValueError(
            f"Unknown {ENV_MODEL}={raw!r}; expected 'embedded', 'embedded:1.5b', 'openai' or "
            f"'openai:<model-name>' (e.g. 'openai:{DEFAULT_OPENAI_MODEL}'). Fix or unset "
            f"{ENV_MODEL} (unset: OpenAI if OPENAI_API_KEY is set, else the embedded model)."
        )
    if env.get("OPENAI_API_KEY"):
        return ModelChoice("openai", DEFAULT_OPENAI_MODEL, base_url, "OPENAI_API_KEY is set")
    return ModelChoice("embedded", embedded.MODEL_ALIAS, None, "no OPENAI_API_KEY")


# --- building models -----------------------------------------------------------------------


def request_timeout(default: float, env: Mapping[str, str] | None = None) -> float:
    """``SIGNOFF_MODEL_TIMEOUT`` in seconds, else `default`; ValueError for a bad value."""
    env = os.environ if env is None else env
    raw = (env.get(ENV_TIMEOUT) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 3600:
        raise ValueError(
            f"{ENV_TIMEOUT}={raw!r} is not a number of seconds between 1 and 3600; set it to "
            f"e.g. 300, or unset it for the default ({default:.0f})."
        )
    return value


def load_chat_model(*, temperature: float = 0.2, **kwargs: Any) -> BaseChatModel:
    """Build the chat model the environment selects (see the module docstring).

    ``kwargs`` go to ``ChatOpenAI`` and win over the defaults (``max_tokens=700``,
    ``timeout``). The embedded server is started on first use and shared by the process.
    """
    from langchain_openai import ChatOpenAI  # seconds to import: only once a model is built

    choice = resolve_model_choice()
    settings: dict[str, Any] = {"temperature": temperature, "max_tokens": DEFAULT_MAX_TOKENS}
    if choice.provider == "openai":
        settings["timeout"] = request_timeout(OPENAI_TIMEOUT_S)
        if choice.base_url:
            settings["base_url"] = choice.base_url
            if not os.environ.get("OPENAI_API_KEY"):
                # OpenAI-compatible servers (Ollama, vLLM) often want no key; the client does.
                settings["api_key"] = SecretStr("not-needed")
        settings.update(kwargs)
        return ChatOpenAI(model=choice.model, **settings)

    base_url = embedded.get_server(embedded.spec_for(choice.model)).start()
    sync_client, async_client = _embedded_http_clients()
    settings.update(
        timeout=request_timeout(EMBEDDED_TIMEOUT_S),
        max_retries=0,  # a retried timeout would queue a second generation behind the first
        frequency_penalty=EMBEDDED_FREQUENCY_PENALTY,
        http_client=sync_client,
        http_async_client=async_client,
    )
    settings.update(kwargs)
    return ChatOpenAI(
        model=choice.model,
        base_url=base_url,
        api_key=SecretStr(_EMBEDDED_API_KEY),
        **settings,
    )


def describe_model() -> str:
    """Which model and where, for the UI and logs. Starts nothing; never raises."""
    try:
        choice = resolve_model_choice()
    except ValueError as exc:
        return f"misconfigured: {exc}"
    if choice.provider == "openai":
        where = choice.base_url or "api.openai.com"
        return f"OpenAI {choice.model} at {where} ({choice.reason})"
    server = embedded.current_server()
    where = f"running at {server.base_url}" if server and server.is_running else "not started"
    return (
        f"embedded {embedded.spec_for(choice.model).display_name} (llama.cpp on this machine, {where}; "
        f"{choice.reason})"
    )


# --- the embedded server's HTTP clients --------------------------------------------------------


def _rewrite_request(request: httpx.Request, content: bytes) -> httpx.Request:
    if request.method != "POST" or not request.url.path.endswith("/chat/completions"):
        return request
    try:
        body = json.loads(content)
    except ValueError:
        return request
    if not isinstance(body, dict):
        return request
    rewritten = embedded.llguidance_request(body)
    if rewritten is body:
        return request
    headers = request.headers.copy()
    headers.pop("content-length", None)
    return httpx.Request(
        request.method,
        request.url,
        headers=headers,
        content=json.dumps(rewritten).encode(),
        extensions=request.extensions,
    )


class _GrammarTransport(httpx.HTTPTransport):
    """Sends structured-output requests to llama.cpp as llguidance grammars."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        from graphs.model_share import retry_on_lost_server  # the machine's shared server

        return retry_on_lost_server(
            super().handle_request, _rewrite_request(request, request.read())
        )


class _AsyncGrammarTransport(httpx.AsyncHTTPTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        from graphs.model_share import aretry_on_lost_server  # the machine's shared server

        content = await request.aread()
        return await aretry_on_lost_server(
            super().handle_async_request, _rewrite_request(request, content)
        )


@functools.cache
def _embedded_http_clients() -> tuple[httpx.Client, httpx.AsyncClient]:
    # An explicit transport also keeps environment proxies away from 127.0.0.1.
    return (
        httpx.Client(transport=_GrammarTransport()),
        httpx.AsyncClient(transport=_AsyncGrammarTransport()),
    )
