"""The passages a draft is checked against: all of its product's knowledge.

    passages = product_passages(kb, brief, evidence)

The knowledge base's passages for the brief's product when it knows which sources are about
which product (`KnowledgeBase.product_passages`), else the passages of a search for the product;
the evidence the researcher found (by its `ref`) always counts. Returned as dicts with "id",
"text", "source" and "location", as `graphs.checks.facts.check_text` takes them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from graphs.kb_cache import CachedKnowledgeBase

log = logging.getLogger(__name__)

SEARCH_K = 30


def _as_dict(p: Any) -> dict[str, str]:
    if isinstance(p, Mapping):
        return {
            "id": str(p.get("ref") or p.get("id") or ""),
            "text": str(p.get("text") or p.get("quote") or ""),
            "source": str(p.get("source") or ""),
            "location": str(p.get("location") or ""),
        }
    return {
        "id": str(getattr(p, "ref", "")),
        "text": str(getattr(p, "text", "")),
        "source": str(getattr(p, "source", "")),
        "location": str(getattr(p, "location", "")),
    }


def _read(kb: Any, product: str) -> list[dict[str, str]]:
    by_product = getattr(kb, "product_passages", None)
    found = list(by_product(product)) if callable(by_product) else []
    if not found:
        found = list(kb.search(product, k=SEARCH_K))
    return [_as_dict(p) for p in found]


def _of_product(kb: Any, product: str) -> list[dict[str, str]]:
    """The product's passages as dicts (fresh ones: a caller may change them), converted once
    per version of a cached knowledge base (graphs/kb_cache.py `memo`), else read each time."""
    if isinstance(kb, CachedKnowledgeBase):
        return [dict(p) for p in kb.memo("passage_dicts", (product,), lambda: _read(kb, product))]
    return _read(kb, product)


def product_passages(
    kb: Any, brief: Mapping[str, Any], evidence: Sequence[Mapping[str, Any]] = ()
) -> list[dict[str, str]]:
    """Every passage about the brief's product that the knowledge base has, plus the evidence."""
    product = str(brief.get("product") or "")
    passages: list[dict[str, str]] = []
    if kb is not None and product:
        try:
            passages = _of_product(kb, product)
        except Exception:  # a broken knowledge base must not hide the draft
            log.exception("could not read the passages of %r", product)
            passages = []
    seen = {p["id"] for p in passages}
    for e in evidence:
        ref = str(e.get("ref") or "")
        if ref and ref in seen:
            continue
        text = None
        if kb is not None and ref:
            try:
                text = kb.lookup(ref)
            except Exception:
                text = None
        item = _as_dict(e)
        if text:
            item["text"] = text
        item["id"] = ref or str(e.get("id") or "")
        passages.append(item)
        seen.add(item["id"])
    return passages
