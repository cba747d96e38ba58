"""researcher: gathers evidence (quote + source) from the knowledge base. Read-only.

Only the brief's own product is searched: sources tagged with the product, and untagged sources
that name it (`KnowledgeBase.product_sources`); the sample kit is evidence for its own product
only, and style guides never are. A small fact sheet is given whole (prices, offers and codes
cannot be missed); a bigger one is searched. The brief becomes a few searches (the product; its price and offers; proof such as studies,
ratings and customer results; the audience; the goal). The best passages of each search are
taken in turn, so every angle is represented. Evidence holds a short exact quote and the passage's
ref: documents stay in the knowledge base, out of the checkpoints. Passages flagged as carrying
instructions for an AI come last, with their flags, so the reviewer sees them as data.
"""

from __future__ import annotations

import logging
from typing import Any

from langgraph.runtime import Runtime

from graphs.quotes import keep_speaker
from graphs.state import Brief, CampaignState, Context, Evidence
from tools.kb import KnowledgeBase, Passage, short_quote

log = logging.getLogger(__name__)

MAX_EVIDENCE = 6
WHOLE_SHEET_CHARS = 3000  # a product's passages up to this size are all given, in order
WHOLE_SHEET_PASSAGES = 16
MAX_FLAGGED = 2  # at most this many flagged passages among the evidence
PER_QUERY = 4

PRICING_WORDS = "price costs offer"
PROOF_WORDS = "field study average savings rating"


def queries(brief: Brief) -> list[str]:
    """The searches for one brief, most important first."""
    product = brief["product"]
    found = [
        product,
        f"{product} {PRICING_WORDS}",
        f"{product} {PROOF_WORDS}",
        brief["audience"],
        f"{brief['goal']} {product}",
    ]
    return list(dict.fromkeys(q.strip() for q in found if q.strip()))


def gather(kb: KnowledgeBase, brief: Brief, limit: int = MAX_EVIDENCE) -> list[Evidence]:
    """Evidence for a brief, from its own product's passages only: all of them when the fact
    sheet is small, else the searches' results taken in turn, each passage once."""
    product = brief["product"]
    every = kb.product_passages(product)
    if (
        every
        and len(every) <= WHOLE_SHEET_PASSAGES
        and sum(len(p.text) for p in every) <= WHOLE_SHEET_CHARS
    ):
        chosen, whole = every, True
        limit = max(limit, len(every))
    else:
        whole = False
        results = [kb.search(q, k=PER_QUERY, product=product) for q in queries(brief)]
        chosen = []
        seen: set[str] = set()
        for rank in range(PER_QUERY):
            for hits in results:
                if rank < len(hits) and hits[rank].ref not in seen:
                    seen.add(hits[rank].ref)
                    chosen.append(hits[rank])
    clean = [p for p in chosen if not _flags(p)]
    flagged = [p for p in chosen if _flags(p)]
    # Flagged passages stay visible to the reviewer (as data, last), but never crowd out facts.
    shown_flagged = flagged[: min(MAX_FLAGGED, limit)]
    picked = clean[: limit - len(shown_flagged)] + shown_flagged
    evidence: list[Evidence] = []
    for i, p in enumerate(picked, start=1):
        item = Evidence(
            id=f"E{i}",
            source=p.source,
            location=p.location,
            quote=p.text if whole else keep_speaker(p.text, short_quote(p.text)),
            ref=p.ref,
        )
        flags = _flags(p)
        if flags:
            item["flags"] = flags
        evidence.append(item)
    return evidence


def _flags(p: Passage) -> list[str]:
    """The passage's own flags, then its source's (e.g. hidden text elsewhere on the page)."""
    return list(dict.fromkeys([*p.flags, *p.source_flags]))


def knowledge_base(runtime: Runtime[Context] | None) -> tuple[KnowledgeBase, bool]:
    """The context's knowledge base, or the data directory's (with the sample on first use).

    Returns the knowledge base and whether the caller opened it (and must close it).
    """
    ctx = runtime.context if runtime is not None else None
    kb = getattr(ctx, "kb", None)
    if kb is not None:
        return kb, False
    from graphs.store import default_home

    opened = KnowledgeBase.open(default_home() / "signoff.db")
    opened.ensure_sample()
    return opened, True


def researcher(state: CampaignState, runtime: Runtime[Context]) -> dict[str, Any]:
    brief = state["brief"]
    kb, opened = knowledge_base(runtime)
    try:
        evidence = gather(kb, brief)
    finally:
        if opened:
            kb.close()
    flagged = sum(1 for e in evidence if e.get("flags"))
    log.info(
        "researcher found %d passages (%d flagged) for %r",
        len(evidence),
        flagged,
        brief["product"],
    )
    return {"evidence": evidence}
