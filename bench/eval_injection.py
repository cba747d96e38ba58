"""How well the injection screen separates attacks from benign marketing text, and how fast.

    uv run python -m bench.eval_injection [--json]

Two sets: `tests/data/injection/{attack,benign}` (the rules were tuned on it; it grows with each
reported case) and `tests/data/injection/holdout/{attack,benign}` (written for issue 11 before the
detector was run on it, and never tuned on). For each: detection rate (attacks flagged) and
false-positive rate (benign documents flagged). PDFs are rendered from their `.pdf.txt` sources
and read like any uploaded PDF. Speed: seconds per MB of benign text at two sizes (the ratio
shows it is linear).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.injection import detect  # noqa: E402
from tools.kb import KnowledgeBase  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "injection"
HOLDOUT = CORPUS / "holdout"


def _render_pdfs(out: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_pdfs", CORPUS / "make_pdfs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.render_all(out, CORPUS)


def _paths(folder: Path, rendered: Path, kind: str) -> list[Path]:
    out = []
    for p in sorted((folder / kind).iterdir()):
        if p.name.endswith(".pdf.txt"):
            out.append(rendered / kind / p.name.removesuffix(".txt"))
        elif p.is_file():
            out.append(p)
    return out


def _score(folder: Path, rendered: Path, kb: KnowledgeBase) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for kind in ("attack", "benign"):
        paths = _paths(folder, rendered, kind)
        flagged = [p.name for p in paths if kb.add_path(p)[0].flags]
        result[kind] = {
            "documents": len(paths),
            "flagged": len(flagged),
            "missed" if kind == "attack" else "false_positives": sorted(
                {p.name for p in paths} - set(flagged) if kind == "attack" else flagged
            ),
        }
    attacks, benign = result["attack"], result["benign"]
    result["detection_rate"] = round(attacks["flagged"] / max(1, attacks["documents"]), 3)
    result["false_positive_rate"] = round(benign["flagged"] / max(1, benign["documents"]), 3)
    return result


def speed() -> dict[str, float]:
    base = "\n\n".join(p.read_text() for p in sorted((CORPUS / "benign").glob("*.md")))
    out = {}
    for mb in (0.5, 2.0):
        size = int(mb * 1024 * 1024)
        text = (base * (size // len(base) + 1))[:size]
        started = time.perf_counter()
        detect(text)
        out[f"seconds_per_mb_at_{mb:g}mb"] = round((time.perf_counter() - started) / mb, 2)
    out["ratio_2mb_to_0.5mb_per_mb"] = round(
        out["seconds_per_mb_at_2mb"] / max(1e-9, out["seconds_per_mb_at_0.5mb"]), 2
    )
    return out


def evaluate() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        rendered = Path(tmp) / "pdfs"
        _render_pdfs(rendered)
        with KnowledgeBase(Path(tmp) / "kb.db") as kb:
            tuned = _score(CORPUS, rendered, kb)
            holdout = _score(HOLDOUT, rendered, kb)
    return {"tuned": tuned, "holdout": holdout, "speed": speed()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = evaluate()
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    for name in ("tuned", "holdout"):
        r = report[name]
        print(
            f"{name:8s} attacks {r['attack']['flagged']}/{r['attack']['documents']} flagged "
            f"(detection {r['detection_rate']:.0%}), benign {r['benign']['flagged']}/"
            f"{r['benign']['documents']} flagged (false positives {r['false_positive_rate']:.0%})"
        )
        if r["attack"]["missed"]:
            print("  missed:", ", ".join(r["attack"]["missed"]))
        if r["benign"]["false_positives"]:
            print("  false positives:", ", ".join(r["benign"]["false_positives"]))
    s = report["speed"]
    print(
        f"speed    {s['seconds_per_mb_at_0.5mb']} s/MB at 0.5 MB, {s['seconds_per_mb_at_2mb']} s/MB "
        f"at 2 MB (ratio {s['ratio_2mb_to_0.5mb_per_mb']}: 1.0 is linear)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
