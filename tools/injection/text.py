"""Reading plain text: normalising (look-alike letters, invisible characters), running the rules
fast, and decoding what is disguised (base64, rot13, look-alike links)."""

from __future__ import annotations

import base64
import logging
import re
import unicodedata
from typing import Any

import re2

from tools.injection.common import DISGUISED, INSTRUCTIONS, INVISIBLE, _clip
from tools.injection.rules import _NEGATED, RULES

log = logging.getLogger(__name__)

# Hidden text is worth a flag when it looks like it is there for a machine, not a layout.
_SUSPICIOUS_HIDDEN = re.compile(
    r"\b(?:ai|a\.i\.|llm|language model|chatbot|agent|assistant|model|bot)s?\s*[:,]|"
    r"\b(?:to|for|dear|attention|hey|hi)\s+(?:the\s+|any\s+|all\s+|every\s+)?(?:ai|llm|assistant|"
    r"agent|model|language model|chatbot|bot|crawler|scraper)s?\b|"
    r"\b(?:ignore|disregard|bcc|transfer|wire|approve|authori[sz]e)\b",
    re.IGNORECASE,
)

_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u180e\u200e\u200f")
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# ASCII-only tables run on UTF-8 bytes (bytes.translate is fast; multi-byte characters are
# untouched because all their bytes are >= 0x80).
_LEET_BYTES = bytes.maketrans(b"013457@", b"oieasta")
_ROT13_BYTES = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    b"NOPQRSTUVWXYZABCDEFGHIJKLMnopqrstuvwxyzabcdefghijklm",
)


def _ascii_translate(text: str, table: bytes) -> str:
    return text.encode("utf-8", "surrogatepass").translate(table).decode("utf-8", "surrogatepass")


# -- normalising ------------------------------------------------------------------------------
_TAGS = re.compile("[\U000e0020-\U000e007e]+")
_ZW_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u180e\u200e\u200f]")
_BIDI_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _tag_text(text: str) -> str:
    """Unicode tag characters (U+E0020–U+E007E) spell ASCII invisibly ("ASCII smuggling")."""
    if text.isascii():
        return ""
    return "".join(chr(ord(c) - 0xE0000) for run in _TAGS.findall(text) for c in run)


def _confusables() -> dict[int, str]:
    """Non-ASCII letters that look like an ASCII letter or digit (Unicode's confusables table,
    from the maintained `confusable_homoglyphs` package): 'а' (Cyrillic) → 'a'."""
    from confusable_homoglyphs import utils

    table: dict[int, str] = {}
    for char, glyphs in utils.load("confusables.json").items():
        if len(char) != 1 or char.isascii():
            continue
        for glyph in glyphs:
            target = glyph.get("c", "")
            if len(target) == 1 and target.isascii() and target.isalnum():
                table[ord(char)] = target.lower() if char.islower() else target
                break
    return table


_CONFUSABLE_TABLE = _confusables()
_CONFUSABLE = frozenset(chr(c) for c in _CONFUSABLE_TABLE)
# One pass for everything non-ASCII: look-alikes to ASCII, invisible characters dropped, curly
# quotes straightened.
_NORMAL_TABLE: dict[int, str | None] = {
    **_CONFUSABLE_TABLE,
    **{ord(c): None for c in _ZERO_WIDTH | _BIDI | {"\u00ad"}},
    **{c: None for c in range(0xE0000, 0xE0080)},
    0x2019: "'",
    0x2018: "'",
    0x201C: '"',
    0x201D: '"',
}


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def normalise(text: str) -> str:
    """What the rules read: NFKC, look-alike letters as the ASCII letters they imitate,
    invisible characters removed, one space between words."""
    if not text.isascii():
        text = _NON_ASCII.sub(
            lambda m: m.group(0).translate(_NORMAL_TABLE), unicodedata.normalize("NFKC", text)
        )
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def _invisible(text: str) -> list[str]:
    reasons = []
    tags = _tag_text(text)
    if tags.strip():
        reasons.append(f"{INVISIBLE}: invisible tag characters spell out '{_clip(tags)}'")
        reasons += _instructions(tags)
    if text.isascii():
        return reasons
    bidi = len(_BIDI_RE.findall(text))
    if bidi:
        reasons.append(
            f"{INVISIBLE}: {bidi} text-direction control character{'' if bidi == 1 else 's'}"
        )
    body = text[1:] if text.startswith("\ufeff") else text  # a leading byte-order mark is fine
    inside = 0
    total = 0
    for zw in _ZW_RE.finditer(body):
        i = zw.start()
        total += 1
        before = body[i - 1] if i else ""
        after = body[i + 1] if i + 1 < len(body) else ""
        if before.isascii() and before.isalnum() and after.isascii() and after.isalnum():
            inside += 1  # "ig\u200bnore": splits a word to dodge filters
    if inside or total >= 3 and not _emoji_joiners_only(body):
        where = "inside words" if inside else "in the text"
        zero = max(inside, total)
        reasons.append(
            f"{INVISIBLE}: {zero} zero-width character{'' if zero == 1 else 's'} {where}"
        )
    return reasons


