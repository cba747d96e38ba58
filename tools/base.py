"""What every outbound tool declares: its arguments, its risk and how its connector behaves.

A tool's docstring is its contract; its risk spec sits next to it. Only the executor
(`graphs/executor.py`) calls `OutboundTool.run`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

Tier = Literal["low", "medium", "high"]


@dataclass(frozen=True)
class RiskSpec:
    tier: Tier
    reversible: bool
    why: str  # in words a marketer understands


@dataclass(frozen=True)
class Settings:
    """Where connectors deliver: the data directory and, optionally, a real SMTP server."""

    home: Path
    smtp_url: str | None = None


class ConnectorError(Exception):
    """The connector could not do the action; `str()` says why and what to do."""


@dataclass(frozen=True)
class OutboundTool:
    name: str
    channel: str
    title: str  # "Send email"
    args_model: type[BaseModel]
    risk: RiskSpec
    run: Callable[
        [dict[str, Any], str, Settings], dict[str, Any]
    ]  # (args, idempotency key, settings)
    honours_key: Callable[[Settings], bool]  # may a call stuck in `sending` be retried safely?
    preview: Callable[[dict[str, Any]], str]  # the text a reviewer reads

    def validate_args(self, args: dict[str, Any]) -> dict[str, Any]:
        """Validated, normalised args; raises ValueError with a message for a person."""
        try:
            return self.args_model.model_validate(args).model_dump()
        except ValidationError as exc:
            raise ValueError(describe_validation(exc, self.args_model)) from exc


_CITATION = re.compile(r"\s?\[\d+(?:\s*,\s*\d+)*\]")


def strip_citations(text: str) -> str:
    """Citation marks like [1] or [1, 2] are for the reviewer; they never go out."""
    return _CITATION.sub("", text)


def validation_problems(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"] if not str(p).startswith("Edit_")) or "(value)"
        problems.append(f"{where}: {err['msg']} (got {err.get('input')!r})")
    return "; ".join(problems)


def describe_validation(exc: ValidationError, model: type[BaseModel]) -> str:
    problems = validation_problems(exc)
    fields = ", ".join(
        f"{name}{'' if f.is_required() else '?'}" for name, f in model.model_fields.items()
    )
    return f"{problems}. Expected fields: {fields}."
