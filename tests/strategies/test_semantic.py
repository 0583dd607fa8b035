"""The semantic arm. Every test here loads MiniLM, so the module is marked slow;
it embeds only the tiny catalog and a ~1k-entity slice of the real one."""
from __future__ import annotations

import json
import shutil
import threading

import numpy as np
import pytest

from ltrr.catalog.store import Catalog
from ltrr.strategies import indexfiles, semantic
from ltrr.strategies.base import ArmResources, Query
from ltrr.strategies.semantic import SemanticStrategy, passage
from tests.conftest import SHARED_CSV
from tests.strategies.contract import StrategyContract

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_arm(tiny_catalog_path):
    catalog = Catalog.open(tiny_catalog_path)
    yield SemanticStrategy.open(ArmResources(catalog))
    catalog.close()


class TestSemanticContract(StrategyContract):
    known_query = "love"

    @pytest.fixture()
    def strategy(self, tiny_arm):
        return tiny_arm


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


def test_rainy_day_ranks_the_rainy_sad_track_first(tiny_arm):
    assert tiny_arm.retrieve(Query.make("songs for a rainy day"), 3)[0].entity_id == "track:rainy"


def test_scores_are_cosines_and_score_agrees(tiny_arm):
    query = Query.make("energetic dance pop")
    out = tiny_arm.retrieve(query, 10)
    assert all(semantic.MIN_SIMILARITY <= c.score <= 1.0 + 1e-6 for c in out)
    assert all(c.features == {"semantic": c.score} for c in out)
    rows = tiny_arm.catalog.entities.rows([c.entity_id for c in out])
    # `score` reads the float16 copy, `retrieve` the float32 one: equal to ~1e-3.
    np.testing.assert_allclose(tiny_arm.score(query, rows), [c.score for c in out], atol=2e-3)
    assert tiny_arm.score(Query.make(""), rows).tolist() == [0.0] * len(rows)


def test_passage_is_short_and_names_the_artist():
    assert passage("track", "Halo", "Beyoncé", "r&b", "romantic", "Halo Beyoncé r&b romantic") == \
        "Halo, by Beyoncé, r&b, romantic"
    assert passage("artist", "SZA", "r&b", "r&b", "", "SZA r&b") == "SZA, r&b"
    assert passage("playlist", "Sad Songs", "ltrr", "pop", "", "Sad Songs Tears and heartbreak pop") == \
        "Sad Songs, ltrr, pop. Tears and heartbreak pop"


# --- persistence and threads -------------------------------------------------

@pytest.fixture()
def private_catalog_path(tiny_catalog_path, tmp_path):
    path = tmp_path / "cat.duckdb"
    shutil.copy(tiny_catalog_path, path)
    return path


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


# --- a slice of the real catalog: the HNSW path --------------------------------

@pytest.fixture(scope="module")
def subset_catalog(tmp_path_factory):
    if not SHARED_CSV.is_file():
        pytest.skip(f"shared catalog not found at {SHARED_CSV}")
    from ltrr.catalog.importer import import_file

    folder = tmp_path_factory.mktemp("subset")
    lines = SHARED_CSV.read_text(encoding="utf-8").splitlines(keepends=True)
    csv = folder / "subset.csv"
    csv.write_text("".join(lines[:1] + lines[1::160]), encoding="utf-8")     # ~200 rows, every genre
    import_file(csv, folder / "subset.duckdb")
    catalog = Catalog.open(folder / "subset.duckdb")
    yield catalog
    catalog.close()


def test_hnsw_search_agrees_with_exact_search(subset_catalog, monkeypatch):
    exact = SemanticStrategy.open(ArmResources(subset_catalog))
    assert exact._hnsw is None
    n = len(subset_catalog.entities)
    monkeypatch.setattr(semantic, "EXACT_MAX_ROWS", n // 2)
    assert not SemanticStrategy.is_built(subset_catalog)          # the graph file is missing
    approx = SemanticStrategy.open(ArmResources(subset_catalog))
    assert approx._hnsw is not None and json.loads(
        indexfiles.manifest_path(subset_catalog.index_dir, "semantic").read_text())["embedded"] == 0

    frame = subset_catalog.entities.frame
    titles = frame.loc[frame["entity_type"] == "track", "title"].sample(30, random_state=0)
    overlap, found = [], []
    for title in titles:
        q = Query.make(title)
        a = [c.entity_id for c in exact.retrieve(q, 10)]
        b = [c.entity_id for c in approx.retrieve(q, 10)]
        overlap.append(len(set(a) & set(b)) / max(len(a), 1))
        # A title is (nearly always) nearest to itself; semantics may put a paraphrase
        # first ("Make You Believe" -> "DREAMS COME TRUE"), so look in the top 5.
        found.append(any(Query.make(subset_catalog.entities.get(e)["title"]).text == q.text for e in b[:5]))
    assert np.mean(overlap) >= 0.9
    assert np.mean(found) >= 0.9


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
