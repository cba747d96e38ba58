"""Deterministic scores of a draft as it would go out: is it worth signing?

    score = score_draft(action, sheet=..., known=[...], others=[...], brand={...})

One `DraftScore` per proposed action, each score a yes/no with the reasons for a "no":

- placeholder_free: no `[Customer's Name]`, `{first_name}`, `<URL>`, "Your Name", "XXX";
- clean: none of the fact sheet's or the prompt's scaffolding in the copy (bullet lists in an
  email or a post, "Brand voice:", "Sign emails as", source file names, citation marks);
- on_product: no figure or brand name from another product's sheet (or the demo kit);
- factual: every figure is in the product's sheet, the brief or the brand's settings;
- complete: not cut off mid-sentence, no sentence said twice;
- fits: the channel's limits (post ≤ 280 characters, subject, body length, a page's headings,
  an ad spend of exactly the budget);
- signed: an email is from the brand's sender, signed as the brand says, with the postal address
  and an unsubscribe line.

`send_ready` is all of them. Used by `make eval-drafts` (graphs/eval_drafts.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphs.channels.page import template_headings
from graphs.checks.asks import unfollowable
from graphs.checks.fact_tokens import carries, facts_of, flatten
from graphs.checks.sentences import split_sentences, strip_citations
from graphs.claim_tokens import Token

POST_LIMIT = 280
SUBJECT_LIMIT = 80
EMAIL_WORDS = (50, 300)
PAGE_WORDS = 100
FIGURE_KINDS = ("price", "percent", "number", "date", "fraction")

PLACEHOLDERS = re.compile(
    r"\[[^\]\d][^\]]{0,40}\]|\{\{?[\w .'-]{1,30}\}?\}|<[A-Z][\w .'-]{1,30}>|\bX{3,}\b|"
    r"\byour name\b|\bcustomer'?s name\b|\bcompany name\b|\binsert\s+\w+|lorem ipsum|\bTBD\b",
    re.IGNORECASE,
)
SCAFFOLDING = re.compile(
    r"brand voice|sign emails as|house style|words we avoid|style guide|\bevidence\b|"
    r"\(source:|\bsource:|fact sheet|\b[\w-]+\.md\b|\[\d+\]|\bvoice:|\btone:|\bclaims?:|"
    r"\bhttps?/{1,2}\w",  # a link the model wrote itself, broken ("https//northpeak.example")
    re.IGNORECASE | re.MULTILINE,
)
# A fact sheet's heading copied into an email or a post; a landing page has headings of its own.
SHEET_HEADING = re.compile(r"^\s*#+\s*(?:price|offer|voice)\s*$", re.IGNORECASE | re.MULTILINE)
BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+", re.MULTILINE)
_END = re.compile(r"[.!?…)\"'”’»]\s*$|https?://\S+\s*$")


@dataclass
class DraftScore:
    action_id: str
    channel: str
    text: str  # what goes out, as scored
    placeholder_free: bool = True
    clean: bool = True
    on_product: bool = True
    factual: bool = True
    complete: bool = True
    fits: bool = True
    signed: bool = True  # only emails are signed; others pass
    problems: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # figures that are in no known text
    leaked: list[str] = field(default_factory=list)  # figures / names of other products

    @property
    def send_ready(self) -> bool:
        return all(
            (
                self.placeholder_free,
                self.clean,
                self.on_product,
                self.factual,
                self.complete,
                self.fits,
                self.signed,
            )
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "action_id": self.action_id,
            "channel": self.channel,
            "send_ready": self.send_ready,
            "placeholder_free": self.placeholder_free,
            "clean": self.clean,
            "on_product": self.on_product,
            "factual": self.factual,
            "complete": self.complete,
            "fits": self.fits,
            "signed": self.signed,
            "problems": list(self.problems),
            "errors": list(self.errors),
            "leaked": list(self.leaked),
        }


def outgoing_text(args: Mapping[str, Any]) -> tuple[str, str]:
    """(headline, body) of an action's arguments: subject/title/description and body/text."""
    head = str(args.get("subject") or args.get("title") or "")
    body = str(args.get("body") or args.get("text") or args.get("description") or "")
    return head, body


