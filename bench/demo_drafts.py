"""The demo brief's drafts, as a new user's first campaign gets them: what is left for the reviewer.

    uv run python -m bench.demo_drafts --runs 3        # the embedded model, email and post
    uv run python -m bench.demo_drafts --model fake    # structure only

Runs the New campaign page's example brief (the sample kit's Brightloop 2) `--runs` times, each in
a temporary SIGNOFF_HOME, and counts per draft: customers' sentences still restated as the brand's
claim (the card's notes), quotes attributed to the customer who said them, an email whose message
starts with a stray name from a greeting ("Leeds! We're excited…") or with the audience called
out ("Homeowners with high heating bills! We are excited…"), the AI review's rounds and notes,
and the seconds per campaign. Prints one line per draft and a total.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT, ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from graphs.runtime import Signoff  # noqa: E402

BRIEF = {
    "product": "Brightloop 2 smart thermostat",
    "audience": "Homeowners with high heating bills",
    "goal": "Pre-orders before winter",
    "to": "customers@example.com",
    "channels": ["email", "social"],
}
# the message's first words are a name or names and a "!" or "," ("Leeds! …", "Leeds and Tom, …")
_STRAY = re.compile(r"^[A-Z][\w'’-]*(?:(?:,| and| &)? [A-Z][\w'’-]*){0,5}[!,]")


def score(item: dict[str, Any]) -> dict[str, Any]:
    """One pending draft's counts (`Signoff.start(...)["pending"]` item)."""
    args = item.get("args", {})
    text = str(args.get("body") or args.get("text") or "")
    message = text.split("\n\n", 1)[1] if text.startswith("Hello,\n\n") else text
    notes = list(item.get("review_notes") or [])
    rounds = item.get("review_rounds")
    return {
        "action": item.get("action"),
        "restated_left": sum("customer's words" in n for n in notes),
        "attributed": len(re.findall(r"[”\"] — [A-Z]", text)),
        "stray_greeting": bool(_STRAY.match(message.lstrip())),
        # the audience's first word opening the message (told apart from the writer's own rule)
        "audience_opening": message.lstrip()
        .lower()
        .startswith(BRIEF["audience"].split()[0].lower()),
        "rounds": rounds if isinstance(rounds, int) else len(rounds or []),
        "notes": len(notes),
    }


def run(runs: int, chat_model: Any = None) -> list[dict[str, Any]]:
    rows = []
    for n in range(runs):
        with tempfile.TemporaryDirectory(prefix="signoff-demo-") as home:
            started = time.perf_counter()
            with Signoff(Path(home), model=chat_model) as signoff:
                pending = signoff.start(dict(BRIEF))["pending"]
            seconds = round(time.perf_counter() - started, 1)
        for item in pending:
            rows.append({"run": n + 1, **score(item), "seconds": seconds})
            print(rows[-1], flush=True)
    return rows


def totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("restated_left", "attributed", "stray_greeting", "audience_opening", "rounds", "notes")
    seconds = sorted({(r["run"], r["seconds"]) for r in rows})
    return {
        "drafts": len(rows),
        **{k: sum(int(r[k]) for r in rows) for k in keys},
        "seconds": [s for _, s in seconds],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="campaigns (default 3)")
    parser.add_argument("--model", default=None, help="'fake' for the scripted model")
    args = parser.parse_args(argv)
    chat_model: Any = None
    if args.model == "fake":
        from fakes import ScriptedChatModel

        chat_model = ScriptedChatModel()
    print("total", totals(run(args.runs, chat_model)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
