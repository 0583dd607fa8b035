"""The fuzzy arm: contract, typos and accents on the tiny and the real catalog, persistence."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from ltrr import indexfiles
from ltrr.catalog.store import Catalog
from ltrr.query import Query
from ltrr.strategies.base import ArmResources
from ltrr.strategies.fuzzy import FuzzyStrategy, entity_names
from tests.strategies.contract import StrategyContract


@pytest.fixture(scope="module")
def tiny_arm(tiny_catalog_path):
    catalog = Catalog.open(tiny_catalog_path)
    yield FuzzyStrategy.open(ArmResources(catalog))
    catalog.close()


class TestFuzzyContract(StrategyContract):
    known_query = "love"

    @pytest.fixture()
    def strategy(self, tiny_arm):
        return tiny_arm


def top(arm, text, k=5):
    return [c.entity_id for c in arm.retrieve(Query.make(text), k)]


@pytest.mark.parametrize("text, expected", [
    ("tayler swift", "artist:taylor"),
    ("blindng lihgts", "track:blinding"),
    ("beyonce", "artist:beyonce"),
    ("sza good days", "track:gooddays"),
    ("good days sza", "track:gooddays"),
    ("the weekend", "artist:weeknd"),
    ("ilmatic", "album:illmatic"),
])
def test_typos_accents_and_combos_on_the_tiny_catalog(tiny_arm, text, expected):
    assert top(tiny_arm, text)[0] == expected


def test_features_say_whether_the_combo_matched(tiny_arm):
    combo = tiny_arm.retrieve(Query.make("sza good days"), 1)[0]
    assert combo.features == {"fuzzy": pytest.approx(1.0), "fuzzy_combo": 1.0}
    title = tiny_arm.retrieve(Query.make("good days"), 1)[0]
    assert title.entity_id == "track:gooddays" and title.features["fuzzy_combo"] == 0.0


def test_each_entity_appears_once_with_its_best_name(tiny_arm):
    out = tiny_arm.retrieve(Query.make("taylor swift blank space"), 20)
    ids = [c.entity_id for c in out]
    assert len(ids) == len(set(ids)) and ids[0] == "track:blank"


def test_nothing_close_gives_nothing(tiny_arm):
    assert tiny_arm.retrieve(Query.make("xqzv wplk"), 10) == []


def test_score_agrees_with_retrieve(tiny_arm):
    query = Query.make("sza good days")
    out = tiny_arm.retrieve(query, 5)
    rows = tiny_arm.catalog.entities.rows([c.entity_id for c in out])
    np.testing.assert_allclose(tiny_arm.score(query, rows), [c.score for c in out], rtol=1e-6)
    assert tiny_arm.score(Query.make(""), rows).tolist() == [0.0] * len(rows)


def test_entity_names_lists_titles_then_combos():
    names, rows, combo = entity_names(["Halo", "SZA", "x"], ["Beyoncé", "", None])
    assert names == ["Halo", "SZA", "x", "Beyoncé Halo"]
    assert rows.tolist() == [0, 1, 2, 0] and combo.tolist() == [False, False, False, True]


def test_second_open_loads_and_stale_index_is_rebuilt(tiny_catalog_path, tmp_path):
    path = tmp_path / "cat.duckdb"
    shutil.copy(tiny_catalog_path, path)
    catalog = Catalog.open(path)
    try:
        calls = []
        first = FuzzyStrategy.open(ArmResources(catalog, progress=lambda *a: calls.append(a)))
        assert first.built_now and calls
        manifest = indexfiles.manifest_path(catalog.index_dir, "fuzzy")
        stamp = manifest.stat().st_mtime_ns
        second = FuzzyStrategy.open(ArmResources(catalog))
        assert not second.built_now and manifest.stat().st_mtime_ns == stamp
        assert top(second, "tayler swift") == top(first, "tayler swift")
        indexfiles.mark_fresh(catalog.index_dir, "fuzzy", "another-catalog:1", 1)
        assert FuzzyStrategy.open(ArmResources(catalog)).built_now
        for p in FuzzyStrategy.index_paths(catalog.index_dir):
            p.unlink()
        assert FuzzyStrategy.open(ArmResources(catalog)).built_now
    finally:
        catalog.close()


# --- the shared (real) catalog ---------------------------------------------
# Checked with grep: the CSV has Taylor Swift, Beyoncé, Blinding Lights (The
# Weeknd) and SZA's "The Weekend", but no "Good Days".

@pytest.fixture(scope="module")
def shared_arm(shared_catalog):
    return FuzzyStrategy.open(ArmResources(shared_catalog))


@pytest.mark.parametrize("text, title, subtitle", [
    ("tayler swift", "Taylor Swift", None),
    ("beyonce", "Beyoncé", None),
    ("blindng lihgts", "Blinding Lights", "The Weeknd"),
    ("the weeknd blindng lights", "Blinding Lights", "The Weeknd"),
    ("sza the weekend", "The Weekend", "SZA"),
])
def test_typos_on_the_real_catalog(shared_arm, shared_catalog, text, title, subtitle):
    found = [shared_catalog.entities.get(c.entity_id) for c in shared_arm.retrieve(Query.make(text), 3)]
    assert any(e["title"] == title and (subtitle is None or e["subtitle"] == subtitle) for e in found), found


def test_top_match_equals_brute_force_rapidfuzz_on_the_real_catalog(shared_arm, shared_catalog):
    """The n-gram shortlist loses nothing: for typo'd titles the indexed best score is the
    best score over all ~90k names."""
    from ltrr.fuzzyindex import _blend
    from ltrr.text import normalize_query

    index = shared_arm._index
    rng = np.random.default_rng(4)
    titles = shared_catalog.entities.frame["title"].map(normalize_query)
    titles = titles[titles.str.len() >= 6].sample(12, random_state=4).tolist()   # brute force is slow
    for title in titles:
        i = int(rng.integers(1, len(title) - 1))
        query = title[:i] + "q" + title[i + 1:]
        best = index.search(query, k=1, min_score=0)
        assert best and best[0][1] == pytest.approx(_blend(query, index._texts).max(), abs=1e-3), query


def test_a_title_short_of_its_last_letter_is_found_on_the_real_catalog(shared_arm, shared_catalog):
    """Behaviour only: its milliseconds per query are a benchmark
    (``python benchmarks/arms_latency.py --catalog PATH --arms fuzzy``), not a test."""
    frame = shared_catalog.entities.frame
    titles = frame[frame["title"].str.len() >= 8]["title"].sample(100, random_state=0).tolist()
    found = 0
    for title in titles:
        top = [shared_catalog.entities.get(c.entity_id)["title"] for c in shared_arm.retrieve(Query.make(title[:-1]), 10)]
        found += title in top
    assert found >= 90, found


def test_an_empty_catalog_matches_nothing(tmp_path):
    from ltrr.catalog.writer import CatalogWriter

    with CatalogWriter(tmp_path / "empty.duckdb") as writer:
        writer.finish(source="empty")
    catalog = Catalog.open(tmp_path / "empty.duckdb")
    try:
        assert FuzzyStrategy.open(ArmResources(catalog)).retrieve(Query.make("love"), 5) == []
        again = FuzzyStrategy.open(ArmResources(catalog))
        assert not again.built_now and again.retrieve(Query.make("love"), 5) == []
        assert again.score(Query.make("love"), np.array([], dtype=np.int64)).size == 0
    finally:
        catalog.close()
