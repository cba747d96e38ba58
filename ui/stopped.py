"""A campaign whose run stopped, in a marketer's words: what happened, that nothing is lost, what
to do. The exception itself is for whoever runs Signoff: pages keep it in a tooltip."""

from __future__ import annotations

NOTHING_LOST = (
    "Nothing is lost: the brief, the research and every draft and decision so far are saved."
)


def _kind(error: str) -> str:
    text = error.lower()
    if "timeout" in text or "timed out" in text:
        return "slow"
    if any(w in text for w in ("connect", "unreachable", "refused")):
        return "unreachable"
    if "no model" in text or "api key" in text or "api_key" in text:
        return "setup"
    return "other" if error else "unknown"


def what_happened(error: str) -> str:
    """One sentence: why the run stopped ('' when nothing says why)."""
    return {
        "slow": "The writing model took too long to answer (the machine may be busy).",
        "unreachable": "The writing model could not be reached.",
        "setup": "No writing model is set up for Signoff yet.",
        "other": "Something went wrong while drafting.",
        "unknown": "",
    }[_kind(error)]


def what_to_do(error: str) -> str:
    """One sentence: what the marketer can do about it."""
    return {
        "slow": "Retry in a moment: it carries on from where it stopped.",
        "unreachable": "Check that the sidebar says the writing model is ready, then retry: "
        "it carries on from where it stopped.",
        "setup": "Ask whoever runs Signoff to set one up (the detail is under “What went "
        "wrong”), then retry: it carries on from where it stopped.",
    }.get(
        _kind(error),
        "Retry carries it on from where it stopped. If it stops again, ask whoever runs "
        "Signoff (the detail is under “What went wrong”).",
    )
