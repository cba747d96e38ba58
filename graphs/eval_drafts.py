"""The drafts eval: run the real pipeline over many products and score what would go out.

    report = run_eval(load_products(), limit=6)          # the embedded model by default
    table = format_table([summarise(report)])            # markdown, for bench/ or a notebook

Each product's fact sheet (tests/data/drafts/products.yaml) is added to one temporary data
directory's knowledge base, beside every other product's sheet and the demo kit, so a figure that
leaks from another product is caught. Each brief runs through `Signoff.start` (researcher, writer,
checks, policy) until it waits for a person; every proposed action is scored
(`graphs.checks.drafts`) and every sentence of its text is checked (`graphs.checks.facts`) and
compared with what the reviewer was shown. `label_scores()` measures the sentence checker against
hand labels (a tuning set and a holdout set).

Library code: it logs; `bench/eval_drafts.py` prints.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from graphs.checks.drafts import DraftScore, Knowledge, score_action
from graphs.checks.facts import SentenceCheck, check_text, facts_of, outgoing, split_sentences

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "tests" / "data" / "drafts"
PRODUCTS = DATA_DIR / "products.yaml"
LABELS = DATA_DIR / "sentences.jsonl"
HOLDOUT = DATA_DIR / "sentences_holdout.jsonl"
DEMO_KIT = ROOT / "tools" / "brand_kit"
CHANNELS = ["email", "social", "cms", "ads"]
SCORES = ("placeholder_free", "clean", "on_product", "factual", "complete", "fits", "signed")

Progress = Callable[[str], None]


# -- data ----------------------------------------------------------------------------------------
def load_products(path: Path = PRODUCTS) -> list[dict[str, Any]]:
    """The eval's products; each has slug, kind, brand, brief and sheet."""
    products = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(products, list):
        raise ValueError(f"{path}: expected a list of products, got {type(products).__name__}")
    for n, p in enumerate(products, start=1):
        missing = {"slug", "kind", "brand", "brief", "sheet"} - set(p)
        if missing:
            raise ValueError(f"{path}: product {n} lacks {sorted(missing)}")
    return products


def pick(products: Sequence[dict[str, Any]], limit: int | None) -> list[dict[str, Any]]:
    """A slice that covers the kinds of business first: one of each kind, then the next..."""
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for p in products:
        by_kind.setdefault(p["kind"], []).append(p)
    ordered: list[dict[str, Any]] = []
    for rank in range(max((len(v) for v in by_kind.values()), default=0)):
        ordered += [v[rank] for v in by_kind.values() if rank < len(v)]
    return ordered[:limit] if limit else ordered


def passages_of(product: Mapping[str, Any]) -> list[dict[str, str]]:
    """The product's fact sheet as passages (as the knowledge base splits it)."""
    from tools.kb import split_markdown

    name = f"{product['slug']}.md"
    return [
        {"id": f"{product['slug']}#{i}", "text": text, "source": name, "location": location}
        for i, (location, text) in enumerate(split_markdown(product["sheet"], name))
    ]


def demo_kit_text() -> str:
    return "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(DEMO_KIT.glob("*.md")))


def known_texts(product: Mapping[str, Any]) -> list[str]:
    """What the copy may draw on besides the sheet: the brief and the brand's settings."""
    brand = product["brand"]
    texts = [str(v) for v in product["brief"].values()]
    texts += [str(v) for k, v in brand.items() if k != "avoid"]
    return texts


def knowledge_for(product: Mapping[str, Any], products: Sequence[Mapping[str, Any]]) -> Knowledge:
    others = [p for p in products if p["slug"] != product["slug"]]
    names = [p["brand"]["name"] for p in others] + ["Brightloop"]
    return Knowledge(
        known="\n".join([product["sheet"], *known_texts(product)]),
        others=[p["sheet"] for p in others] + [demo_kit_text()],
        other_names=names,
    )


# -- running -------------------------------------------------------------------------------------
@dataclass
class SentenceRow:
    action_id: str
    sentence: str
    facts: list[str]
    error: bool  # a fact of the sentence is in no known text (the sheet, brief, brand)
    checker: str  # check_text's status
    differs: str | None
    shown_flag: bool  # the reviewer was warned about it (the pipeline's own checks)


