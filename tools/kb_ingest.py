"""Adding to the knowledge base: files, folders, uploads, pasted text and web pages, parsed into
passages, screened for instructions aimed at an AI and indexed; re-adding a source (same path,
upload name or URL) replaces its passages (an unchanged passage keeps its ref); the sample kit
once; removing a source (tools/kb.py `KnowledgeBase`; moved here from tools/kb.py unchanged).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from tools import injection
from tools.documents import SUPPORTED, SUPPORTED_HELP, _Doc, check_size, kind_of, parse
from tools.fetch import FetchLimits, fetch
from tools.kb_read import KbReading
from tools.kb_schema import SourceInfo

log = logging.getLogger("tools.kb")

SAMPLE_DIR = Path(__file__).with_name("brand_kit")
SAMPLE_PRODUCT = "Brightloop"
SAMPLE_VOICE = frozenset({"style.md"})
FETCH_TIMEOUT = 15.0


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _ref(uri: str, location: str, text: str) -> str:
    return hashlib.sha256(f"{uri}\x00{location}\x00{text}".encode()).hexdigest()[:16]


class KbIngest(KbReading):
    """Adding and removing sources (each add or replace in one transaction)."""

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
            # the source's row: its columns (names fixed here, never from input) once, for
            # an update of a URI read before and for a new one
            fields = {
                "kind": doc.kind,
                "name": name,
                "title": doc.title,
                "added_at": _now(),
                "sha256": digest,
                "flags": json.dumps(source_flags),
                "reasons": json.dumps(reasons),
                "product": product,
                "role": role,
            }
            if row:
                source_id = int(row["id"])
                self._delete_passages(db, source_id)
                sets = ", ".join(f"{column}=?" for column in fields)
                db.execute(
                    f"UPDATE kb_sources SET {sets} WHERE id=?", (*fields.values(), source_id)
                )
            else:
                columns = ", ".join(["uri", *fields])
                marks = ", ".join("?" * (len(fields) + 1))
                cur = db.execute(
                    f"INSERT INTO kb_sources({columns}) VALUES ({marks}) RETURNING id",
                    (uri, *fields.values()),
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
