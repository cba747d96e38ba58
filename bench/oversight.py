"""What earned autonomy saves and what it lets through: `make oversight`.

    uv run python -m bench.oversight [--days 90] [--seed 7] [--holdout 2026] [--json]

Replays a generated 90-day history (graphs/oversight.py) through "review everything" and through
the shipped earned-autonomy policy (promotions confirmed as a person would), and prints the
reviews saved and what went out unreviewed that a person would have stopped (rejected or sent
back) or changed (edited), by risk tier. Seed 7 is the development seed; the holdout seed was
never looked at while writing the generator or the policy.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/oversight.py` as well as `-m`
    sys.path.insert(0, str(ROOT))

from graphs.oversight import generate, replay, review_everything  # noqa: E402
from graphs.policy import load_policy  # noqa: E402

DEV_SEED = 7
HOLDOUT_SEED = 2026
GOAL_SAVED = 0.60


def run(seed: int, days: int, policy_path: str | None = None) -> dict[str, Any]:
    history = generate(seed, days)
    policy = load_policy(policy_path)
    shipped = replay(history, policy, seed=seed, name=f"shipped policy {policy.version}")
    baseline = review_everything(history)
    return {
        "seed": seed,
        "days": days,
        "proposals": len(history),
        "would_stop": sum(1 for p in history if p.verdict in ("reject", "revise")),
        "would_change": sum(1 for p in history if p.verdict == "edit"),
        "baseline": baseline.summary(),
        "shipped": shipped.summary(),
        "promotions": shipped.promotions,
    }


def show(label: str, r: dict[str, Any]) -> None:
    s, b = r["shipped"], r["baseline"]
    print(f"\n== {label}: seed {r['seed']}, {r['days']} days, {r['proposals']} proposals ==")
    print(
        f"a person would stop {r['would_stop']} and change {r['would_change']} of them "
        f"({(r['would_stop'] + r['would_change']) / r['proposals']:.1%})"
    )
    print(f"{'':34}{'reviews':>9}{'saved':>8}   stopped-worthy unreviewed (low/med/high)")
    for row in (b, s):
        st = row["stopped_unreviewed"]
        print(
            f"{row['policy'][:33]:34}{row['reviews']:>9}{row['saved']:>8.1%}   "
            f"{st['low']}/{st['medium']}/{st['high']}"
        )
    ch = s["changed_unreviewed"]
    print(f"edit-worthy unreviewed (low/med/high): {ch['low']}/{ch['medium']}/{ch['high']}")
    print(f"promotions confirmed: {s['promotions']}, demotions: {s['demotions']}")
    met = s["saved"] >= GOAL_SAVED and s["stopped_unreviewed"]["high"] == 0
    print(
        f"goal (≥ {GOAL_SAVED:.0%} saved, 0 high-risk stopped-worthy unreviewed): "
        + ("met" if met else "NOT met")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=DEV_SEED)
    parser.add_argument("--holdout", type=int, default=HOLDOUT_SEED)
    parser.add_argument("--policy", default=None, help="a policy file (default: the shipped one)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = {
        "development": run(args.seed, args.days, args.policy),
        "holdout": run(args.holdout, args.days, args.policy),
    }
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        for label, r in results.items():
            show(label, r)
    return 0


if __name__ == "__main__":
    sys.exit(main())