@dataclass
class CampaignResult:
    slug: str
    kind: str
    seconds: float
    drafts: list[DraftScore] = field(default_factory=list)
    sentences: list[SentenceRow] = field(default_factory=list)
    error: str | None = None
    items: list[dict[str, Any]] = field(default_factory=list)  # the drafts as proposed

    def as_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "kind": self.kind,
            "seconds": round(self.seconds, 1),
            "error": self.error,
            "drafts": [d.as_dict() for d in self.drafts],
            "sentences": [dataclasses.asdict(s) for s in self.sentences],
            "items": self.items,
        }


@dataclass
class EvalReport:
    model: str
    campaigns: list[CampaignResult]
    learning: dict[str, Any] | None = None  # the effect of edits on a second campaign


@contextmanager
def _environment(home: Path, model: str | None) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in ("SIGNOFF_HOME", "SIGNOFF_MODEL")}
    os.environ["SIGNOFF_HOME"] = str(home)
    if model:
        os.environ["SIGNOFF_MODEL"] = model
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def brief_for(product: Mapping[str, Any]) -> dict[str, Any]:
    """The product's brief over all four channels, with the fields this version accepts."""
    from graphs.brief import BRIEF_FIELDS, OPTIONAL_FIELDS

    accepted = set(BRIEF_FIELDS) | set(OPTIONAL_FIELDS)
    brief = {"channels": list(CHANNELS), **product["brief"]}
    if "brand" in accepted:
        brief["brand"] = product["brand"]["name"]
    return {k: v for k, v in brief.items() if k in accepted}


def _save_brands(home: Path, products: Sequence[Mapping[str, Any]]) -> bool:
    """Store each product's brand settings when this version has brand settings."""
    import importlib

    try:
        brand_module: Any = importlib.import_module("graphs.brand")
    except ImportError:
        return False
    book = brand_module.BrandBook(home)
    fields = {f.name for f in dataclasses.fields(brand_module.Brand)}
    for p in products:
        data = {k: v for k, v in p["brand"].items() if k in fields}
        if "avoid" in data:
            data["avoid"] = tuple(data["avoid"])
        if "products" in fields:
            data["products"] = (p["brief"]["product"],)
        book.save(brand_module.Brand(**data))
    return True


def run_eval(
    products: Sequence[dict[str, Any]],
    *,
    limit: int | None = None,
    model: str | None = None,
    chat_model: Any = None,
    progress: Progress | None = None,
    on_campaign: Callable[[CampaignResult], None] | None = None,
    learn: int = 0,
) -> EvalReport:
    """Run one campaign per product (of a slice of `limit`) and score its drafts.

    `model`: a `SIGNOFF_MODEL` value ("embedded", "embedded:1.5b"); `chat_model`: a chat model
    object instead (tests); neither: the default seam. `on_campaign` is called with each result
    as it is scored (so a long run's partial results can be saved). `learn`: for the first
    `learn` products of the slice, a marketer's edits of the first campaign become brand rules
    and a second campaign of the same brief is scored for the edited faults it repeats
    (`graphs.eval_learning`)."""
    from graphs.eval_learning import second_campaigns
    from graphs.runtime import Signoff

    chosen = pick(products, limit)
    say = progress or (lambda message: log.info("%s", message))
    results: list[CampaignResult] = []
    with tempfile.TemporaryDirectory(prefix="signoff-eval-") as tmp:
        home = Path(tmp) / "home"
        with _environment(home, model):
            runtime = Signoff(home, model=chat_model)
            try:
                tags = "product" in inspect.signature(runtime.kb.add_text).parameters
                for p in products:  # every sheet, so leaks between products can happen
                    extra = {"product": p["brief"]["product"]} if tags else {}
                    runtime.kb.add_text(f"{p['slug']}.md", p["sheet"], **extra)
                brands = _save_brands(home, products)
                say(f"{len(products)} fact sheets added; brand settings: {brands}")
                name = model or runtime.model_description()
                for n, product in enumerate(chosen, start=1):
                    say(f"[{n}/{len(chosen)}] {product['slug']} ({product['kind']})")
                    results.append(_campaign(runtime, product, products))
                    say(f"    {results[-1].seconds:.0f} s, {_line(results[-1])}")
                    if on_campaign is not None:
                        on_campaign(results[-1])
                learning = None
                if learn:
                    learning = second_campaigns(
                        runtime,
                        home,
                        [(p, r) for p, r in zip(chosen, results, strict=False) if not r.error][
                            :learn
                        ],
                        rerun=lambda product: _campaign(runtime, product, products),
                        say=say,
                    )
            finally:
                runtime.close()
    return EvalReport(model=name, campaigns=results, learning=learning)


