"""One embedded model server per machine, shared by every process that drafts.

The page, the CLI and each worker used to start their own ~740 MiB llama.cpp server. Now the
first process that needs the model starts it (graphs/embedded.py) and records its address, its
pid and its owner's pid in a small file beside the model in the cache directory, under a file
lock; every other process reads that record and reuses the server while its `/health` answers.

The owner stops the server when it exits (the server also stops when its parent dies). A
process whose server went away takes over on its next request: under the lock it finds a
record of a live server someone else started meanwhile, or starts its own and records it
(`retry_on_lost_server` in the model's HTTP transport does that once per request).

`SIGNOFF_MODEL_SHARE=off` gives each process its own server (the previous behaviour).
`SIGNOFF_MODEL_SHARE_DIR` keeps the record in another folder: processes that name the same
folder share one server, and none of them joins a server recorded elsewhere (the tests use it so
that a developer's own `make run` does not own the server a test starts and stops).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from graphs import embedded

log = logging.getLogger(__name__)

ENV_SHARE = "SIGNOFF_MODEL_SHARE"
ENV_SHARE_DIR = "SIGNOFF_MODEL_SHARE_DIR"


def sharing() -> bool:
    return os.environ.get(ENV_SHARE, "on").strip().lower() not in ("off", "0", "false", "no")


def record_path(spec: embedded.ModelSpec) -> Path:
    """The record of the machine's running server for this model: beside the model file, or in
    `SIGNOFF_MODEL_SHARE_DIR` when that is set."""
    model = embedded.default_model_path(spec)
    folder = os.environ.get(ENV_SHARE_DIR, "").strip()
    name = model.name + ".server.json"
    return Path(folder).expanduser() / name if folder else model.with_name(name)


def _pid_alive(pid: Any) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError, TypeError):
        return False
    except PermissionError:
        return True
    return True


def _read(path: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _write(path: Path, record: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(record))
    os.replace(tmp, path)


class SharedModelServer:
    """The machine's embedded server for one model: reused when another process runs it,
    started (and recorded) here otherwise. The interface of `EmbeddedModelServer`."""

    def __init__(self, spec: embedded.ModelSpec | None = None) -> None:
        self.spec = spec or embedded.DEFAULT_SPEC
        self.alias = self.spec.alias
        self.own = embedded.EmbeddedModelServer(spec=self.spec)
        self._shared: dict[str, Any] | None = None  # another process's server we use
        self._lock = threading.RLock()

    # -- state --
    @property
    def owner(self) -> bool:
        return self.own.is_running

    @property
    def is_running(self) -> bool:
        if self.own.is_running:
            return True
        shared = self._shared
        return shared is not None and _pid_alive(shared.get("pid"))

    @property
    def base_url(self) -> str | None:
        if self.own.is_running:
            return self.own.base_url
        return f"{self._shared['address']}/v1" if self.is_running and self._shared else None

    @property
    def port(self) -> int | None:
        if self.own.is_running:
            return self.own.port
        return int(self._shared["port"]) if self.is_running and self._shared else None

    @property
    def pid(self) -> int | None:
        if self.own.is_running:
            return self.own.pid
        return int(self._shared["pid"]) if self.is_running and self._shared else None

    @property
    def model_path(self) -> Path:
        return self.own.model_path

    @property
    def start_seconds(self) -> float | None:
        return self.own.start_seconds

    # -- lifecycle --
    def start(self) -> str:
        """The base URL of the machine's server: reused, taken over or started here."""
        with self._lock:
            if self.own.is_running:
                return str(self.own.base_url)
            shared = self._shared
            if shared and _pid_alive(shared.get("pid")) and self._healthy(shared):
                return f"{shared['address']}/v1"
            self._shared = None
            path = record_path(self.spec)
            path.parent.mkdir(parents=True, exist_ok=True)
            with embedded._file_lock(path.with_name(path.name + ".lock")):
                record = _read(path)
                if (
                    record
                    and record.get("alias") == self.alias
                    and record.get("owner") != os.getpid()
                    and _pid_alive(record.get("pid"))
                    and self._healthy(record)
                ):
                    self._shared = record
                    log.info(
                        "using the embedded model server of process %s at %s",
                        record.get("owner"),
                        record["address"],
                    )
                    return f"{record['address']}/v1"
                url = self.own.start()  # ours: recorded for every other process
                _write(
                    path,
                    {
                        "alias": self.alias,
                        "address": url.removesuffix("/v1"),
                        "port": self.own.port,
                        "pid": self.own.pid,
                        "owner": os.getpid(),
                        "started_at": time.time(),
                    },
                )
                return url

    @staticmethod
    def _healthy(record: dict[str, Any]) -> bool:
        return embedded._http_status(f"{record['address']}/health", timeout=2.0) == 200

    def stop(self) -> None:
        """Stop our own server (and drop its record); stop using another process's."""
        with self._lock:
            self._shared = None
            if not self.own.is_running:
                self.own.stop()  # tidy a server that exited
                return
            path = record_path(self.spec)
            with contextlib.suppress(OSError):
                with embedded._file_lock(path.with_name(path.name + ".lock")):
                    record = _read(path)
                    if record and record.get("owner") == os.getpid():
                        path.unlink(missing_ok=True)
            self.own.stop()

    def __enter__(self) -> SharedModelServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        whose = "ours" if self.owner else "shared" if self._shared else "stopped"
        return f"<SharedModelServer {self.alias} {whose} {self.base_url or ''}>"


LOST = (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError)


def _retarget(request: httpx.Request) -> httpx.Request | None:
    """The request pointed at the machine's server now (taken over if it went away)."""
    server = embedded.current_server()
    if server is None:
        return None
    url = httpx.URL(server.start())
    if (url.host, url.port) == (request.url.host, request.url.port):
        return None
    log.warning("the embedded model server at %s went away; now %s", request.url.netloc, url)
    return httpx.Request(
        request.method,
        request.url.copy_with(host=url.host, port=url.port),
        headers=request.headers,
        content=request.content,
        extensions=request.extensions,
    )


def retry_on_lost_server(
    send: Callable[[httpx.Request], httpx.Response], request: httpx.Request
) -> httpx.Response:
    """Send; if the shared server is gone (its owner exited), take over and send once more."""
    try:
        return send(request)
    except LOST:
        again = _retarget(request)
        if again is None:
            raise
        return send(again)


async def aretry_on_lost_server(
    send: Callable[[httpx.Request], Awaitable[httpx.Response]], request: httpx.Request
) -> httpx.Response:
    try:
        return await send(request)
    except LOST:
        again = _retarget(request)
        if again is None:
            raise
        return await send(again)
