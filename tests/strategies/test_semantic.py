"""The semantic arm: retrieve, score, open. Tests that load MiniLM are marked slow (they
embed only the tiny catalog); opening in the background, which may serve before the index
is complete, is tested fast, with a fake encoder (tests/strategies/semantic_fakes.py)."""
from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from ltrr import indexfiles
from ltrr.catalog.store import Catalog
from ltrr.query import Query
from ltrr.strategies import semantic
from ltrr.strategies.base import ArmResources
from ltrr.strategies.semantic import SemanticStrategy
from tests.strategies.contract import StrategyContract
from tests.strategies.semantic_fakes import open_in_background

slow = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_arm(tiny_catalog_path):
    catalog = Catalog.open(tiny_catalog_path)
    yield SemanticStrategy.open(ArmResources(catalog))
    catalog.close()


@slow
class TestSemanticContract(StrategyContract):
    known_query = "love"

    @pytest.fixture()
    def strategy(self, tiny_arm):
        return tiny_arm


@slow
def test_finds_meaning_without_shared_words(tiny_arm):
    """'Save Your Tears' (mood sad) shares no word with either query."""
    for text in ["songs for a rainy day", "something to cry to"]:
        query = Query.make(text)
        out = tiny_arm.retrieve(query, 5)
        entity = {c.entity_id: tiny_arm.catalog.entities.get(c.entity_id) for c in out}
        no_overlap = [e for e, row in entity.items()
                      if not set(query.tokens) & set(Query.make(f"{row['title']} {row['subtitle']}").tokens)]
        assert "track:savetears" in no_overlap, (text, list(entity))
        assert entity["track:savetears"]["mood"] == "sad"


@slow
def test_rainy_day_ranks_the_rainy_sad_track_first(tiny_arm):
    assert tiny_arm.retrieve(Query.make("songs for a rainy day"), 3)[0].entity_id == "track:rainy"


@slow
def test_scores_are_cosines_and_score_agrees(tiny_arm):
    query = Query.make("energetic dance pop")
    out = tiny_arm.retrieve(query, 10)
    assert all(semantic.MIN_SIMILARITY <= c.score <= 1.0 + 1e-6 for c in out)
    assert all(c.features == {"semantic": c.score} for c in out)
    rows = tiny_arm.catalog.entities.rows([c.entity_id for c in out])
    # `score` reads the float16 copy, `retrieve` the float32 one: equal to ~1e-3.
    np.testing.assert_allclose(tiny_arm.score(query, rows), [c.score for c in out], atol=2e-3)
    assert tiny_arm.score(Query.make(""), rows).tolist() == [0.0] * len(rows)


# --- persistence and threads -------------------------------------------------

@slow
def test_is_built_open_twice_and_rebuild_reuses_embeddings(private_catalog_path):
    catalog = Catalog.open(private_catalog_path)
    try:
        assert not SemanticStrategy.is_built(catalog)
        calls = []
        first = SemanticStrategy.open(ArmResources(catalog, progress=lambda *a: calls.append(a)))
        assert first.built_now and SemanticStrategy.is_built(catalog)
        assert calls[-1][0] == calls[-1][1] == len(catalog.entities)
        manifest = indexfiles.manifest_path(catalog.index_dir, "semantic")
        stamp = manifest.stat().st_mtime_ns

        second = SemanticStrategy.open(ArmResources(catalog))
        assert not second.built_now and manifest.stat().st_mtime_ns == stamp

        indexfiles.mark_fresh(catalog.index_dir, "semantic", "another-catalog:1", 1)
        assert not SemanticStrategy.is_built(catalog)
        third = SemanticStrategy.open(ArmResources(catalog))
        assert third.built_now
        # Same passages, so nothing had to be embedded again.
        assert json.loads(manifest.read_text())["embedded"] == 0
        q = Query.make("songs for a rainy day")
        assert [c.entity_id for c in third.retrieve(q, 5)] == [c.entity_id for c in first.retrieve(q, 5)]
    finally:
        catalog.close()


@slow
def test_concurrent_opens_build_once(private_catalog_path):
    catalog = Catalog.open(private_catalog_path)
    try:
        arms = []
        threads = [threading.Thread(target=lambda: arms.append(SemanticStrategy.open(ArmResources(catalog))))
                   for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(arms) == 3 and sum(a.built_now for a in arms) == 1
    finally:
        catalog.close()


@slow
def test_an_empty_catalog_matches_nothing(tmp_path):
    from ltrr.catalog.writer import CatalogWriter

    with CatalogWriter(tmp_path / "empty.duckdb") as writer:
        writer.finish(source="empty")
    catalog = Catalog.open(tmp_path / "empty.duckdb")
    try:
        assert SemanticStrategy.open(ArmResources(catalog)).retrieve(Query.make("love"), 5) == []
        assert SemanticStrategy.is_built(catalog)
        again = SemanticStrategy.open(ArmResources(catalog))
        assert not again.built_now
        assert again.score(Query.make("love"), np.array([], dtype=np.int64)).size == 0
    finally:
        catalog.close()


# --- opening in the background (a fake encoder: no model, fast) ---------------

def test_foreground_opens_return_only_a_complete_index(private_catalog_path, gated, monkeypatch):
    catalog = Catalog.open(private_catalog_path)
    try:
        gated.gate.set()
        arm = SemanticStrategy.open(ArmResources(catalog))          # the test's own thread
        assert arm.completeness()["complete"] and SemanticStrategy.is_built(catalog)

        indexfiles.invalidate(catalog.index_dir, "semantic")
        for path in catalog.index_dir.glob("semantic.*"):
            path.unlink()
        monkeypatch.setenv(semantic.SERVE_EARLY_ENV, "0")
        arm = open_in_background(catalog)
        assert arm.completeness()["complete"] and SemanticStrategy.is_built(catalog)
    finally:
        catalog.close()


def test_opens_during_a_background_build_share_it(private_catalog_path, gated):
    catalog = Catalog.open(private_catalog_path)
    try:
        first = open_in_background(catalog)
        second = open_in_background(catalog)
        assert len(gated.encoded) == 5 and second.completeness() == first.completeness()

        # A foreground open waits for the background build, then loads its files.
        opened = []
        waiter = threading.Thread(target=lambda: opened.append(SemanticStrategy.open(ArmResources(catalog))))
        waiter.start()
        waiter.join(0.3)
        assert waiter.is_alive() and not opened
        gated.gate.set()
        waiter.join(30)
        assert opened and not opened[0].built_now and opened[0].completeness()["complete"]
        assert len(gated.encoded) == len(catalog.entities)
        assert second.completeness()["complete"]
    finally:
        catalog.close()