def rescore(
    campaigns: Sequence[Mapping[str, Any]], products: Sequence[dict[str, Any]]
) -> list[CampaignResult]:
    """Score the drafts of an earlier run (its JSON's campaigns) with today's scores and checker,
    so a run before a change and one after it are compared on the same yardstick. What the
    reviewer was warned about is read from each draft's review notes as they were then."""
    by_slug = {p["slug"]: p for p in products}
    results = []
    for c in campaigns:
        product = by_slug[c["slug"]]
        result = CampaignResult(c["slug"], c["kind"], float(c["seconds"]), error=c.get("error"))
        knowledge = knowledge_for(product, products)
        passages, known = passages_of(product), known_texts(product)
        for item in c.get("items", []):
            shown = {"id": item["action_id"], "name": item["name"], "channel": item["channel"]}
            shown["args"] = item["args"]
            score = score_action(shown, knowledge, brand=product["brand"], brief=product["brief"])
            result.drafts.append(score)
            result.items.append({**item, "problems": list(score.problems)})
            result.sentences += _sentences(
                item["action_id"], item["args"], passages, known, knowledge, product, item
            )
        results.append(result)
    return results


def _line(result: CampaignResult) -> str:
    if result.error:
        return f"error: {result.error}"
    ready = sum(1 for d in result.drafts if d.send_ready)
    return f"{ready}/{len(result.drafts)} send-ready"


def _campaign(
    runtime: Any, product: Mapping[str, Any], products: Sequence[Mapping[str, Any]]
) -> CampaignResult:
    result = CampaignResult(product["slug"], product["kind"], 0.0)
    started = time.monotonic()
    try:
        summary = runtime.start(brief_for(product))
        campaign = runtime.campaign(summary["thread_id"])
    except Exception as exc:  # a failed campaign is a result, not the end of the eval
        result.seconds = time.monotonic() - started
        result.error = f"{type(exc).__name__}: {exc}"[:300]
        log.warning("campaign for %s failed: %s", product["slug"], result.error)
        return result
    result.seconds = time.monotonic() - started
    pending = {item["action_id"]: item for item in campaign["pending"]}
    knowledge = knowledge_for(product, products)
    passages = passages_of(product)
    known = known_texts(product)
    for action in campaign["actions"]:
        if action["name"] not in ("send_email", "publish_post", "publish_page", "spend_ads"):
            continue
        item = pending.get(action["id"])
        shown = dict(action)
        if item is not None:  # the latest draft, as the reviewer sees it
            shown = {**action, "args": item["args"]}
        score = score_action(shown, knowledge, brand=product["brand"], brief=product["brief"])
        result.drafts.append(score)
        result.items.append(
            {
                "action_id": action["id"],
                "name": action["name"],
                "channel": action["channel"],
                "args": shown["args"],
                # the AI's review, when this version has one: its rounds (each with the draft
                # it reviewed) and what it left for the person
                "rounds": list(action.get("rounds") or []),
                "review_notes": list((item or {}).get("review_notes") or []),
                "claim_checks": list((item or {}).get("claim_checks") or []),
                "problems": list(score.problems),
            }
        )
        result.sentences += _sentences(
            action["id"], shown["args"], passages, known, knowledge, product, item
        )
    return result


def _sentences(
    action_id: str,
    args: Mapping[str, Any],
    passages: list[dict[str, str]],
    known: list[str],
    knowledge: Knowledge,
    product: Mapping[str, Any],
    item: Mapping[str, Any] | None,
) -> list[SentenceRow]:
    # what the model wrote: the email's footer below "--" is assembled from the brand's settings
    text = outgoing(args)
    quotes = sheet_quotes(product["sheet"])
    rows = []
    for check in check_text(text, passages, product=product["brief"]["product"], known=known):
        tokens = [t for t in facts_of(check.sentence) if t.text.strip(" .,;:!?") in check.facts]
        restated = restates_quote(check.sentence, quotes)
        if not check.facts and not restated:
            continue
        error = restated or any(not knowledge.is_known(t) for t in tokens)
        rows.append(
            SentenceRow(
                action_id=action_id,
                sentence=check.sentence,
                facts=check.facts,
                error=error,
                checker=check.status,
                differs=check.differs,
                shown_flag=_shown_flag(check, item),
            )
        )
    return rows


