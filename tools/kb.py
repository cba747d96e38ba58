"""The marketer's knowledge base: sources split into passages, searchable, in the app's database.

Sources are Markdown, text, HTML (saved pages or URLs) and PDF files. Each is split into passages
that keep where they came from (file or URL, and a heading or page), screened for instructions
aimed at an AI (`tools.injection`), and indexed for full-text search: SQLite FTS5 (bm25) in the
app's SQLite file, or, with SIGNOFF_DATABASE_URL, a generated tsvector column with a GIN index in
PostgreSQL (`ts_rank`, the same weights), so every page server and worker shares one knowledge
base. Tables are prefixed `kb_` and created by the knowledge base itself, idempotently, on either
database (its index is what differs). Graph state only ever holds passage refs and short quotes.

    kb = KnowledgeBase.open(home / "signoff.db")  # PostgreSQL when SIGNOFF_DATABASE_URL says so
    kb.ensure_sample()                      # a new user's first campaign uses the sample brand kit
    kb.add_path(Path("docs/"))              # files or folders
    kb.add_url("https://example.com/page")  # fetched with httpx, main text by trafilatura
    kb.search("price of the thermostat", k=5)

Re-adding a source (same file path, upload name or URL) replaces its passages.
"""

from __future__ import annotations

from tools import injection  # noqa: F401  (tools.kb.injection: the screen, patched in tests)
from tools.documents import SUPPORTED, SUPPORTED_HELP, short_quote, split_markdown
from tools.kb_ingest import FETCH_TIMEOUT, SAMPLE_DIR, SAMPLE_PRODUCT, SAMPLE_VOICE, KbIngest
from tools.kb_schema import Passage, SourceInfo
from tools.kb_search import fts_query, product_key

__all__ = [  # parsing lives in tools/documents.py; these names stay importable from here
    "FETCH_TIMEOUT",
    "SAMPLE_DIR",
    "SAMPLE_PRODUCT",
    "SAMPLE_VOICE",
    "SUPPORTED",
    "SUPPORTED_HELP",
    "KnowledgeBase",
    "Passage",
    "SourceInfo",
    "fts_query",
    "product_key",
    "short_quote",
    "split_markdown",
]


class KnowledgeBase(KbIngest):
    """Sources, passages and their full-text index in one SQLite file (tables `kb_*`).

    Its parts, one concern each: where it is stored and how it is written (`tools/kb_storage.py`
    `KbStorage`), reading and searching it (`tools/kb_read.py` `KbReading`), adding, replacing
    and removing sources (`tools/kb_ingest.py` `KbIngest`)."""
