"""Is the machine's model ready? Read from what every process can see, never by starting it.

The embedded model server is shared by the processes of one machine (graphs/model_share.py):
whichever process drafts first (usually the worker that `make run` starts) starts it and
records its address and pid beside the weights (`<model>.gguf.server.json`). The page does not
draft, so it never owns the server; it reads that record and asks the server's `/health`:

- ready: a live server answers 200;
- starting: a process holds the record's lock (loading the model) or the join lock (joining
  the weights on first use), or the server answers 503 (still loading);
- down: the record names a server that is gone or does not answer;
- idle: no server yet (it starts with the first draft).

An OpenAI (or OpenAI-compatible) model is `remote`; a bad setting is `misconfigured`.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from graphs import embedded, model_share

State = Literal["ready", "starting", "down", "idle", "remote", "misconfigured"]


@dataclass(frozen=True)
class ModelStatus:
    state: State
    label: str  # a few words for a marketer: "Model ready"
    advice: str  # what it means for drafts, and what to do ("" when nothing is to be done)
    detail: str  # for an engineer: which model, where, which process


def _locked(path: Path) -> bool:
    """Does a process hold this lock file now (without waiting for it)?"""
    if not path.exists():
        return False
    try:
        with path.open("a") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    except OSError:
        return False
    return False


def _record(path: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("address") else None


def _alive(pid: Any) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError, TypeError, OverflowError):
        return False
    except PermissionError:
        return True
    return True


def model_status(*, timeout: float = 2.0) -> ModelStatus:
    """The model that drafts on this machine and whether it is ready. Starts nothing; never
    raises; at most one `/health` request (`timeout` seconds)."""
    from graphs.model import resolve_model_choice

    try:
        choice = resolve_model_choice()
    except ValueError as exc:
        return ModelStatus("misconfigured", "Model not set up", str(exc), "")
    if choice.provider == "openai":
        where = choice.base_url or "api.openai.com"
        return ModelStatus(
            "remote", f"Model: OpenAI {choice.model}", "", f"{where} ({choice.reason})"
        )
    spec = embedded.spec_for(choice.model)
    name = spec.display_name
    weights = embedded.default_model_path(spec)

    own = embedded.current_server()  # this process's server (a test's, or a CLI's)
    if own is not None and own.is_running and own.base_url:
        address = str(own.base_url).removesuffix("/v1")
        if embedded._http_status(f"{address}/health", timeout=timeout) == 200:
            return ModelStatus(
                "ready", "Model ready", "", f"{name}, llama.cpp at {address} (pid {own.pid})"
            )

    record_file = model_share.record_path(spec)
    record = _record(record_file) if model_share.sharing() else None
    if record is not None and record.get("alias", spec.alias) == spec.alias:
        address, pid, owner = record["address"], record.get("pid"), record.get("owner")
        where = f"{name}, llama.cpp at {address} (pid {pid}, started by process {owner})"
        if not _alive(pid):
            if _locked(record_file.with_name(record_file.name + ".lock")):
                return _starting(name)
            return ModelStatus(
                "down",
                "Model stopped",
                "Drafts wait until it runs again: the worker starts it again with its next "
                "draft. If nothing moves, restart Signoff (`make run`).",
                where + "; that process has exited",
            )
        status = embedded._http_status(f"{address}/health", timeout=timeout)
        if status == 200:
            return ModelStatus("ready", "Model ready", "", where)
        if status == 503:
            return _starting(name, where)
        return ModelStatus(
            "down",
            "Model not answering",
            "It may be busy or stuck, so drafts wait. If this lasts, restart Signoff (`make run`).",
            where + (f"; /health answered {status}" if status else "; /health did not answer"),
        )
    if _locked(record_file.with_name(record_file.name + ".lock")):
        return _starting(name)
    if _locked(weights.with_name(weights.name + ".lock")):
        return ModelStatus(
            "starting",
            "Model starting",
            "Preparing the model on first use (a minute or two); drafts begin once it is ready.",
            f"{name}: joining the weights into the cache",
        )
    return ModelStatus(
        "idle",
        "Model not running yet",
        "It starts with the first draft (usually within a minute).",
        f"{name}, llama.cpp on this machine"
        + ("" if model_share.sharing() else " (SIGNOFF_MODEL_SHARE=off: one per process)"),
    )


def _starting(name: str, where: str = "") -> ModelStatus:
    return ModelStatus(
        "starting",
        "Model starting",
        "Loading the model (usually under a minute); drafts begin once it is ready.",
        where or f"{name}: loading into llama.cpp",
    )
