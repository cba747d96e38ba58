"""The send-back eval: does a redraft do what "Quote Tom from Denver by name" asks?

    results = run_sendbacks(cases(), runs=4)            # the embedded model by default
    report = format_sendbacks(results)                  # the text bench/eval_sendback.py shows

Each case is a brief (one channel, the cheapest: the social post), a customer quote its product's
knowledge has, and the reviewer's words asking for it. Each run starts a campaign, sends the
draft back with those words and reads the redraft as the person would see it: whether it came
back unchanged (graphs/redraft_check.py: the card's note), whether it names the customer, and
whether the sentence checker (graphs/checks/facts.py) reads a quote of theirs in it as
`attributed` (their words, quoted as theirs). A run that names and quotes the customer followed
the send-back.

Two sets, reported apart: the sample kit's Tom of Denver (the case the writer's facts were tuned
on: his name and town are only in the quote's heading) and the drafts eval's products whose
sheets carry a customer quote (tests/data/drafts/products.yaml: the speaker after a dash; a
holdout, never tuned on).

Library code: it logs; `bench/eval_sendback.py` prints.
"""

from __future__ import annotations

import logging
import re
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SAMPLE_BRIEF = {
    "product": "Brightloop 2 smart thermostat",
    "audience": "homeowners with high heating bills",
    "goal": "pre-orders before winter",
}
UNCHANGED_NOTE = "could not change this draft"
_ATTRIBUTION = re.compile(r"[\"“][^\"”]{12,}?[\"”]\s*[-—–]+\s*([^\n.]{2,60})")


@dataclass(frozen=True)
class Case:
    """One send-back to try: the brief, who is to be quoted, and the reviewer's words."""

    name: str  # "tom-denver" or the eval product's slug
    set: str  # "tuning" (the sample kit's Tom) or "holdout" (the eval's products)
    brief: dict[str, Any]
    speaker: str  # the first name the redraft must say ("Tom")
    feedback: str  # "Quote Tom from Denver by name"
    sheet: str = ""  # the product's fact sheet to add (the sample kit needs none)


@dataclass
class RunResult:
    case: str
    set: str
    seconds: float
    speaker: str = ""
    before: str = ""
    after: str = ""
    unchanged: bool = False  # the card carries the "could not change this draft" note
    retried: bool = False  # the first redraft came back the same (draft.unchanged audited)
    named: bool = False  # the redraft says the speaker's name
    attributed: bool = False  # a sentence of it quotes the speaker, checked as attributed
    unsupported: list[str] = field(default_factory=list)  # sentences the checker flags
    error: str | None = None

    @property
    def followed(self) -> bool:
        return not self.error and self.named and self.attributed

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "followed": self.followed}


def sample_case() -> Case:
    return Case("tom-denver", "tuning", dict(SAMPLE_BRIEF), "Tom", "Quote Tom from Denver by name")


def holdout_cases(products: Sequence[Mapping[str, Any]]) -> list[Case]:
    """One case per eval product whose sheet quotes a customer with a dash attribution
    (`"…" — Lena, Munich`): "Quote Lena from Munich by name"."""
    out = []
    for p in products:
        m = _ATTRIBUTION.search(str(p["sheet"]))
        if not m:
            continue
        who = [w.strip() for w in m.group(1).split(",")]
        speaker = who[0].split()[0]
        place = f" from {who[1]}" if len(who) > 1 and who[1] else ""
        brief = {k: v for k, v in p["brief"].items() if k in ("product", "audience", "goal")}
        out.append(
            Case(
                p["slug"], "holdout", brief, speaker, f"Quote {speaker}{place} by name", p["sheet"]
            )
        )
    return out


def _says_name(text: str, name: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(name) + r"(?!\w)", text) is not None


def read_redraft(
    result: RunResult, text: str, passages: Sequence[Mapping[str, Any]], product: str
) -> None:
    """The redraft's checks: names the speaker; a quote of theirs checked as attributed."""
    from graphs.checks.facts import check_text

    result.after = text
    checks = check_text(text, passages, product=product)
    speaker = result.speaker
    result.named = bool(speaker) and _says_name(text, speaker)
    result.attributed = any(
        c.status == "attributed" and (not speaker or _says_name(c.sentence, speaker))
        for c in checks
    )
    result.unsupported = [c.sentence for c in checks if c.status == "unsupported"]


