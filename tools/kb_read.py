"""Reading the knowledge base: its sources, its passages and the full-text search over them,
for one product or all (tools/kb.py `KnowledgeBase`; moved here from tools/kb.py unchanged)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from tools.kb_schema import Passage, SourceInfo
from tools.kb_search import fts_query, pg_query, product_key
from tools.kb_storage import KbStorage


class KbReading(KbStorage):
    """Sources, passages and search (bm25 on SQLite FTS5, ts_rank on PostgreSQL)."""

    # -- reading
    def _source(self, row: sqlite3.Row) -> SourceInfo:
        return SourceInfo(
            id=int(row["id"]),
            uri=row["uri"],
            kind=row["kind"],
            name=row["name"],
            title=row["title"],
            added_at=row["added_at"],
            sha256=row["sha256"],
            flags=json.loads(row["flags"]),
            reasons=json.loads(row["reasons"]),
            passages=int(row["n"]),
            product=row["product"],
            role=row["role"],
        )

    _SOURCES = (
        "SELECT s.*, (SELECT count(*) FROM kb_passages p WHERE p.source_id = s.id) AS n "
        "FROM kb_sources s"
    )

    def sources(self) -> list[SourceInfo]:
        """Every source, oldest first."""
        return [self._source(r) for r in self._rows(self._SOURCES + " ORDER BY s.id")]

    def source(self, source_id: int) -> SourceInfo | None:
        rows = self._rows(self._SOURCES + " WHERE s.id = ?", (int(source_id),))
        return self._source(rows[0]) if rows else None

    def is_empty(self) -> bool:
        return not self._rows("SELECT 1 FROM kb_sources LIMIT 1")

    _PASSAGES = (
        "SELECT p.ref, p.location, p.text, p.flags, p.source_id, s.name, s.flags AS sflags "
        "FROM kb_passages p JOIN kb_sources s ON s.id = p.source_id"
    )

    @staticmethod
    def _passage(row: sqlite3.Row, score: float = 0.0) -> Passage:
        return Passage(
            ref=row["ref"],
            source=row["name"],
            location=row["location"],
            text=row["text"],
            flags=json.loads(row["flags"]),
            source_id=int(row["source_id"]),
            source_flags=json.loads(row["sflags"]),
            score=score,
        )

    def search(self, query: str, k: int = 6, *, product: str | None = None) -> list[Passage]:
        """The `k` passages that best match the words of `query` (bm25), best first.

        Any text works as a query: punctuation and FTS syntax are ignored, never raised on.
        With `product`, only that product's evidence is searched (`product_sources`).
        """
        match = fts_query(query)
        if not match or k <= 0:
            return []
        where = ""
        params: list[Any] = [match]
        if product is not None:
            ids = self.product_sources(product)
            if not ids:
                return []
            where = f" AND p.source_id IN ({','.join('?' * len(ids))})"
            params += list(ids)
        if (
            self.dialect == "postgresql"
        ):  # the same words, ORed, ranked by ts_rank (length-normalised, as bm25 is)
            rows = self._rows(
                "SELECT p.ref, p.location, p.text, p.flags, p.source_id, s.name, s.flags AS "
                "sflags, -ts_rank('{0.1, 0.3, 0.6, 1.0}', p.tsv, q, 1) AS rank "
                "FROM kb_passages p JOIN kb_sources s ON s.id = p.source_id, "
                "websearch_to_tsquery('english', ?) q WHERE p.tsv @@ q"
                + where
                + " ORDER BY rank, p.id LIMIT ?",
                (pg_query(match), *params[1:], int(k)),
            )
            return [self._passage(r, score=-float(r["rank"])) for r in rows]
        rows = self._rows(
            "SELECT p.ref, p.location, p.text, p.flags, p.source_id, s.name, s.flags AS sflags, "
            "bm25(kb_fts, 1.0, 0.6, 0.3) AS rank FROM kb_fts "
            "JOIN kb_passages p ON p.id = kb_fts.rowid JOIN kb_sources s ON s.id = p.source_id "
            "WHERE kb_fts MATCH ?" + where + " ORDER BY rank, p.id LIMIT ?",
            (*params, int(k)),
        )
        return [self._passage(r, score=-float(r["rank"])) for r in rows]

    def product_sources(self, product: str) -> list[int]:
        """The sources that are evidence for `product`: those tagged with it (a tag names the
        product when all its words are among the product's, or the other way round), and
        untagged sources that name the product. Style guides ("voice") are never evidence."""
        from graphs.brand import product_matches

        ids = []
        untagged = []
        for row in self._rows("SELECT id, product FROM kb_sources WHERE role = 'facts'"):
            if row["product"]:
                if product_matches(row["product"], product):
                    ids.append(int(row["id"]))
            else:
                untagged.append(int(row["id"]))
        key = product_key(product)
        if untagged and key:
            marks = ",".join("?" * len(untagged))
            rows = self._rows(
                f"SELECT DISTINCT p.source_id FROM kb_passages p JOIN kb_sources s "
                f"ON s.id = p.source_id WHERE p.source_id IN ({marks}) AND "
                "(lower(p.text) LIKE ? OR lower(s.title) LIKE ? OR lower(s.name) LIKE ?)",
                (*untagged, *[f"%{key}%"] * 3),
            )
            ids += [int(r["source_id"]) for r in rows]
        return sorted(set(ids))

    def product_passages(self, product: str) -> list[Passage]:
        """Every passage of the product's evidence, in source order."""
        ids = self.product_sources(product)
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        return [
            self._passage(r)
            for r in self._rows(
                self._PASSAGES + f" WHERE p.source_id IN ({marks}) ORDER BY p.source_id, p.ord",
                ids,
            )
        ]

    def products(self) -> list[str]:
        """The product tags in use, for the page's picker."""
        rows = self._rows("SELECT DISTINCT product FROM kb_sources WHERE product != '' ORDER BY 1")
        return [r["product"] for r in rows]

    def passage(self, ref: str) -> Passage | None:
        rows = self._rows(self._PASSAGES + " WHERE p.ref = ?", (ref,))
        return self._passage(rows[0]) if rows else None

    def lookup(self, ref: str) -> str | None:
        """The passage text for a ref, or None (for `graphs.verifier.verify_claims`)."""
        found = self.passage(ref)
        return found.text if found else None

    def passages(self, source_id: int) -> list[Passage]:
        return [
            self._passage(r)
            for r in self._rows(
                self._PASSAGES + " WHERE p.source_id = ? ORDER BY p.ord", (source_id,)
            )
        ]