@dataclass
class Knowledge:
    """What a product's copy may say, and what belongs to other products."""

    known: str  # the sheet, the brief and the brand's settings, as one text
    others: Sequence[str] = ()  # other products' sheets (and the demo kit)
    other_names: Sequence[str] = ()  # other products' and brands' names
    _known_tokens: list[Token] = field(default_factory=list, init=False)
    _known_lower: str = field(default="", init=False)
    _other_tokens: list[tuple[list[Token], str]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self._known_tokens = facts_of(self.known)
        self._known_lower = flatten(self.known)
        self._other_tokens = [(facts_of(o), flatten(o)) for o in self.others]

    def is_known(self, fact: Token) -> bool:
        return carries(fact, self._known_tokens, self._known_lower)

    def belongs_elsewhere(self, fact: Token) -> bool:
        return any(carries(fact, tokens, lower) for tokens, lower in self._other_tokens)


def _figures(text: str) -> list[Token]:
    out = []
    for t in facts_of(text):
        if t.kind not in FIGURE_KINDS:
            continue
        if t.kind == "number" and not any(c.isdigit() for c in t.text):
            continue  # "two ways": prose
        out.append(t)
    return out


_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")


def _mask_links(text: str) -> str:
    return re.sub(r"\bhttps?://\S+|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+", " ", text)


def score_draft(
    action: Mapping[str, Any],
    knowledge: Knowledge,
    *,
    brand: Mapping[str, Any] | None = None,
    brief: Mapping[str, Any] | None = None,
) -> DraftScore:
    """The scores of one proposed action (`name`/`action`, `channel`, `args`)."""
    args = action.get("args") or {}
    name = str(action.get("name") or action.get("action") or "")
    channel = str(action.get("channel") or "")
    head, body = outgoing_text(args)
    text = f"{head}\n\n{body}".strip() if head else body
    score = DraftScore(str(action.get("action_id") or action.get("id") or name), channel, text)
    if name == "spend_ads":
        _score_ads(score, args, brief or {})
    _score_text(score, head, body, knowledge, channel, name)
    if name == "send_email":
        _score_email(score, args, body, brand or {})
    link = str((brief or {}).get("link") or "")
    for ask in unfollowable(f"{head}\n{body}", [knowledge.known], link):
        score.complete = False
        score.problems.append(f"asks for what readers cannot do: {ask.sentence!r} ({ask.missing})")
    return score


def _score_text(
    score: DraftScore, head: str, body: str, knowledge: Knowledge, channel: str, name: str
) -> None:
    text = f"{head}\n{body}"
    found = sorted({m.group(0) for m in PLACEHOLDERS.finditer(_mask_links(text))})
    if found:
        score.placeholder_free = False
        score.problems.append("placeholders: " + ", ".join(found[:4]))
    scaffolding = sorted({m.group(0).strip() for m in SCAFFOLDING.finditer(text)})
    if name != "publish_page":
        scaffolding += sorted({m.group(0).strip() for m in SHEET_HEADING.finditer(text)})
    else:  # a page's headings are its own, but not the template's ("## Call to Action")
        scaffolding += [f"the heading {h!r}" for h in template_headings(body)]
    if name != "publish_page" and BULLET.search(body):
        scaffolding.append("a bullet list")
    if name != "publish_page" and re.search(r"^\s*#", body, re.MULTILINE):
        scaffolding.append("a Markdown heading")
    if scaffolding:
        score.clean = False
        score.problems.append("scaffolding in the copy: " + ", ".join(scaffolding[:4]))
    plain = strip_citations(_mask_links(text))  # citation marks count under "clean"
    for fact in _figures(plain):
        if knowledge.is_known(fact):
            continue
        bare = fact.kind == "number" and fact.value[0] is None  # "3": in some sheet, by chance
        if knowledge.belongs_elsewhere(fact) and not bare:
            score.leaked.append(fact.text.strip(" .,;:"))
        else:
            score.errors.append(fact.text.strip(" .,;:"))
    # an address the model made up ("Contact us at info@greenleaf.ie"): the gate shows it as a
    # contact nobody gave; a draft that needs it taken out is not ready to send
    for address in _EMAIL.findall(head + "\n" + body.split("\n--\n")[0]):
        if address.lower() not in knowledge._known_lower:
            score.errors.append(address)
    lower = flatten(plain)
    for other in knowledge.other_names:
        if other and re.search(r"(?<!\w)" + re.escape(flatten(other)) + r"(?!\w)", lower):
            if other.lower() not in knowledge._known_lower:
                score.leaked.append(other)
    if score.leaked:
        score.on_product = False
        score.problems.append("from another product: " + ", ".join(dict.fromkeys(score.leaked)))
    if score.errors:
        score.factual = False
        score.problems.append(
            "figures in no fact sheet or brief: " + ", ".join(dict.fromkeys(score.errors))
        )
    if name != "spend_ads":
        _score_complete(score, body)


def _score_complete(score: DraftScore, body: str) -> None:
    stripped = body.rstrip()
    last_line = stripped.splitlines()[-1].strip() if stripped else ""
    cut = not stripped or (
        not _END.search(stripped)
        and (len(last_line.split()) > 6 or last_line.endswith(("-", ",", ":", ";")))
    )
    if cut:
        score.complete = False
        score.problems.append(f"cut off: ends with {stripped[-30:]!r}")
    seen: set[str] = set()
    repeated = []
    for sentence in split_sentences(body):
        key = re.sub(r"[^a-z0-9 ]", "", sentence.lower()).strip()
        if len(key) < 20:
            continue
        if key in seen:
            repeated.append(sentence)
        seen.add(key)
    if repeated:
        score.complete = False
        score.problems.append(f"said twice: {repeated[0][:60]!r}")


def _score_ads(score: DraftScore, args: Mapping[str, Any], brief: Mapping[str, Any]) -> None:
    budget = brief.get("ad_budget")
    try:
        amount = float(args.get("amount", 0))
    except (TypeError, ValueError):
        amount = -1.0
    if budget is not None and abs(amount - float(budget)) > 0.005:
        score.fits = False
        score.problems.append(f"spends {amount:g}, the brief's budget is {float(budget):g}")
    description = str(args.get("description") or "")
    if not description.strip() or len(description) > 200:
        score.fits = False
        score.problems.append("the ad needs a description under 200 characters")


def _score_email(
    score: DraftScore, args: Mapping[str, Any], body: str, brand: Mapping[str, Any]
) -> None:
    subject = str(args.get("subject") or "")
    words = len(body.split())
    if not 3 <= len(subject) <= SUBJECT_LIMIT:
        score.fits = False
        score.problems.append(f"subject of {len(subject)} characters (limit {SUBJECT_LIMIT})")
    if not EMAIL_WORDS[0] <= words <= EMAIL_WORDS[1]:
        score.fits = False
        score.problems.append(f"body of {words} words ({EMAIL_WORDS[0]}–{EMAIL_WORDS[1]})")
    missing = []
    sender = str(args.get("from") or args.get("sender") or args.get("from_address") or "")
    address = str(brand.get("from_address") or "")
    if address and address.lower() not in sender.lower():
        missing.append(f"From {address}")
    lower = flatten(body)
    signature = str(brand.get("signature") or "")
    if signature and flatten(signature) not in lower:
        missing.append(f"signature '{signature}'")
    elif signature and lower.count(flatten(signature)) > 1:
        score.signed = False
        score.problems.append(f"signed twice: '{signature}'")
    postal = str(brand.get("postal_address") or "")
    if postal and flatten(postal) not in lower and flatten(postal.split(",")[0]) not in lower:
        missing.append("postal address")
    if "unsubscribe" not in lower:
        missing.append("unsubscribe line")
    if missing:
        score.signed = False
        score.problems.append("not signed or compliant: missing " + ", ".join(missing))


def score_fits_post(score: DraftScore, limit: int = POST_LIMIT) -> None:
    if len(score.text) > limit:
        score.fits = False
        score.problems.append(f"{len(score.text)} characters (the network allows {limit})")


def score_fits_page(score: DraftScore, body: str) -> None:
    if len(body.split()) < PAGE_WORDS or "## " not in body:
        score.fits = False
        score.problems.append(f"a page needs {PAGE_WORDS}+ words and ## section headings")


def score_action(
    action: Mapping[str, Any],
    knowledge: Knowledge,
    *,
    brand: Mapping[str, Any] | None = None,
    brief: Mapping[str, Any] | None = None,
) -> DraftScore:
    """`score_draft` plus the limits of the action's channel."""
    score = score_draft(action, knowledge, brand=brand, brief=brief)
    name = str(action.get("name") or action.get("action") or "")
    _, body = outgoing_text(action.get("args") or {})
    if name == "publish_post":
        score_fits_post(score)
    elif name == "publish_page":
        score_fits_page(score, body)
    return score


__all__ = [
    "DraftScore",
    "Knowledge",
    "outgoing_text",
    "score_action",
    "score_draft",
]