def _emoji_joiners_only(text: str) -> bool:
    """Zero-width joiners between emoji (👨‍👩‍👧) are ordinary text."""
    for i, c in enumerate(text):
        if c in _ZERO_WIDTH:
            before = text[i - 1] if i else ""
            if c != "\u200d" or not before or unicodedata.category(before) not in ("So", "Sk"):
                return False
    return True


def _strip_lookaround(pattern: str) -> str:
    """The pattern without its lookarounds: a superset RE2 can run (it has no lookaround)."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        if pattern.startswith(("(?<!", "(?<=", "(?!", "(?="), i):
            depth, j, in_class = 0, i, False
            while j < n:
                c = pattern[j]
                if c == "\\":
                    j += 2
                    continue
                if in_class:
                    in_class = c != "]"
                elif c == "[":
                    in_class = True
                elif c == "(":
                    depth += 1
                elif c == ")":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            i = j + 1
            continue
        if pattern[i] == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        out.append(pattern[i])
        i += 1
    return "".join(out)


def _fast_rules() -> tuple[Any, list[Any]]:
    """RE2 (linear time, no backtracking) runs a superset of every rule; Python's `re` then
    confirms only the few spans RE2 found. A rule RE2 cannot compile runs in Python alone."""
    options = re2.Options()
    options.case_sensitive = False
    options.max_mem = 64 << 20
    rule_set = re2.Set.SearchSet(options)
    fast: list[Any] = []
    for rule in RULES:
        superset = "(?m)" + _strip_lookaround(rule.pattern.pattern)
        try:
            compiled = re2.compile(superset, options)
            index = rule_set.Add(superset)
        except Exception:  # pragma: no cover - every shipped rule compiles (a test checks)
            log.warning("rule %r runs without RE2", rule.what)
            fast.append(None)
            continue
        fast.append((index, compiled))
    rule_set.Compile()
    return rule_set, fast


_SET, _FAST = _fast_rules()
_RULE_OF = {fast[0]: index for index, fast in enumerate(_FAST) if fast is not None}
_SLOW_RULES = frozenset(index for index, fast in enumerate(_FAST) if fast is None)
_LEET_HAYS = ("plain", "leet", "joined")
_PLAIN_HAYS = ("plain", "joined")
_CONFIRM = 400  # how far around an RE2 span the exact rule is tried


def _first(index: int, hay: str, hits: set[int]) -> re.Match[str] | None:
    """The first match of rule `index` in `hay` that is not negated, or None."""
    rule, fast = RULES[index], _FAST[index]
    if fast is None:
        candidates = rule.pattern.finditer(hay)
    elif fast[0] not in hits:
        return None
    else:
        candidates = (
            m
            for span in fast[1].finditer(hay)
            for m in rule.pattern.finditer(
                hay, max(0, span.start() - _CONFIRM), min(len(hay), span.end() + _CONFIRM)
            )
        )
    for m in candidates:
        if not (rule.negatable and _NEGATED.search(hay[max(0, m.start() - 30) : m.start()])):
            return m
    return None


def _instructions(text: str, *, how: str = "") -> list[str]:
    """Reasons for instruction-like phrases in already readable text.

    Linear in the text: RE2 finds which rules may match in one pass; only their spans are
    checked again with the exact rule. `how` says how the text was read ("rot13 text reads ").
    """
    found: list[str] = []
    seen: set[str] = set()
    norm = normalise(text)
    lowered = norm.lower()
    hays = {"plain": lowered}
    if any(c in lowered for c in "013457@"):
        hays["leet"] = _ascii_translate(lowered, _LEET_BYTES)
    if "\n" in lowered:  # one instruction split over adjacent lines or passages
        hays["joined"] = " ".join(lowered.split("\n"))
    hits = {name: set(_SET.Match(hay) or ()) for name, hay in hays.items()}
    maybe = {_RULE_OF[i] for found_in in hits.values() for i in found_in} | _SLOW_RULES
    for index in sorted(maybe):  # only the rules RE2 found somewhere (usually none)
        rule = RULES[index]
        names = _LEET_HAYS if rule.what in ("override", "prompt", "role") else _PLAIN_HAYS
        for name in names:
            hay = hays.get(name)
            if hay is None:
                continue
            m = _first(index, hay, hits[name])
            if m is None:
                continue
            found_text = m.group(0)
            if len(found_text.strip()) < 16:  # "ai:" alone says little: show what follows
                tail = re.match(r"[^.!?\n]{0,40}", hay[m.end() : m.end() + 40])
                found_text += tail.group(0) if tail else ""
            snippet = _clip(found_text.strip(" .,:;\n"))
            if snippet not in seen:
                seen.add(snippet)
                found.append(f"{INSTRUCTIONS}: {how}'{snippet}'")
            break
    return found


# -- disguised text: look-alike letters, base64 and rot13 --------------------------------------
_B64_RUN = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{24,}={0,2}(?![A-Za-z0-9+/=_-])")
_MAX_DECODED = 200  # encoded runs decoded per document (each is scanned like text)


def _decoded_runs(text: str) -> list[str]:
    """Readable text hidden in long base64 runs (standard or URL-safe)."""
    out = []
    for m in _B64_RUN.finditer(text):
        run = m.group(0)
        if run.isalpha() and (run.islower() or run.isupper()):
            continue  # one long word, not base64
        try:
            raw = base64.b64decode(run.replace("-", "+").replace("_", "/") + "=" * (-len(run) % 4))
            decoded = raw.decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            continue
        printable = sum(c.isprintable() or c.isspace() for c in decoded)
        if decoded and printable / len(decoded) > 0.95 and " " in decoded:
            out.append(decoded)
            if len(out) >= _MAX_DECODED:
                break
    return out


def _disguised(text: str) -> list[str]:
    reasons: list[str] = []
    for decoded in _decoded_runs(text):
        found = _instructions(decoded, how="base64 text decodes to ")
        if not found and _URL_OR_CONTACT.search(decoded):
            found = [f"{INSTRUCTIONS}: base64 text decodes to '{_clip(decoded)}'"]
        reasons += found
    reasons += _instructions(_ascii_translate(text, _ROT13_BYTES), how="rot13 text reads ")
    for shown, target in _disguised_links(text):
        reasons.append(
            f"{INSTRUCTIONS}: a link that reads '{_clip(shown, 40)}' goes to {_clip(target, 40)}"
        )
    mixed = [] if text.isascii() else _mixed_words(text)
    if mixed:
        reasons.append(
            f"{DISGUISED}: {len(mixed)} {'word mixes' if len(mixed) == 1 else 'words mix'} Latin letters with look-alikes from other "
            f"alphabets, e.g. '{_clip(mixed[0], 30)}'"
        )
    return reasons


_MD_LINK = re.compile(r"\[([^\]\n]{1,200})\]\(\s*<?(https?://[^)\s>]+)")
_DOMAIN_IN = re.compile(r"(?i)\b((?:[a-z0-9-]+\.)+[a-z]{2,})\b")


def _host_of(url: str) -> str:
    host = re.sub(r"^https?://", "", url, flags=re.IGNORECASE).split("/")[0].split("?")[0]
    host = host.rpartition("@")[2].split(":")[0].lower()
    return host[4:] if host.startswith("www.") else host


def _disguised_links(text: str) -> list[tuple[str, str]]:
    """Markdown links whose text names one site and whose target is another."""
    out = []
    for m in _MD_LINK.finditer(text):
        shown, target = m.group(1), m.group(2)
        named = _DOMAIN_IN.search(shown)
        if not named:
            continue
        name = named.group(1).lower()
        name = name[4:] if name.startswith("www.") else name
        host = _host_of(target)
        if host != name and not host.endswith("." + name) and not name.endswith("." + host):
            out.append((shown, target))
            if len(out) >= 5:
                break
    return out


_URL_OR_CONTACT = re.compile(r"https?://|www\.|[\w.+-]+@[\w-]+\.\w")


_MIXED = re.compile(r"\w*(?:[a-zA-Z][^\x00-\x7f]|[^\x00-\x7f][a-zA-Z])\w*")


def _mixed_words(text: str) -> list[str]:
    """Words that mix ASCII letters with non-ASCII look-alikes ('ignоre' with a Cyrillic о)."""
    out = []
    for m in _MIXED.finditer(text):
        word = m.group(0)
        if word.isascii():
            continue
        if any(c.isascii() and c.isalpha() for c in word) and any(
            not c.isascii() and c in _CONFUSABLE for c in word
        ):
            out.append(word)
            if len(out) >= 50:
                break
    return out