_QUOTE = re.compile(r"[\"“”„«]([^\"“”„«»]{12,}?)[\"“”»]")
_QUOTE_MARK = re.compile(r"[\"“”„«»]")
RESTATED_WORDS = 5


def sheet_quotes(sheet: str) -> list[list[str]]:
    """The words of each customer quote in a fact sheet."""
    return [re.findall(r"[a-z0-9'’-]+", m.group(1).lower()) for m in _QUOTE.finditer(sheet)]


def restates_quote(sentence: str, quotes: Sequence[Sequence[str]]) -> bool:
    """The eval's own rule for a customer's words restated as the brand's claim: the sentence,
    with no quotation mark in it, repeats 5 or more words of a quote in a row."""
    if _QUOTE_MARK.search(sentence):
        return False  # a quotation: the checker judges whether it is attributed
    words = re.findall(r"[a-z0-9'’-]+", sentence.lower())
    grams = {tuple(words[i : i + RESTATED_WORDS]) for i in range(len(words) - RESTATED_WORDS + 1)}
    for quote in quotes:
        n = RESTATED_WORDS
        if any(tuple(quote[i : i + n]) in grams for i in range(len(quote) - n + 1)):
            return True
    return False


def _shown_flag(check: SentenceCheck, item: Mapping[str, Any] | None) -> bool:
    """Whether the reviewer's card warned about this sentence (its own sentence checks, or else
    an unsupported claim that carries one of the sentence's facts)."""
    if item is None:
        return False
    sentence = _key(check.sentence)
    own = item.get("sentence_checks")
    if own:
        return any(
            c.get("status") == "unsupported" and _key(str(c.get("sentence", ""))) == sentence
            for c in own
        )
    start = sentence[:40]
    for note in item.get("review_notes") or []:  # what the AI review left for the person
        if isinstance(note, Mapping):
            fact, reason = note.get("kind") == "fact", str(note.get("reason", ""))
        else:
            fact, reason = str(note).startswith("Not in the facts"), str(note)
        if fact and start and start in _key(reason):
            return True
    for claim in item.get("claim_checks") or []:
        # the card's checks are the draft's own sentences: the same sentence, not one that
        # merely shares a figure or a name with it ("Trailhead 30" is in most of them)
        if claim.get("supported"):
            continue
        claim_key = _key(str(claim.get("text", "")))
        if claim_key and (claim_key in sentence or sentence in claim_key):
            return True
    return False


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


# -- figures -------------------------------------------------------------------------------------
def summarise(report: EvalReport) -> dict[str, Any]:
    """The figures of one model's run."""
    drafts = [d for c in report.campaigns for d in c.drafts]
    sentences = [s for c in report.campaigns for s in c.sentences]
    ok = [c for c in report.campaigns if not c.error]
    errors = [s for s in sentences if s.error]
    true = [s for s in sentences if not s.error]

    def pct(n: int, d: int) -> float:
        return round(100.0 * n / d, 1) if d else 0.0

    by_channel: dict[str, list[DraftScore]] = {}
    for d in drafts:
        by_channel.setdefault(d.channel, []).append(d)
    return {
        "model": report.model,
        "campaigns": len(report.campaigns),
        "failed_campaigns": len(report.campaigns) - len(ok),
        "drafts": len(drafts),
        "send_ready_pct": pct(sum(d.send_ready for d in drafts), len(drafts)),
        **{f"{s}_pct": pct(sum(getattr(d, s) for d in drafts), len(drafts)) for s in SCORES},
        "send_ready_by_channel": {
            ch: pct(sum(d.send_ready for d in ds), len(ds)) for ch, ds in sorted(by_channel.items())
        },
        "figures_from_other_products": sum(len(d.leaked) for d in drafts),
        "fact_sentences": len(sentences),
        "factual_errors": len(errors),
        "unflagged_errors_shown": sum(1 for s in errors if not s.shown_flag),
        "false_alarms_shown_pct": pct(sum(1 for s in true if s.shown_flag), len(sentences)),
        "unflagged_errors_checker": sum(1 for s in errors if s.checker != "unsupported"),
        "false_alarms_checker_pct": pct(
            sum(1 for s in true if s.checker == "unsupported"), len(sentences)
        ),
        "seconds_per_campaign": round(sum(c.seconds for c in ok) / len(ok), 1) if ok else None,
        "problems": _top_problems(drafts),
    }


