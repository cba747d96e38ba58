"""Cleaning what a small model writes: greetings and sign-offs it adds anyway, loose spacing."""

from __future__ import annotations

import re

# A greeting is the salutation and at most three words (a name) up to its own punctuation
# ("Hello.", "Dear Ann,", "Hi there!", "Hey Sam -") or the end of its line: never more. (Without a terminator
# the old pattern ate up to 60 characters of the message, and "Hello. We…" left ". We…".)
# Or the salutation and names, capitalised, joined by commas, "and" or "&", up to a comma, "!" or
# ":" ("Hello, Leeds!", "Hi Maria Lopez,", "Hello Maria, Leeds and Tom, Denver, welcome…"): the
# 0.5B greets the customers its facts quote, and "Leeds! We're excited…" or "Leeds and Tom,
# Denver, welcome…" was left at the top of the email. "Hi, we have…" keeps its words.
_NAME = r"(?-i:[A-Z][^\s.!?,:;&]*)"
_GREETING = re.compile(
    r"^\s*(?:dear|hi|hello|hey|greetings)\b"
    rf"(?:(?:[ \t]*,)?[ \t]*{_NAME}(?:(?:[ \t]*,[ \t]*|[ \t]+(?:and|&)[ \t]+|[ \t]+){_NAME}){{0,7}}"
    r"[ \t]*[!,:]"
    r"|(?:[ \t]+[^\s.!?,:;]+){0,3}(?:[.!?,:;]+|[ \t]*\n|[ \t]+[-–—]))\s*",
    re.I,
)
_LEADING = re.compile(r"^[\s.,;:!?\-–—]+")  # punctuation a message never starts with
_SIGNOFF = re.compile(
    r"\n\s*(best|kind regards|warm regards|regards|sincerely|thanks|thank you|cheers|"
    r"all the best|yours|warmly)\b[^\n]{0,40}$.*",
    re.I | re.S | re.M,
)
# A last line that signs as a team ("The Northpeak team") or is only a web address: the brand's
# signature and the brief's link are added for you; the 0.5B wrote both anyway (and wrote links
# as "https//northpeak.example/x" once the grammar forbade "://").
_SIGNATURE_LINE = re.compile(
    r"\n\s*(?:[-—–]+\s*)?(?:[Tt]he\s+)?(?:[A-Z][\w&'’-]*\s+){1,4}[Tt]eam\.?\s*$"
)
_LINKISH = re.compile(r"\bhttps?:?/*\S*|\bwww\.\S+", re.IGNORECASE)


# A sentence ends at . ! ? and a space, or at a full stop run into the next sentence's capital
# ("…on average.Brightloop 2…", as the 0.5B writes): a repeat glued on is still a repeat.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[a-z0-9%)][.!?])(?=[A-Z][a-z])")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def clean(text: str) -> str:
    """The model's copy without a greeting or sign-off it wrote anyway, and with tidy spacing.

    Repeated sentences are dropped (the second time something is said, it goes).
    """
    text = text.replace("\r\n", "\n").strip()
    text = _GREETING.sub("", text, count=1)
    text = _SIGNOFF.sub("", text).strip()
    text = _LINKISH.sub("", text)
    text = _SIGNATURE_LINE.sub("", "\n" + text).strip()
    text = _LEADING.sub("", text).strip()
    if text[:1].islower():  # "Hi, we have…" → "We have…"
        text = text[:1].upper() + text[1:]
    seen: set[str] = set()
    paragraphs = []
    for para in re.split(r"\n\s*\n", text):
        kept = []
        for sentence in sentences(" ".join(para.split())):
            key = re.sub(r"\W+", " ", sentence.lower()).strip()
            if key and key in seen:
                continue
            seen.add(key)
            kept.append(sentence)
        if kept:
            paragraphs.append(" ".join(kept))
    return "\n\n".join(paragraphs)


def once(text: str, seen: set[str]) -> str:
    """`text` without the sentences already in `seen` (which it extends): a page's parts are
    drafted as separate fields, and the 0.5B repeats a sentence from one in the next."""
    kept = []
    for sentence in sentences(text):
        key = re.sub(r"\W+", " ", sentence.lower()).strip()
        if key and key in seen:
            continue
        seen.add(key)
        kept.append(sentence)
    return " ".join(kept)


_DANGLING = re.compile(
    r"(?:[\s,:;–—-]+(?:a|an|the|and|or|with|for|of|to|in|on|at|by|your|our|from))+[\s,:;–—-]*$",
    re.IGNORECASE,
)


def title_case_end(title: str) -> str:
    """A title or subject the grammar's length limit stopped mid-phrase ("... in Dublin with a")
    without its dangling last words."""
    title = " ".join(title.split())
    return _DANGLING.sub("", title).strip() or title
