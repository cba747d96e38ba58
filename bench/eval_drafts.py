"""Drafts worth signing: run the real pipeline over many products and print the scores.

    uv run python -m bench.eval_drafts                       # 24 products, the embedded model
    uv run python -m bench.eval_drafts --products 6          # a slice: one product per kind
    uv run python -m bench.eval_drafts --model embedded:1.5b --model embedded
    uv run python -m bench.eval_drafts --model fake --products 3   # structure only (the smoke test)
    uv run python -m bench.eval_drafts --labels-only         # the sentence checker vs hand labels
    uv run python -m bench.eval_drafts --products 6 --learn 2   # + a second campaign after edits

Prints one table row per model (send-ready %, each score, figures from other products,
unflagged factual errors, false alarms as a share of fact sentences, seconds per campaign), the
most common problems, and the sentence checker's precision and recall on the labelled sentences
(tuning set and holdout). `--json FILE` writes everything, drafts included.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/eval_drafts.py` as well as `-m`
    sys.path.insert(0, str(ROOT))

from graphs.eval_drafts import (  # noqa: E402
    HOLDOUT,
    LABELS,
    EvalReport,
    format_table,
    label_scores,
    load_products,
    rescore,
    run_eval,
    summarise,
)
from graphs.eval_learning import format_learning  # noqa: E402


def fake_model() -> Any:
    """The unit tests' scripted model: drafts in milliseconds, for the smoke test."""
    from tests.fakes import ScriptedChatModel

    return ScriptedChatModel()


def _details(summaries: list[dict[str, Any]], *, learn: bool) -> None:
    for summary in summaries:
        print(f"\n{summary['model']}: send-ready by channel {summary['send_ready_by_channel']}")
        print(
            f"  {summary['fact_sentences']} fact sentences, {summary['factual_errors']} with "
            f"a figure or name in no sheet/brief, or a customer's words restated; failed "
            f"campaigns {summary['failed_campaigns']}"
        )
        for problem, count in summary["problems"]:
            print(f"  {count:>3} × {problem}")
        if learn:
            print("  " + format_learning(summary.get("learning")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--model",
        action="append",
        help="SIGNOFF_MODEL value (embedded, embedded:1.5b) or 'fake'; repeat for several",
    )
    parser.add_argument("--products", type=int, default=None, help="a slice of N products")
    parser.add_argument("--json", type=Path, help="write every figure and draft to this file")
    parser.add_argument("--labels-only", action="store_true", help="only the checker vs labels")
    parser.add_argument(
        "--rescore",
        type=Path,
        metavar="JSON",
        help="score an earlier run's drafts (its --json file) with today's scores and checker",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument(
        "--learn",
        type=int,
        default=0,
        metavar="N",
        help="learning from edits: edit N products' drafts, run their briefs again, count repeats",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    products = load_products()
    out: dict[str, Any] = {"models": [], "labels": []}
    if args.rescore:
        summaries = []
        earlier = json.loads(args.rescore.read_text(encoding="utf-8"))
        for entry in earlier["models"]:
            campaigns = rescore(entry["campaigns"], products)
            summary = summarise(EvalReport(model=entry["summary"]["model"], campaigns=campaigns))
            summary["model"] = f"{entry['summary']['model']} (rescored)"
            summaries.append(summary)
            out["models"].append(
                {"summary": summary, "campaigns": [c.as_dict() for c in campaigns]}
            )
        print(format_table(summaries))
        _details(summaries, learn=False)
    elif not args.labels_only:
        summaries = []
        for model in args.model or ["embedded"]:
            started = time.monotonic()
            partial: list[dict[str, Any]] = []

            def save_partial(result: Any, model: str = model, partial: list = partial) -> None:
                partial.append(result.as_dict())
                if args.json:  # a long run's campaigns so far, readable while it runs
                    done = out["models"] + [{"summary": {"model": model}, "campaigns": partial}]
                    args.json.write_text(
                        json.dumps(
                            {**out, "models": done}, indent=1, ensure_ascii=False, default=str
                        )
                    )

            report = run_eval(
                products,
                limit=args.products,
                model=None if model == "fake" else model,
                chat_model=fake_model() if model == "fake" else None,
                progress=None if args.quiet else lambda m: print(m, file=sys.stderr, flush=True),
                on_campaign=save_partial,
                learn=args.learn,
            )
            summary = summarise(report)
            summary["model"] = f"{model} ({report.model})" if model != report.model else model
            summary["wall_seconds"] = round(time.monotonic() - started, 1)
            summaries.append(summary)
            summary["learning"] = report.learning
            out["models"].append(
                {"summary": summary, "campaigns": [c.as_dict() for c in report.campaigns]}
            )
        print(format_table(summaries))
        _details(summaries, learn=bool(args.learn))
    print("\nsentence checker (graphs/checks/facts.py) against hand labels:")
    for path in (LABELS, HOLDOUT):
        if not path.exists():
            continue
        figures = label_scores(path, products)
        out["labels"].append(figures)
        print(
            f"  {figures['set']:<20} {figures['sentences']} sentences ({figures['errors']} wrong): "
            f"precision {figures['precision']:.2f}, recall {figures['recall']:.2f}, "
            f"status accuracy {figures['status_accuracy']:.2f}"
        )
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
