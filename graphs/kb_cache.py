"""The knowledge base's reads, cached per version of the knowledge base.

One campaign asks the knowledge base for the same product's sources and passages a dozen times
(researcher, writer, the draft checks, assess, the campaign view), each a few queries and a few
hundred passages built again. `CachedKnowledgeBase` sits in front of a `tools.kb.KnowledgeBase`
(and is used in its place: every other attribute is the knowledge base's own) and answers the
pure reads (`product_sources`, `product_passages`, `search`, `passage`, `lookup`) from a cache
keyed by the knowledge base's *version*: the list of its sources with their id, content hash,
time added, product and role. Every change to what a read returns replaces a source's passages,
which rewrites its row (a new hash and time) or removes it, so a change made by any process or
page server (the same SQLite file, or PostgreSQL) gives a new version and the next read misses;
one cheap query per read checks it. A write through this object also empties the cache at once.

Within a graph run, the version is read once, when the run first reads the knowledge base:
Signoff's runtime puts a lazy holder in the run's config (`RUN_VERSION`,
graphs/runtime/runs.py `_RunVersion`), so the nodes' reads (worker threads, where every
statement waits for the GIL behind the other branches) make one query per run at most, one run
reads one version of the knowledge base, and a resume that reads none (through the gate, the
hold and the publisher) makes no query.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

log = logging.getLogger(__name__)

CACHED = ("product_sources", "product_passages", "search", "passage", "lookup")
VERSION_SQL = "SELECT id, sha256, added_at, product, role FROM kb_sources ORDER BY id"
MAX_ENTRIES = 512  # per version; a new version starts empty
RUN_VERSION = "__signoff_kb_version"  # the run's config key ("__": never in checkpoint metadata)


class CachedKnowledgeBase:
    """A `KnowledgeBase` whose pure reads are cached per version (see the module docstring)."""

    def __init__(self, kb: Any) -> None:
        self.kb = kb
        self._lock = threading.Lock()
        self._version: str | None = None
        self._entries: dict[tuple[Any, ...], Any] = {}
        self._pins = threading.local()  # `pinned()`'s version, per (Python) thread

    def version(self) -> str:
        """The knowledge base's version now (one query)."""
        return _version_of(self.kb._rows(VERSION_SQL))

    @contextmanager
    def pinned(self) -> Iterator[str]:
        """Read the version once (one query) and use it for this (Python) thread's reads
        outside a run until the block ends, and as the version of a run started there
        (graphs/runtime/runs.py `_RunVersion`): a campaign's start checks its product's facts
        and its first run reads the knowledge base at one version, with one query for both."""
        version = self.version()
        previous = getattr(self._pins, "version", None)
        self._pins.version = version
        try:
            yield version
        finally:
            self._pins.version = previous

    def pinned_version(self) -> str | None:
        """The version `pinned()` holds on this (Python) thread, or None."""
        return getattr(self._pins, "version", None)

    def _current(self) -> str:
        """The run's version when called inside a graph run that carries one, else the version
        pinned on this thread (`pinned()`), else `version()`."""
        try:
            from langgraph.config import get_config

            found = get_config().get("configurable", {}).get(RUN_VERSION)
        except RuntimeError:  # outside a run
            found = None
        return str(found) if found else (self.pinned_version() or self.version())

    def _cached(self, name: str, args: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        version = self._current()
        key = (name, *args)
        with self._lock:
            if version != self._version:
                self._version, self._entries = version, {}
            elif key in self._entries:
                return _copy(self._entries[key])
        value = compute()
        with self._lock:
            if version == self._version and len(self._entries) < MAX_ENTRIES:
                self._entries[key] = value
        return _copy(value)

    def memo(self, name: str, args: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        """`compute()`, kept for this version of the knowledge base: for what is derived from
        the cached reads alone (e.g. a product's passages in the checker's form). The value
        is shared: the caller copies what it hands on."""
        return self._cached("memo:" + name, args, compute)

    def invalidate(self) -> None:
        with self._lock:
            self._version, self._entries = None, {}

    # -- the cached reads (signatures as tools.kb.KnowledgeBase's)
    def product_sources(self, product: str) -> list[int]:
        return self._cached("sources", (product,), lambda: self.kb.product_sources(product))

    def product_passages(self, product: str) -> list[Any]:
        return self._cached("passages", (product,), lambda: self.kb.product_passages(product))

    def search(self, query: str, k: int = 6, *, product: str | None = None) -> list[Any]:
        return self._cached(
            "search", (query, k, product), lambda: self.kb.search(query, k, product=product)
        )

    def passage(self, ref: str) -> Any:
        return self._cached("passage", (ref,), lambda: self.kb.passage(ref))

    def lookup(self, ref: str) -> str | None:
        found = self.passage(ref)
        return found.text if found else None

    # -- everything else is the knowledge base's own; a call that may write empties the cache
    def __getattr__(self, name: str) -> Any:
        value = getattr(self.kb, name)
        if callable(value) and not name.startswith("__") and name not in _READS:
            invalidate = self.invalidate

            def call(*args: Any, **kwargs: Any) -> Any:
                try:
                    return value(*args, **kwargs)
                finally:
                    invalidate()

            return call
        return value

    def __enter__(self) -> CachedKnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kb.close()


# reads that never change the knowledge base (no need to empty the cache after them)
_READS = frozenset(
    {"sources", "source", "is_empty", "products", "passages", "_rows", "_passage", "_source"}
)


def _version_of(rows: Any) -> str:
    return hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value
