"""Seconds for one email + post campaign on the embedded model, its memory, and what went out.

    uv run python -m bench.campaign_time [--model embedded|embedded:1.5b] [--runs 3]

Each run is a fresh data directory with one product's fact sheet and brand (three products in
turn: goods, software, a local business), a brief with an offer and a link. Prints `key=value`
lines: seconds to the first drafted action, to the first one in the inbox and to the whole
campaign in the inbox per run (with the load average beside them), the llama.cpp server's
peak resident memory, and deterministic scores of the drafts as they would go out:
placeholder-free, on-product (no figure from another product's sheet or the sample kit),
complete (no unfinished last sentence, no repeated sentence), fits (the post within 280
characters), offer (its price and code in the copy). The drafts go to stderr.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PRODUCTS: list[dict[str, Any]] = [
    {
        "brand": ("Northpeak", "news@northpeak.example", "The Northpeak team"),
        "facts": "# Northpeak 30L hiking backpack\n\n## Price\nThe Northpeak 30L backpack costs "
        "€89.\n\n## Spring offer\nUntil 31 May, the Northpeak 30L costs €59 with the code "
        "SPRING.\n\n## Build\nMade of recycled nylon. It weighs 1.1 kg and has a lifetime "
        "warranty.\n\n## Fit\nThe back panel adjusts to torso lengths from 40 to 52 cm.\n",
        "brief": {
            "product": "Northpeak 30L backpack",
            "audience": "weekend hikers",
            "goal": "spring sales",
            "offer": "€59 until 31 May with the code SPRING",
            "link": "https://northpeak.example/spring",
        },
    },
    {
        "brand": ("Tallyo", "hello@tallyo.example", "Sam from Tallyo"),
        "facts": "# Tallyo invoicing\n\n## Plans\nTallyo Solo costs $12 a month; Tallyo Team "
        "costs $29 a month for up to 5 users.\n\n## Trial\nEvery plan starts with a 30-day free "
        "trial, no card needed.\n\n## Offer\nWith the code TALLY3, the first 3 months of Tallyo "
        "Team cost $19 a month.\n\n## What it does\nTallyo sends invoices, chases late payments "
        "by email and exports to Xero and QuickBooks.\n",
        "brief": {
            "product": "Tallyo invoicing",
            "audience": "freelancers who invoice by hand",
            "goal": "trial sign-ups",
            "offer": "$19 a month for 3 months with the code TALLY3",
            "link": "https://tallyo.example/team",
        },
    },
    {
        "brand": ("Crumb & Co", "bakery@crumb.example", "Mia at Crumb & Co"),
        "facts": "# Crumb & Co bakery\n\n## Sourdough club\nThe sourdough club delivers 2 loaves a "
        "week for £9 a week in Leeds.\n\n## Opening hours\nThe shop on Kirkgate opens 7am to 3pm, "
        "Tuesday to Sunday.\n\n## First week\nThe first week of the sourdough club is £5 with the "
        "code FIRSTLOAF.\n\n## Flour\nEvery loaf uses organic Yorkshire flour and a 48-hour "
        "ferment.\n",
        "brief": {
            "product": "Crumb & Co sourdough club",
            "audience": "busy families in Leeds",
            "goal": "club sign-ups",
            "offer": "£5 for the first week with the code FIRSTLOAF",
            "link": "https://crumb.example/club",
        },
    },
]
SAMPLE_FIGURES = ("$149", "$39", "23%", "LOOP26", "4.7", "3,400", "$212")
_FIGURE = re.compile(r"[€$£]\s?\d[\d,.]*\d|[€$£]\d|\d[\d,.]*\s?%|\b[A-Z]+\d+[A-Z0-9]*\b")


def _rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def score(item: dict[str, Any], product: dict[str, Any], others: list[str]) -> dict[str, bool]:
    from graphs.channels import by_action
    from graphs.channels.text import sentences
    from graphs.checks.draft import BRACKETS, NAMED_BLANK, offer_tokens

    copy = by_action(item["action"]).copy(item["args"])
    words = copy.replace(product["brief"]["link"], "")
    figures = {f.rstrip(".,") for f in _FIGURE.findall(words)}
    foreign = [f for f in figures if any(f in o for o in others) and f not in product["facts"]]
    said = [re.sub(r"\W+", " ", s.lower()).strip() for s in sentences(words)]
    if item["action"] == "publish_post":
        text, limit = copy.rsplit(" https://", 1)[0].strip(), 280 - len(product["brief"]["link"])
    else:  # the message the model wrote: between the greeting and the link
        text, limit = item["args"]["body"].split("\n\n")[1], 1200
    cut = text.rstrip()[-1:] not in '.!?…"”)' and len(text) >= limit - 10
    return {
        "placeholder_free": not BRACKETS.search(copy) and not NAMED_BLANK.search(copy),
        "on_product": not foreign and not any(f in words for f in SAMPLE_FIGURES),
        "complete": len(said) == len(set(said)) and not cut,
        "fits": item["action"] != "publish_post" or len(copy) <= 280,
        "offer": all(t in copy for t in offer_tokens(product["brief"]["offer"])),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=os.environ.get("SIGNOFF_MODEL", "embedded"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ["SIGNOFF_MODEL"] = args.model
    from graphs import embedded
    from graphs.brand import Brand, BrandBook
    from graphs.model import load_chat_model
    from graphs.runtime import Signoff

    started = time.monotonic()
    load_chat_model()  # start the server outside the timed runs
    print(f"model={args.model}", flush=True)
    print(f"server_start_s={time.monotonic() - started:.1f}", flush=True)
    totals: dict[str, int] = {}
    drafts = 0
    for run in range(1, args.runs + 1):
        product = PRODUCTS[(run - 1) % len(PRODUCTS)]
        others = [p["facts"] for p in PRODUCTS if p is not product]
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            name, address, signature = product["brand"]
            BrandBook(home).save(
                Brand(
                    name=name,
                    sender_name=name,
                    from_address=address,
                    signature=signature,
                    postal_address="1 High Street",
                    products=(product["brief"]["product"],),
                )
            )
            with Signoff(home) as signoff:
                signoff.kb.add_text(
                    "facts.md", product["facts"], product=product["brief"]["product"]
                )
                marks: list[tuple[float, str]] = []
                t0 = time.monotonic()
                result = signoff.start(
                    dict(product["brief"]),
                    on_progress=lambda step, msg, marks=marks, t0=t0: marks.append(
                        (time.monotonic() - t0, msg)
                    ),
                )
                total = time.monotonic() - t0
                first = next((t for t, m in marks if m.startswith("Drafted the")), total)
                # announced once the runtime has put it in the inbox (each action on its own
                # branch: before the others are drafted)
                shown = next((t for t, m in marks if m.startswith("Waiting for your")), total)
                print(f"run{run}_first_draft_s={first:.1f}", flush=True)
                print(f"run{run}_first_in_inbox_s={shown:.1f}", flush=True)
                print(f"run{run}_inbox_s={total:.1f}", flush=True)
                print(f"run{run}_loadavg={os.getloadavg()[0]:.1f}", flush=True)
                for item in result["pending"]:
                    scores = score(item, product, others)
                    drafts += 1
                    for key, ok in scores.items():
                        totals[key] = totals.get(key, 0) + int(ok)
                    print(
                        f"--- {item['action']} (AI review rounds {item.get('review_rounds')}, "
                        f"left {item.get('review_notes')}; {scores})\n{item['text']}\n",
                        file=sys.stderr,
                        flush=True,
                    )
    for key, ok in totals.items():
        print(f"{key}={ok}/{drafts}")
    server = embedded.current_server()
    if server is not None and server.pid:
        print(f"server_peak_rss_mib={_rss_mib(server.pid):.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
