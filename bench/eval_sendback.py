"""Send-backs that ask for a customer's quote: does the redraft do it? (graphs/eval_sendback.py)

    uv run python -m bench.eval_sendback                 # Tom of Denver 4 times + the holdout
    uv run python -m bench.eval_sendback --runs 4 --holdout 0   # only "Quote Tom from Denver"
    uv run python -m bench.eval_sendback --model fake --runs 1  # structure only
    uv run python -m bench.eval_sendback --rescore before.json  # earlier redrafts, today's checks

Prints, per set (tuning: the sample kit's Tom; holdout: the drafts eval's products with a
customer quote), how many redrafts came back unchanged (the card's note), were retried, name the
customer, quote them (checked as attributed) and so followed the send-back. `--json FILE` writes
every run, drafts before and after included.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/eval_sendback.py` as well as `-m`
    sys.path.insert(0, str(ROOT))

from graphs.eval_drafts import load_products, pick  # noqa: E402
from graphs.eval_sendback import (  # noqa: E402
    format_sendbacks,
    holdout_cases,
    rescore,
    run_sendbacks,
    sample_case,
    summarise,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=4, help="campaigns per case (default 4)")
    parser.add_argument(
        "--holdout", type=int, default=6, help="how many eval products with a quote (default 6)"
    )
    parser.add_argument("--no-tuning", action="store_true", help="skip Tom of Denver")
    parser.add_argument("--holdout-runs", type=int, default=1, help="campaigns per holdout case")
    parser.add_argument("--model", default=None, help="'fake' for the scripted model")
    parser.add_argument("--json", type=Path, help="write every run to this file")
    parser.add_argument(
        "--rescore", type=Path, metavar="JSON", help="read an earlier run's redrafts again"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    chat_model: Any = None
    if args.model == "fake":
        from tests.fakes import ScriptedChatModel

        chat_model = ScriptedChatModel()
    say = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    results = []
    if args.rescore:
        cases = [sample_case(), *holdout_cases(pick(load_products(), None))]
        runs = json.loads(args.rescore.read_text(encoding="utf-8"))
        print(format_sendbacks(summarise(rescore(runs, cases))))
        return 0
    if not args.no_tuning:
        results += run_sendbacks(
            [sample_case()], runs=args.runs, chat_model=chat_model, progress=say
        )
    if args.holdout:
        cases = holdout_cases(pick(load_products(), None))[: args.holdout]
        results += run_sendbacks(cases, runs=args.holdout_runs, chat_model=chat_model, progress=say)
    print(format_sendbacks(summarise(results)))
    if args.json:
        args.json.write_text(
            json.dumps([r.as_dict() for r in results], indent=1, ensure_ascii=False)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
