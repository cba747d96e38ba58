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

import hashlib
import json
import logging
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tools import injection
from tools.documents import (
    SUPPORTED,
    SUPPORTED_HELP,
    _Doc,
    check_size,
    kind_of,
    parse,
    short_quote,
    split_markdown,
)
from tools.fetch import FetchLimits, fetch
from tools.kb_schema import _PG_LOCK, PG_SCHEMA, SCHEMA, Passage, SourceInfo
from tools.kb_search import fts_query, pg_query, product_key

__all__ = [  # parsing lives in tools/documents.py; these names stay importable from here
    "SAMPLE_DIR",
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

log = logging.getLogger(__name__)

SAMPLE_DIR = Path(__file__).with_name("brand_kit")
SAMPLE_PRODUCT = "Brightloop"
SAMPLE_VOICE = frozenset({"style.md"})
FETCH_TIMEOUT = 15.0


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _ref(uri: str, location: str, text: str) -> str:
    return hashlib.sha256(f"{uri}\x00{location}\x00{text}".encode()).hexdigest()[:16]


class KnowledgeBase:
    """Sources, passages and their full-text index in one SQLite file (tables `kb_*`)."""

    def __init__(self, db_path: Path | str, *, url: str | None = None) -> None:
        """The knowledge base in the SQLite file `db_path`, or, with `url`, in that PostgreSQL
        database (`KnowledgeBase.open` picks by SIGNOFF_DATABASE_URL)."""
        self.db_path = Path(db_path)
        self._lock = threading.RLock()
        self.dialect = "postgresql" if url else "sqlite"
        if url:
            from graphs.storage.database import PgConnection

            self._conn: Any = PgConnection(url, self.db_path)
            with self._write() as db:  # one creator at a time: CREATE IF NOT EXISTS can race
                for statement in PG_SCHEMA:
                    db.execute(statement)
            return
        if str(db_path) != ":memory:":
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(
            str(db_path), check_same_thread=False, timeout=30, isolation_level=None
        )
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        with self._lock:
            self._conn.executescript(SCHEMA)  # idempotent: CREATE ... IF NOT EXISTS
            columns = {r[1] for r in self._conn.execute("PRAGMA table_info(kb_sources)")}
            for name, ddl in (
                ("product", "TEXT NOT NULL DEFAULT ''"),
                ("role", "TEXT NOT NULL DEFAULT 'facts'"),
            ):
                if name not in columns:  # a knowledge base from before products
                    self._conn.execute(f"ALTER TABLE kb_sources ADD COLUMN {name} {ddl}")

    @classmethod
    def open(cls, db_path: Path | str) -> KnowledgeBase:
        """The data directory's knowledge base: in PostgreSQL when SIGNOFF_DATABASE_URL names
        one (shared by every page server and worker), else in the SQLite file `db_path`."""
        from graphs.storage.database import database_url

        return cls(db_path, url=database_url())

    # -- plumbing
    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    class _Tx:
        def __init__(self, kb: KnowledgeBase) -> None:
            self.kb = kb

        def __enter__(self) -> Any:
            self.kb._lock.acquire()
            try:
                if self.kb.dialect == "postgresql":
                    self.kb._conn.execute("BEGIN")
                    self.kb._conn.execute("SELECT pg_advisory_xact_lock(?)", (_PG_LOCK,))
                else:
                    self.kb._conn.execute("BEGIN IMMEDIATE")  # waits up to 30 s for writers
            except BaseException:
                self.kb._lock.release()
                raise
            return self.kb._conn

        def __exit__(self, exc_type: object, *rest: object) -> None:
            try:
                self.kb._conn.execute("ROLLBACK" if exc_type else "COMMIT")
            finally:
                self.kb._lock.release()

    def _write(self) -> KnowledgeBase._Tx:
        return KnowledgeBase._Tx(self)

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        with self._lock:
            return list(self._conn.execute(sql, tuple(params)))

    # -- adding
    def add_path(
        self,
        path: Path | str,
        *,
        on_progress: Callable[[SourceInfo], None] | None = None,
        product: str = "",
    ) -> list[SourceInfo]:
        """Add a file, or every supported file under a folder (recursively)."""
        path = Path(path).expanduser()
        if not path.exists():
            raise ValueError(
                f"{path} does not exist; expected a file ({SUPPORTED_HELP}) or a folder of them."
            )
        if path.is_file():
            info = self._add_file(path, product=product)
            if on_progress:
                on_progress(info)
            return [info]
        files = [
            p
            for p in sorted(path.rglob("*"))
            if p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
            and p.suffix.lower() in SUPPORTED
        ]
        if not files:
            raise ValueError(
                f"No {SUPPORTED_HELP} files in {path}; add files of those types (or a web address)."
            )
        added = []
        for file in files:
            info = self._add_file(file, product=product)
            added.append(info)
            if on_progress:
                on_progress(info)
        return added

    def _add_file(
        self, path: Path, uri: str | None = None, *, product: str = "", role: str = "facts"
    ) -> SourceInfo:
        kind = kind_of(path.name)
        limits = FetchLimits.from_env()
        check_size(path.name, path.stat().st_size, limits)
        data = path.read_bytes()
        return self._store(
            uri or str(path.resolve()),
            path.name,
            data,
            parse(data, path.name, kind, limits),
            product=product,
            role=role,
        )

    def add_bytes(
        self, name: str, data: bytes, kind: str | None = None, *, product: str = ""
    ) -> SourceInfo:
        """An uploaded file (`upload:NAME`; uploading the same name again replaces it)."""
        kind = kind or kind_of(name)
        limits = FetchLimits.from_env()
        check_size(name, len(data), limits)
        return self._store(
            f"upload:{name}", name, data, parse(data, name, kind, limits), product=product
        )

    def add_text(self, name: str, text: str, kind: str = "md", *, product: str = "") -> SourceInfo:
        """Text given directly (`text:NAME`); `kind` is "md", "txt" or "html"."""
        if kind not in ("md", "txt", "html"):
            raise ValueError(f"Unknown kind {kind!r} for text; expected 'md', 'txt' or 'html'.")
        if not text.strip():
            raise ValueError("The text is empty; paste the fact sheet's text (prices, offers…).")
        data = text.encode("utf-8")
        return self._store(f"text:{name}", name, data, parse(data, name, kind), product=product)

    def add_url(
        self, url: str, limits: FetchLimits | None = None, *, product: str = ""
    ) -> SourceInfo:
        """Fetch a public web page (or a PDF or text file on the web) and add its main text.

        Only http(s), never an internal address (tools/fetch.py), within the size and time caps.
        """
        url = url.strip()
        if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/]+", url):
            raise ValueError(
                f"{url!r} is not a web address; expected one starting with http:// or https://."
            )
        limits = limits or FetchLimits.from_env()
        data, ctype, final = fetch(url, limits)
        if ctype == "application/pdf" or final.lower().endswith(".pdf"):
            kind = "pdf"
        elif ctype in ("text/plain", "text/markdown"):
            kind = "md" if ctype == "text/markdown" or final.lower().endswith(".md") else "txt"
        else:
            kind = "html"
        doc = parse(data, url, kind, limits)
        return self._store(url, url, data, doc, product=product)

    def _store(
        self,
        uri: str,
        name: str,
        data: bytes,
        doc: _Doc,
        *,
        product: str = "",
        role: str = "facts",
    ) -> SourceInfo:
        product = " ".join(product.split())[:200]
        reasons = injection.detect(doc.text, doc.html)
        passages = []
        seen: set[str] = set()
        for location, text in doc.blocks:
            ref = _ref(uri, location, text)
            if ref in seen:
                continue
            seen.add(ref)
            flags = injection.labels(injection.detect(text))
            passages.append((ref, location, text, flags))
        found = set(injection.labels(reasons)) | {f for *_, flags in passages for f in flags}
        source_flags = [label for label in injection.LABELS if label in found]
        digest = hashlib.sha256(data).hexdigest()
        with self._write() as db:
            row = db.execute("SELECT id FROM kb_sources WHERE uri = ?", (uri,)).fetchone()
            if row:
                source_id = int(row["id"])
                self._delete_passages(db, source_id)
                db.execute(
                    "UPDATE kb_sources SET kind=?, name=?, title=?, added_at=?, sha256=?, flags=?, "
                    "reasons=?, product=?, role=? WHERE id=?",
                    (
                        doc.kind,
                        name,
                        doc.title,
                        _now(),
                        digest,
                        json.dumps(source_flags),
                        json.dumps(reasons),
                        product,
                        role,
                        source_id,
                    ),
                )
            else:
                cur = db.execute(
                    "INSERT INTO kb_sources(uri, kind, name, title, added_at, sha256, flags, reasons,"
                    " product, role) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (
                        uri,
                        doc.kind,
                        name,
                        doc.title,
                        _now(),
                        digest,
                        json.dumps(source_flags),
                        json.dumps(reasons),
                        product,
                        role,
                    ),
                )
                source_id = int(cur.fetchone()[0])
            stem = Path(name).stem
            for order, (ref, location, text, flags) in enumerate(passages):
                if self.dialect == "postgresql":  # its index is a generated column
                    db.execute(
                        "INSERT INTO kb_passages(ref, source_id, ord, location, text, flags, name)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (ref, source_id, order, location, text, json.dumps(flags), stem),
                    )
                    continue
                cur = db.execute(
                    "INSERT INTO kb_passages(ref, source_id, ord, location, text, flags) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (ref, source_id, order, location, text, json.dumps(flags)),
                )
                db.execute(
                    "INSERT INTO kb_fts(rowid, text, location, name) VALUES (?, ?, ?, ?)",
                    (cur.lastrowid, text, location, stem),
                )
        info = self.source(source_id)
        if info is None:  # pragma: no cover - removed by another process in between
            raise ValueError(f"{name} was removed while it was being added; add it again.")
        log.info(
            "knowledge base: %s %s (%d passages%s)",
            "replaced" if row else "added",
            name,
            len(passages),
            f"; flagged: {', '.join(source_flags)}" if source_flags else "",
        )
        return info

    def _delete_passages(self, db: Any, source_id: int) -> None:
        if self.dialect == "sqlite":
            db.execute(
                "DELETE FROM kb_fts WHERE rowid IN (SELECT id FROM kb_passages WHERE source_id = ?)",
                (source_id,),
            )
        db.execute("DELETE FROM kb_passages WHERE source_id = ?", (source_id,))

    def ensure_sample(self) -> list[SourceInfo]:
        """Add the sample brand kit once, when the knowledge base has never held anything.

        Removing the sample later does not bring it back (the marketer chose their own sources).
        """
        with self._lock:
            seeded = self._conn.execute(
                "SELECT value FROM kb_meta WHERE key = 'sample_offered'"
            ).fetchone()
            empty = self._conn.execute("SELECT 1 FROM kb_sources LIMIT 1").fetchone() is None
            if seeded or not empty:
                if not seeded:
                    self._mark_sample_offered()
                return []
            # The sample kit is evidence for its own product only; its style guide is the
            # sample brand's voice (graphs/brand.py), never evidence.
            added = [
                self._add_file(
                    p,
                    uri=f"sample:{p.name}",
                    product=SAMPLE_PRODUCT,
                    role="voice" if p.name in SAMPLE_VOICE else "facts",
                )
                for p in sorted(SAMPLE_DIR.iterdir())
                if p.is_file() and p.suffix.lower() in SUPPORTED
            ]
            self._mark_sample_offered()
            log.info("knowledge base was empty: added the sample brand kit (%d files)", len(added))
            return added

    def _mark_sample_offered(self) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO kb_meta(key, value) VALUES ('sample_offered', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (_now(),),
            )

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

    # -- removing
    def remove(self, source_id: int) -> SourceInfo | None:
        """Remove a source and its passages; returns what was removed, None if there was none."""
        info = self.source(source_id)
        if info is None:
            return None
        with self._write() as db:
            self._delete_passages(db, info.id)
            db.execute("DELETE FROM kb_sources WHERE id = ?", (info.id,))
        log.info("knowledge base: removed %s", info.name)
        return info
