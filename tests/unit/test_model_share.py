"""The model's HTTP transport follows the machine's shared model server: a request that finds
its server gone (the owner exited) is sent once more to the server that took over."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from loopback import PageHandler, serving
from support import free_port

from graphs import embedded, model_share


class Answer(PageHandler):
    def do_POST(self) -> None:  # noqa: N802 - the standard library's name
        body = self.rfile.read(int(self.headers["content-length"]))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"took over: " + body)


@pytest.fixture
def survivor() -> Iterator[int]:
    with serving(Answer) as port:
        yield port


def test_a_request_to_a_gone_server_goes_to_the_one_that_took_over(
    survivor: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Shared:
        def start(self) -> str:
            return f"http://127.0.0.1:{survivor}/v1"

    monkeypatch.setattr(embedded, "current_server", lambda: Shared())
    gone = free_port()
    with httpx.HTTPTransport() as transport:
        request = httpx.Request(
            "POST", f"http://127.0.0.1:{gone}/v1/chat/completions", content=b"x"
        )
        response = model_share.retry_on_lost_server(transport.handle_request, request)
        response.read()
    assert response.status_code == 200 and response.content == b"took over: x"


def test_no_shared_server_means_the_error_stands(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded, "current_server", lambda: None)
    request = httpx.Request("POST", f"http://127.0.0.1:{free_port()}/v1/x", content=b"x")
    with httpx.HTTPTransport() as transport, pytest.raises(httpx.ConnectError):
        model_share.retry_on_lost_server(transport.handle_request, request)


def test_sharing_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(model_share.ENV_SHARE, "off")
    assert not model_share.sharing()
    monkeypatch.delenv(model_share.ENV_SHARE)
    assert model_share.sharing()
    assert model_share.record_path(embedded.DEFAULT_SPEC).name.endswith(".gguf.server.json")
