"""New PostgreSQL schemas on demand, for harnesses that want a fresh database per trial.

with schemas(url_or_None) as new_url:   # None: a throwaway cluster (tests/pg_cluster.py)
    url = new_url()                     # a URL whose connections see only a new schema
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from pg_cluster import Cluster


def schema_url(url: str) -> str:
    """Create a new, empty schema in the database at `url`; a URL that sees only it."""
    name = "f_" + uuid.uuid4().hex[:12]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    parts = urlsplit(url)
    option = f"options={quote(f'-c search_path={name}')}"
    query = f"{parts.query}&{option}" if parts.query else option
    return urlunsplit(parts._replace(query=query))


@contextmanager
def schemas(url: str | None = None) -> Iterator[Callable[[], str]]:
    """New schemas in the database at `url`, or in a throwaway cluster started here."""
    if url:
        yield lambda: schema_url(url)
        return
    cluster = Cluster().start()
    try:
        yield lambda: schema_url(cluster.url)
    finally:
        cluster.stop()
