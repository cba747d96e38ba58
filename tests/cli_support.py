"""Helpers the CLI tests share: the brief they start campaigns from, and the facade over the
CLI's data directory (to set a scene and check it)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fakes import ScriptedChatModel

from graphs.runtime import Signoff

BRIEF = {
    "product": "Brightloop 2 smart thermostat",
    "audience": "homeowners with high heating bills",
    "goal": "pre-orders before winter",
}
BRIEF_TEXT = "product: Brightloop 2 smart thermostat\naudience: homeowners\ngoal: pre-orders"


@contextmanager
def seeded(home: Path, model: ScriptedChatModel | None = None) -> Iterator[Signoff]:
    """The facade over the same data directory (and policy), to set a scene and check it."""
    runtime = Signoff(home, model=model or ScriptedChatModel(), recover=False)
    try:
        yield runtime
    finally:
        runtime.close()
