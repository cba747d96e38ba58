"""The knowledge base's reads cached per version (graphs/kb_cache.py): the same answers as the
knowledge base itself, and a change made through it, through another connection (another page
server or worker) or between two graph runs is seen by the next read."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.runnables import RunnableLambda

from graphs.kb_cache import RUN_VERSION, CachedKnowledgeBase
from tools.kb import KnowledgeBase

PRODUCT = "Brightloop 2 smart thermostat"


@pytest.fixture
def kbs(tmp_path: Path, database: str):
    """A cached knowledge base and a second, plain one on the same database (another process)."""
    with (
        KnowledgeBase.open(tmp_path / "signoff.db") as base,
        KnowledgeBase.open(tmp_path / "signoff.db") as other,
    ):
        base.ensure_sample()
        yield CachedKnowledgeBase(base), other


def _reads(kb: object) -> tuple[object, ...]:
    return (
        kb.product_sources(PRODUCT),  # type: ignore[attr-defined]
        kb.product_passages(PRODUCT),  # type: ignore[attr-defined]
        kb.search("heating bill savings", k=4, product=PRODUCT),  # type: ignore[attr-defined]
        kb.search("heating bill savings", k=2),  # type: ignore[attr-defined]
    )


def test_cached_reads_answer_as_the_knowledge_base_does(kbs) -> None:
    cached, _ = kbs
    first = _reads(cached)
    assert first == _reads(cached.kb) and first[1], "the sample kit has the product's passages"
    assert _reads(cached) == first  # from the cache now
    ref = first[1][0].ref
    assert cached.lookup(ref) == cached.kb.lookup(ref) and cached.lookup("nope") is None


def test_a_change_through_another_connection_is_seen_by_the_next_read(kbs) -> None:
    cached, other = kbs
    before = cached.product_passages(PRODUCT)
    other.add_text("extra.md", "# Extra\n\nBrightloop 2 smart thermostat ships in 3 colours.")
    after = cached.product_passages(PRODUCT)
    assert len(after) == len(before) + 1
    assert any("3 colours" in p.text for p in after)
    source = next(s for s in other.sources() if s.name == "extra.md")
    other.remove(source.id)
    assert cached.product_passages(PRODUCT) == before


def test_a_change_through_the_cached_object_empties_the_cache(kbs) -> None:
    cached, _ = kbs
    before = cached.search("colours", k=3)
    cached.add_text("extra.md", "# Extra\n\nBrightloop 2 smart thermostat ships in 3 colours.")
    assert len(cached.search("colours", k=3)) == len(before) + 1


def test_a_graph_run_reads_the_version_it_started_with(kbs) -> None:
    """Inside a run that carries a version, reads make no version query; the next run (a new
    version in its config) sees the change."""
    cached, other = kbs
    count = RunnableLambda(lambda _: len(cached.product_passages(PRODUCT)))
    v1 = cached.version()
    n1 = count.invoke(None, {"configurable": {RUN_VERSION: v1}})
    other.add_text("extra.md", "# Extra\n\nBrightloop 2 smart thermostat ships in 3 colours.")
    assert count.invoke(None, {"configurable": {RUN_VERSION: v1}}) == n1  # the run's snapshot
    v2 = cached.version()
    assert v2 != v1
    assert count.invoke(None, {"configurable": {RUN_VERSION: v2}}) == n1 + 1


def test_the_checkers_passages_are_fresh_dicts_and_follow_a_change(kbs) -> None:
    """graphs/checks/sources.py keeps a product's passages as dicts per version (`memo`): the
    same as read without the cache, a caller's change never reaches the next read, and a new
    source is seen by the next read."""
    from graphs.checks.sources import product_passages

    cached, other = kbs
    brief = {"product": PRODUCT}
    first = product_passages(cached, brief)
    assert first and first == product_passages(cached.kb, brief)
    first[0]["text"] = "changed by a caller"
    assert product_passages(cached, brief)[0]["text"] != "changed by a caller"
    other.add_text("extra.md", "# Extra\n\nBrightloop 2 smart thermostat ships in 3 colours.")
    after = product_passages(cached, brief)
    assert len(after) == len(first) + 1 and any("3 colours" in p["text"] for p in after)


def test_a_pinned_version_serves_its_thread_and_the_run_started_there(kbs) -> None:
    """A campaign's start: its facts check and its first run read one version, queried once;
    outside the block (or on another thread) a change is seen again."""
    import threading

    from graphs.runtime.runs import _RunVersion

    cached, other = kbs
    queries = []
    version = cached.version
    cached.version = lambda: queries.append(1) or version()  # type: ignore[method-assign]
    with cached.pinned() as pinned:
        before = cached.product_passages(PRODUCT)
        run_version = _RunVersion(cached)
        other.add_text("extra.md", "# Extra\n\nBrightloop 2 smart thermostat ships in 3 colours.")
        assert str(run_version) == pinned and cached.product_passages(PRODUCT) == before
        assert len(queries) == 1  # the pin's own read, nothing else
        seen: list[int] = []
        elsewhere = threading.Thread(
            target=lambda: seen.append(len(cached.product_passages(PRODUCT)))
        )
        elsewhere.start()
        elsewhere.join()
        assert seen == [len(before) + 1]  # another thread reads the version now
    assert cached.pinned_version() is None
    assert len(cached.product_passages(PRODUCT)) == len(before) + 1
