"""Seconds for one email + post campaign on the embedded model, and the model server's memory.

    uv run python -m bench.campaign_time [--model embedded|embedded:1.5b] [--runs 2]

Prints `key=value` lines: seconds to the first drafted action and to the inbox, per run, and
the llama.cpp server's peak resident memory. Each run is a fresh data directory holding one
product's fact sheet and brand (not the sample), with the brief's offer and link, so the drafts
can be read for placeholders, other products' figures and completeness (printed to stderr).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FACTS = """# Northpeak 30L hiking backpack

## Price
The Northpeak 30L backpack costs €89.

## Spring offer
Until 31 May, the Northpeak 30L costs €59 with the code SPRING.

## Build
Made of recycled nylon. It weighs 1.1 kg and has a lifetime warranty.

## Fit
The back panel adjusts to torso lengths from 40 to 52 cm.
"""

BRIEF = {
    "product": "Northpeak 30L backpack",
    "audience": "weekend hikers",
    "goal": "spring sales",
    "offer": "€59 until 31 May with the code SPRING",
    "link": "https://northpeak.example/spring",
    "channels": ["email", "social"],
}


def _rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=os.environ.get("SIGNOFF_MODEL", "embedded"))
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    os.environ["SIGNOFF_MODEL"] = args.model
    from graphs import embedded
    from graphs.brand import Brand, BrandBook
    from graphs.model import load_chat_model
    from graphs.runtime import Signoff

    started = time.monotonic()
    load_chat_model()  # start the server outside the timed runs
    print(f"model={args.model}")
    print(f"server_start_s={time.monotonic() - started:.1f}")
    for run in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            BrandBook(home).save(
                Brand(
                    name="Northpeak",
                    sender_name="Northpeak",
                    from_address="news@northpeak.example",
                    signature="The Northpeak team",
                    postal_address="Northpeak Gear, 4 Quay Road, Bristol",
                    avoid=("not perfect",),
                    products=("Northpeak",),
                )
            )
            with Signoff(home) as signoff:
                signoff.kb.add_text("northpeak.md", FACTS, product="Northpeak 30L backpack")
                marks: list[tuple[float, str]] = []
                t0 = time.monotonic()
                result = signoff.start(
                    dict(BRIEF),
                    on_progress=lambda step, msg, marks=marks, t0=t0: marks.append(
                        (time.monotonic() - t0, msg)
                    ),
                )
                total = time.monotonic() - t0
                first = next((t for t, m in marks if m.startswith("Drafted the")), total)
                print(f"run{run}_first_draft_s={first:.1f}")
                print(f"run{run}_inbox_s={total:.1f}")
                for item in result["pending"]:
                    print(
                        f"--- {item['action']} (rounds {item.get('review_rounds')}, left "
                        f"{item.get('review_notes')})\n{item['text']}\n",
                        file=sys.stderr,
                    )
    server = embedded.current_server()
    if server is not None and server.pid:
        print(f"server_peak_rss_mib={_rss_mib(server.pid):.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
