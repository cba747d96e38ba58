"""researcher: gathers evidence (quote + source) from the knowledge base. Read-only."""

from __future__ import annotations

import logging
from typing import Any

from graphs.state import CampaignState, Evidence
from tools.knowledge import search

log = logging.getLogger(__name__)

MAX_EVIDENCE = 6


def researcher(state: CampaignState) -> dict[str, Any]:
    brief = state["brief"]
    query = " ".join((brief["product"], brief["audience"], brief["goal"]))
    passages = search(query, k=MAX_EVIDENCE)
    evidence: list[Evidence] = [
        Evidence(id=f"E{i}", source=p.source, location=p.location, quote=p.text)
        for i, p in enumerate(passages, start=1)
    ]
    log.info("researcher found %d passages for %r", len(evidence), query)
    return {"evidence": evidence}