def _one_run(runtime: Any, case: Case) -> RunResult:
    from graphs.checks.sources import product_passages

    result = RunResult(case.name, case.set, 0.0, speaker=case.speaker)
    started = time.monotonic()
    try:
        [post] = runtime.start({**case.brief, "channels": ["social"]})["pending"]
        result.before = str(post["args"].get("text", ""))
        [again] = runtime.decide(post["id"], {"type": "revise", "feedback": case.feedback})[
            "pending"
        ]
        audit = runtime.store.audit_log(again["thread_id"], event="draft.unchanged")
    except Exception as exc:  # a failed run is a result, not the end of the eval
        result.seconds = time.monotonic() - started
        result.error = f"{type(exc).__name__}: {exc}"[:300]
        log.warning("send-back run for %s failed: %s", case.name, result.error)
        return result
    result.seconds = time.monotonic() - started
    result.retried = bool(audit)
    result.unchanged = any(UNCHANGED_NOTE in str(n) for n in again.get("review_notes") or [])
    passages = product_passages(runtime.kb, case.brief)
    read_redraft(result, str(again["args"].get("text", "")), passages, case.brief["product"])
    return result


def run_sendbacks(
    cases: Sequence[Case],
    *,
    runs: int = 4,
    chat_model: Any = None,
    progress: Callable[[str], None] | None = None,
) -> list[RunResult]:
    """`runs` campaigns per case, each sent back once; one data directory for all."""
    from graphs.runtime import Signoff

    say = progress or (lambda message: log.info("%s", message))
    results: list[RunResult] = []
    with tempfile.TemporaryDirectory(prefix="signoff-sendback-") as tmp:
        runtime = Signoff(Path(tmp) / "home", model=chat_model)
        try:
            for case in cases:
                if case.sheet:
                    runtime.kb.add_text(
                        f"{case.name}.md", case.sheet, product=case.brief["product"]
                    )
            for case in cases:
                for n in range(1, runs + 1):
                    result = _one_run(runtime, case)
                    results.append(result)
                    say(
                        f"[{case.set}] {case.name} run {n}/{runs}: {result.seconds:.0f} s, "
                        + (result.error or _verdict(result))
                    )
        finally:
            runtime.close()
    return results


def rescore(runs: Sequence[Mapping[str, Any]], cases: Sequence[Case]) -> list[RunResult]:
    """An earlier run's redrafts (its --json) read again with today's checker, so runs before
    and after a change are judged on one yardstick; whether the card said "unchanged" and
    whether it was retried are kept as they were."""
    from graphs.checks.sources import product_passages
    from tools.kb import KnowledgeBase

    by_name = {c.name: c for c in cases}
    out = []
    with KnowledgeBase(":memory:") as kb:
        kb.ensure_sample()
        for case in cases:
            if case.sheet:
                kb.add_text(f"{case.name}.md", case.sheet, product=case.brief["product"])
        for run in runs:
            case = by_name[str(run["case"])]
            result = RunResult(
                case.name,
                case.set,
                float(run["seconds"]),
                speaker=case.speaker,
                before=str(run.get("before", "")),
                unchanged=bool(run.get("unchanged")),
                retried=bool(run.get("retried")),
                error=run.get("error"),
            )
            if not result.error:
                passages = product_passages(kb, case.brief)
                read_redraft(result, str(run.get("after", "")), passages, case.brief["product"])
            out.append(result)
    return out


def _verdict(r: RunResult) -> str:
    if r.followed:
        return "followed (named and quoted)"
    if r.unchanged:
        return "unchanged (the card says so)"
    return f"changed, named={r.named}, quoted={r.attributed}"


def summarise(results: Sequence[RunResult]) -> dict[str, dict[str, Any]]:
    """Per set: runs, unchanged, retried, named, quoted (attributed), followed, errors."""
    out: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(r.set for r in results):
        rs = [r for r in results if r.set == name]
        out[name] = {
            "runs": len(rs),
            "unchanged": sum(r.unchanged for r in rs),
            "retried": sum(r.retried for r in rs),
            "named": sum(r.named for r in rs),
            "quoted": sum(r.attributed for r in rs),
            "followed": sum(r.followed for r in rs),
            "errors": sum(1 for r in rs if r.error),
            "seconds_per_run": round(sum(r.seconds for r in rs) / len(rs), 1) if rs else None,
        }
    return out


def format_sendbacks(summary: Mapping[str, Mapping[str, Any]]) -> str:
    head = (
        "| set | runs | unchanged (note) | retried | names them | quotes them | followed "
        "| errors | s/run |"
    )
    rows = [head, "|" + "---|" * 9]
    for name, s in summary.items():
        rows.append(
            f"| {name} | {s['runs']} | {s['unchanged']} | {s['retried']} | {s['named']} | "
            f"{s['quoted']} | {s['followed']} | {s['errors']} | {s['seconds_per_run']} |"
        )
    return "\n".join(rows)
