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


# The audience called out at the top of an email that already says "Hello,": the 0.5B opened
# the demo email with "Homeowners with high heating bills! We are excited…" (the brief's
# audience as a greeting). A first phrase up to "!", "," or ":" whose words are all the
# audience's (and greeting words) goes; "High heating bills? …" or "Heating bills are rising!"
# have words of their own, or no such ending, and stay.
_CALL_OUT = re.compile(r"^\s*([^\n.!?,:;]{3,80}?)\s*[!,:]+\s+(?=\S)")
_CALL_WORDS = {"dear", "hello", "hi", "hey", "all", "fellow", "every", "friends", "everyone", "you"}


def without_call_out(text: str, audience: str) -> str:
    """`text` without an opening that only calls out `audience` ("Homeowners with high heating
    bills! We are…" → "We are…")."""
    found = _CALL_OUT.match(text)
    if not found or not audience.strip():
        return text
    words = _words(found.group(1))
    audience_words = _words(audience)
    if not words & audience_words or not words <= audience_words | _CALL_WORDS:
        return text
    rest = text[found.end() :]
    return rest[:1].upper() + rest[1:]


def _words(text: str) -> set[str]:
    """Lower-cased words without a plural "s" and without the few that join them."""
    joiners = {"a", "an", "the", "and", "or", "with", "who", "of", "for", "in", "on", "at", "to"}
    return {w.rstrip("s") for w in re.findall(r"[a-z][a-z'’-]*", text.lower()) if w not in joiners}
