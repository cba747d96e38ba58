"""New PostgreSQL schemas on demand, for harnesses that want a fresh database per trial.

with schemas(url_or_None) as new_url:   # None: a throwaway cluster (tests/pg_cluster.py)
    url = new_url()                     # a URL whose connections see only a new schema
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg
from pg_cluster import Cluster


def schema_url(url: str) -> str:
    """Create a new, empty database in the server at `url` (its user needs CREATEDB); its URL."""
    name = "f_" + uuid.uuid4().hex[:12]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


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
