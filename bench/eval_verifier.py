"""How well the claim verifier's "supported" agrees with hand labels.

    uv run python -m bench.eval_verifier [--data tests/data/verifier_claims.jsonl] [--json]

Each line of the data file is a marketing claim, the quote(s) it cites (a string, or
{"quote", "location"}), the label (`true`: the quotes support it) and a note. `"in_kb": false`
means the quote is not (any more) in the knowledge base. Prints precision, recall and F1 of
"supported", the counts, and every item the verifier got wrong.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/eval_verifier.py` as well as `-m`
    sys.path.insert(0, str(ROOT))

from graphs.state import Claim, Evidence  # noqa: E402
from graphs.verifier import verify_claims  # noqa: E402

DATA = ROOT / "tests" / "data" / "verifier_claims.jsonl"
# Written after the verifier, measured once before any change to it (precision 0.88, recall
# 0.88 on 32 claims), then used to fix two general gaps; kept to show drift.
HOLDOUT = ROOT / "tests" / "data" / "verifier_claims_holdout.jsonl"


@dataclass
class Result:
    tp: int = 0
    fp: int = 0
    tn: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def load(path: Path = DATA) -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        missing = {"claim", "quotes", "label", "note"} - row.keys()
        if missing:
            raise ValueError(f"{path}:{n}: missing {sorted(missing)}")
        rows.append(row)
    return rows


def predict(row: dict[str, Any]) -> tuple[bool, str]:
    """The verifier's verdict on one dataset row."""
    evidence: list[Evidence] = []
    passages: dict[str, str] = {}
    for i, q in enumerate(row["quotes"], start=1):
        quote, location = (q, "") if isinstance(q, str) else (q["quote"], q.get("location", ""))
        ref = f"ref-{i}"
        evidence.append(
            Evidence(id=f"E{i}", source="dataset", location=location, quote=quote, ref=ref)
        )
        if row.get("in_kb", True):
            passages[ref] = quote
    claim = Claim(text=row["claim"], evidence_ids=[e["id"] for e in evidence])
    [check] = verify_claims([claim], evidence, passages.get)
    return check["supported"], check["reason"]


def evaluate(rows: list[dict[str, Any]]) -> tuple[Result, list[dict[str, Any]]]:
    result = Result()
    wrong = []
    for row in rows:
        supported, reason = predict(row)
        label = bool(row["label"])
        if supported and label:
            result.tp += 1
        elif supported:
            result.fp += 1
        elif label:
            result.fn += 1
        else:
            result.tn += 1
        if supported != label:
            wrong.append({**row, "predicted": supported, "reason": reason})
    return result, wrong


def summary(rows: list[dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    result, wrong = evaluate(rows)
    return {
        "items": len(rows),
        "labelled_supported": result.tp + result.fn,
        "labelled_unsupported": result.tn + result.fp,
        "tp": result.tp,
        "fp": result.fp,
        "tn": result.tn,
        "fn": result.fn,
        "precision": round(result.precision, 3),
        "recall": round(result.recall, 3),
        "f1": round(result.f1, 3),
    }, wrong


def report(path: Path, figures: dict[str, Any], wrong: list[dict[str, Any]]) -> None:
    print(f"verifier on {path.name}: {figures['items']} claims")
    for key, value in figures.items():
        print(f"{key}={value}")
    if wrong:
        print(f"\nmisclassified ({len(wrong)}):")
        for w in wrong:
            kind = "false positive" if w["predicted"] else "false negative"
            print(
                f"  [{kind}] {w['claim']!r}\n      note: {w['note']}\n      verifier: {w['reason']}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, help="one labelled JSONL file (default: both sets)")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = parser.parse_args(argv)
    paths = [args.data] if args.data else [p for p in (DATA, HOLDOUT) if p.exists()]
    results = [(path, *summary(load(path))) for path in paths]
    if args.json:
        (path, figures, wrong), *others = results
        out: dict[str, Any] = {**figures, "misclassified": wrong}
        for other, other_figures, other_wrong in others:
            out[other.stem] = {**other_figures, "misclassified": other_wrong}
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return 0
    for n, (path, figures, wrong) in enumerate(results):
        if n:
            print()
        report(path, figures, wrong)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