def _top_problems(drafts: Sequence[DraftScore], n: int = 8) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for d in drafts:
        for problem in d.problems:
            kind = problem.split(":")[0]
            counts[f"{d.channel}: {kind}"] = counts.get(f"{d.channel}: {kind}", 0) + 1
    return sorted(counts.items(), key=lambda kv: -kv[1])[:n]


COLUMNS = [
    ("model", "model", "{}"),
    ("campaigns", "campaigns", "{}"),
    ("drafts", "drafts", "{}"),
    ("send-ready", "send_ready_pct", "{:.0f}%"),
    ("no placeholder", "placeholder_free_pct", "{:.0f}%"),
    ("clean", "clean_pct", "{:.0f}%"),
    ("on-product", "on_product_pct", "{:.0f}%"),
    ("factual", "factual_pct", "{:.0f}%"),
    ("complete", "complete_pct", "{:.0f}%"),
    ("fits", "fits_pct", "{:.0f}%"),
    ("signed", "signed_pct", "{:.0f}%"),
    ("other-product figures", "figures_from_other_products", "{}"),
    ("unflagged errors (card)", "unflagged_errors_shown", "{}"),
    ("false alarms (card)", "false_alarms_shown_pct", "{:.1f}%"),
    ("unflagged errors (check_text)", "unflagged_errors_checker", "{}"),
    ("false alarms (check_text)", "false_alarms_checker_pct", "{:.1f}%"),
    ("s/campaign", "seconds_per_campaign", "{}"),
]


def format_table(summaries: Sequence[Mapping[str, Any]]) -> str:
    """A Markdown table, one row per model."""
    head = "| " + " | ".join(c[0] for c in COLUMNS) + " |"
    rule = "|" + "|".join("---" for _ in COLUMNS) + "|"
    rows = [head, rule]
    for s in summaries:
        cells = []
        for _, key, fmt in COLUMNS:
            value = s.get(key)
            cells.append("—" if value is None else fmt.format(value))
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


# -- the checker against labels ------------------------------------------------------------------
def load_labels(path: Path) -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        missing = {"product", "sentence", "label"} - set(row)
        if missing:
            raise ValueError(f"{path}:{n}: missing {sorted(missing)}")
        rows.append(row)
    return rows


def label_scores(path: Path, products: Sequence[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """Precision and recall of "unsupported" (a flag) per sentence against the hand labels,
    and the share of sentences whose status is exactly the label's."""
    by_slug = {p["slug"]: p for p in (products or load_products())}
    tp = fp = fn = tn = exact = 0
    wrong = []
    rows = load_labels(path)
    for row in rows:
        product = by_slug[row["product"]]
        checks = check_text(
            row["sentence"],
            passages_of(product),
            product=product["brief"]["product"],
            known=known_texts(product),
        )
        status = _sentence_status(checks)
        flagged, bad = status == "unsupported", row["label"] == "unsupported"
        tp += flagged and bad
        fp += flagged and not bad
        fn += bad and not flagged
        tn += not bad and not flagged
        exact += status == row["label"]
        if status != row["label"]:
            differs = next((c.differs for c in checks if c.differs), None)
            wrong.append({**row, "predicted": status, "differs": differs})
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {
        "set": path.stem,
        "sentences": len(rows),
        "errors": tp + fn,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "status_accuracy": round(exact / len(rows), 3) if rows else 0.0,
        "wrong": wrong,
    }


def _sentence_status(checks: Sequence[SentenceCheck]) -> str:
    """One status for a labelled item that may split into several sentences: the worst."""
    order = ["unsupported", "attributed", "supported", "no_facts"]
    statuses = [c.status for c in checks] or ["no_facts"]
    return min(statuses, key=order.index)


__all__ = [
    "EvalReport",
    "format_table",
    "label_scores",
    "load_products",
    "rescore",
    "run_eval",
    "split_sentences",
    "summarise",
]
