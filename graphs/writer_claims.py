"""writer_claims: the draft's sentence checks as the claims on an action and the checks the gate
and the inbox show, and the facts a send-back asks for by name ("Quote Tom from Denver")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from langgraph.runtime import Runtime

from graphs import prompts
from graphs.state import Claim, Context, Evidence


def _evidence_id(passage_id: str | None, evidence: Sequence[Evidence]) -> list[str]:
    """The evidence id ("E2") of a checked passage (its ref), when the researcher picked it."""
    for e in evidence:
        if passage_id and passage_id in (e.get("ref"), e["id"]):
            return [e["id"]]
    return []


def claims_of(checks: Sequence[Any], evidence: Sequence[Evidence]) -> list[Claim]:
    """The draft's fact sentences as claims, each with the passage that supports it (if any)."""
    return [
        Claim(text=c.sentence, evidence_ids=_evidence_id(c.passage_id, evidence))
        for c in checks
        if c.status in ("supported", "unsupported", "attributed")
    ]


def claim_checks(
    checks: Sequence[Any],
    evidence: Sequence[Evidence] = (),
    passages: Sequence[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """The sentence checks in the shape the gate and the inbox show (graphs.verifier.ClaimCheck)."""
    texts = {str(p["id"]): str(p["text"]) for p in passages}
    out = []
    for c in checks:
        if c.status not in ("supported", "unsupported", "attributed"):
            continue
        ok = c.status != "unsupported"
        if c.status == "attributed":
            reason = "A customer's words, quoted as theirs"
        elif ok:
            reason = f"Supported by {c.source}" if c.source else "Supported by the fact sheet"
        else:
            reason = c.differs or f"{', '.join(c.facts) or 'This'} is not in any passage"
        out.append(
            {
                "text": c.sentence,
                "evidence_ids": _evidence_id(c.passage_id, evidence),
                "supported": ok,
                "reason": reason,
                "quote": texts.get(str(c.passage_id)) if ok else None,
                "source": c.source,
            }
        )
    return out


def _quote_task(feedback: Sequence[str], facts: Sequence[Evidence]) -> str:
    """The words a send-back asks to quote ("Quote Tom from Denver"), under the reviewer's."""
    from graphs.quotes import facts_lines, quote_to_use

    line = quote_to_use(feedback, facts_lines(facts))
    return "\n" + prompts.QUOTE_TASK.format(line=line) if line else ""


def _asked(
    feedback: Sequence[str],
    checkable: Sequence[Mapping[str, Any]],
    evidence: Sequence[Evidence],
    runtime: Runtime[Context] | None,
) -> list[Evidence]:
    """The product's passages a send-back asks for by name ("Quote Tom from Denver") that the
    evidence lacks, as facts for the writer's prompt only (graphs/quotes.py `asked_facts`).
    A passage that is, or whose source is, flagged as carrying instructions is never added."""
    from graphs.quotes import asked_facts
    from tools import injection

    if not feedback:
        return []
    kb = getattr(runtime.context if runtime is not None else None, "kb", None)
    flagged = {e.get("ref") for e in evidence if e.get("flags")}
    out: list[Evidence] = []
    for p in asked_facts(feedback, checkable, [e["quote"] for e in evidence]):
        try:
            stored = kb.passage(p["ref"]) if kb is not None and p["ref"] else None
        except Exception:  # a knowledge base without passage lookup: the text's screen only
            stored = None
        if (
            p["ref"] in flagged
            or injection.detect(p["quote"])
            or (stored is not None and (stored.flags or stored.source_flags))
        ):
            continue
        out.append(
            Evidence(
                id=f"A{len(out) + 1}",
                source="",
                location=p["location"],
                quote=p["quote"],
                ref=p["ref"],
            )
        )
    return out
