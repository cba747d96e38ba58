"""Helpers the CLI tests share: the brief they start campaigns from, the facade over the CLI's
data directory (to set a scene and check it), and a `signoff decide` killed mid-send."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fakes import ScriptedChatModel

from graphs.runtime import Signoff

ROOT = Path(__file__).resolve().parents[1]
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


def unsupported_claim_model() -> ScriptedChatModel:
    """A model whose every draft (the first and both AI review rounds) claims a price the
    facts do not hold: "costs $19 today only"."""
    return ScriptedChatModel(
        script=[
            {
                "subject": "Save big",
                "body": "The Brightloop 2 costs $19 today only. Order yours before midnight and "
                "keep your home warm all winter long. Reply to this email.",
            }
        ]
        * 3
    )


def crash_after_claim(item_id: str, smtp: str) -> None:
    """`signoff decide ITEM approve` in a process of its own that dies right after claiming the
    send (as if killed mid-send) over plain SMTP, which cannot tell whether a message went out."""
    crashed = subprocess.run(
        [sys.executable, "-m", "ui", "decide", item_id, "approve", "-q"],
        cwd=ROOT,
        env={**os.environ, "SIGNOFF_CRASH_AT": "after_claim", "SIGNOFF_SMTP_URL": smtp},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
