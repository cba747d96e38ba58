"""The words a knowledge-base search looks for: any user text as a safe FTS5 query, the same
words for PostgreSQL's web-search syntax, and the word that names a product in an untagged
source (tools/kb.py).
"""

from __future__ import annotations

import re

MAX_TERMS = 32

_STOP = frozenset(
    "a an and are as at be by for from has have in is it its of on or our that the their this to "
    "with we you your who what will can not no do does how which when".split()
)


# -- search ------------------------------------------------------------------------------------
def fts_query(text: str) -> str:
    """Any user text as a safe FTS5 query: its words, each quoted, joined with OR."""
    words = [w for w in re.findall(r"\w+", text.lower()) if w.strip("_")]
    wanted = [w for w in words if w not in _STOP] or words
    unique = list(dict.fromkeys(w.replace('"', "") for w in wanted))[:MAX_TERMS]
    return " OR ".join(f'"{w}"' for w in unique)


def pg_query(match: str) -> str:
    """`fts_query`'s quoted words as PostgreSQL's web-search syntax: the same words, ORed."""
    return " or ".join(w.strip('"') for w in match.split(" OR "))


def product_key(product: str) -> str:
    """The word that names a product in an untagged source: its first word of 3+ letters that
    is not a common word ("BrewBot X1 grinder" -> "brewbot")."""
    for word in re.findall(r"[a-z0-9][a-z0-9'-]+", product.lower()):
        if len(word) >= 3 and word not in _STOP and not word.isdigit():
            return word
    return ""
