"""The lexical (BM25) arm: contract, known answers, persistence, and rank_bm25 as the oracle."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from ltrr import indexfiles
from ltrr.catalog.store import Catalog
from ltrr.query import Query
from ltrr.strategies.base import ArmResources
from ltrr.strategies.lexical import B, K1, LexicalStrategy, entity_tokens
from ltrr.text import normalize_query
from tests.strategies.contract import StrategyContract


@pytest.fixture(scope="module")
def tiny_arm(tiny_catalog_path):
    catalog = Catalog.open(tiny_catalog_path)
    yield LexicalStrategy.open(ArmResources(catalog))
    catalog.close()


class TestLexicalContract(StrategyContract):
    known_query = "love"

    @pytest.fixture()
    def strategy(self, tiny_arm):
        return tiny_arm


def top_ids(arm, text, k=5):
    return [c.entity_id for c in arm.retrieve(Query.make(text), k)]


@pytest.mark.parametrize("text, expected", [
    ("blinding lights", "track:blinding"),
    ("Shake it off", "track:shake"),
    ("illmatic", "album:illmatic"),
    ("hip hop history", "podcast:history"),
    ("sad songs breakup", "playlist:sad"),
])
def test_tiny_catalog_top_1(tiny_arm, text, expected):
    assert top_ids(tiny_arm, text)[0] == expected


def test_artist_words_find_the_artist_and_their_tracks(tiny_arm):
    ids = top_ids(tiny_arm, "sza", k=10)
    assert ids[0] == "artist:sza"
    assert {"track:gooddays", "track:kill", "album:sos"} <= set(ids)


def test_no_shared_word_gives_nothing(tiny_arm):
    assert tiny_arm.retrieve(Query.make("zzzz qqqq"), 10) == []


@pytest.mark.parametrize("text", ["zzzz qqqq", "love", "sza", "hip hop history", "", "blinding zzzz"])
def test_count_is_the_exact_length_of_the_list_at_any_depth(tiny_arm, tiny_catalog_path, text):
    catalog = Catalog.open(tiny_catalog_path)
    try:
        everything = len(tiny_arm.retrieve(Query.make(text), len(catalog.entities) + 1)) if text else 0
    finally:
        catalog.close()
    assert tiny_arm.count(Query.make(text)) == everything
    assert (everything == 0) == (text in ("zzzz qqqq", ""))


def test_features_describe_the_match(tiny_arm):
    cand = tiny_arm.retrieve(Query.make("Kill Bill"), 3)[0]
    assert cand.entity_id == "track:kill"
    assert cand.features["title_match"] == 1.0
    assert cand.features["title_coverage"] == 1.0
    assert cand.features["bm25"] > 0
    partial = {c.entity_id: c for c in tiny_arm.retrieve(Query.make("kill zzz"), 5)}["track:kill"]
    assert partial.features["title_match"] == 0.0
    assert partial.features["title_coverage"] == 0.5


def test_score_agrees_with_retrieve(tiny_arm, tiny_catalog_path):
    query = Query.make("love story taylor")
    out = tiny_arm.retrieve(query, 10)
    rows = tiny_arm.catalog.entities.rows([c.entity_id for c in out])
    np.testing.assert_allclose(tiny_arm.score(query, rows), [c.score for c in out])
    unrelated = tiny_arm.catalog.entities.rows(["track:kill"])
    assert tiny_arm.score(query, unrelated)[0] == 0.0
    assert tiny_arm.score(Query.make(""), rows).tolist() == [0.0] * len(rows)


def test_popularity_prior_is_small_multiplicative_and_can_be_disabled(tiny_arm):
    query = Query.make("1989 taylor swift")
    tiny_arm.popularity_prior = 0.0
    try:
        plain = {c.entity_id: c.score for c in tiny_arm.retrieve(query, 10)}
    finally:
        tiny_arm.popularity_prior = 0.05
    boosted = {c.entity_id: c for c in tiny_arm.retrieve(query, 10)}
    assert set(plain) == set(boosted) and len(plain) >= 3
    for eid, score in plain.items():
        popularity = tiny_arm.catalog.entities.get(eid)["popularity"]
        assert boosted[eid].features["bm25"] == pytest.approx(score)
        assert boosted[eid].score == pytest.approx(score * (1 + 0.05 * popularity / 100))


def test_exact_title_boost_applies_only_to_the_exact_title(tiny_arm):
    query = Query.make("Love Story!")
    tiny_arm.exact_title_boost = 0.0
    try:
        plain = {c.entity_id: c.score for c in tiny_arm.retrieve(query, 10)}
    finally:
        tiny_arm.exact_title_boost = 0.5
    boosted = {c.entity_id: c.score for c in tiny_arm.retrieve(query, 10)}
    assert boosted["track:lovestory"] == pytest.approx(1.5 * plain["track:lovestory"])
    others = set(plain) - {"track:lovestory"}
    assert others and all(boosted[e] == pytest.approx(plain[e]) for e in others)


# --- persistence -------------------------------------------------------------

@pytest.fixture()
def private_catalog(tiny_catalog_path, tmp_path):
    """A copy of the tiny catalog with its own (empty) index directory."""
    path = tmp_path / "cat.duckdb"
    shutil.copy(tiny_catalog_path, path)
    catalog = Catalog.open(path)
    yield catalog
    catalog.close()


def test_second_open_loads_and_stale_index_is_rebuilt(private_catalog):
    calls = []
    first = LexicalStrategy.open(ArmResources(private_catalog, progress=lambda *a: calls.append(a)))
    assert first.built_now and calls and calls[-1][0] == calls[-1][1]
    manifest = indexfiles.manifest_path(private_catalog.index_dir, "lexical")
    stamp = manifest.stat().st_mtime_ns

    second = LexicalStrategy.open(ArmResources(private_catalog))
    assert not second.built_now and manifest.stat().st_mtime_ns == stamp
    assert top_ids(second, "halo") == top_ids(first, "halo")

    indexfiles.mark_fresh(private_catalog.index_dir, "lexical", "another-catalog:1", 1)
    third = LexicalStrategy.open(ArmResources(private_catalog))
    assert third.built_now
    assert top_ids(third, "halo")[0] == "track:halo"


def test_missing_index_files_are_rebuilt_even_with_a_fresh_manifest(private_catalog):
    LexicalStrategy.open(ArmResources(private_catalog))
    shutil.rmtree(LexicalStrategy.index_path(private_catalog.index_dir))
    again = LexicalStrategy.open(ArmResources(private_catalog))
    assert again.built_now and top_ids(again, "halo")[0] == "track:halo"


# --- the shared (real) catalog ---------------------------------------------

@pytest.fixture(scope="module")
def shared_arm(shared_catalog):
    return LexicalStrategy.open(ArmResources(shared_catalog))


def _sample_rows(catalog, n, seed, types=("track", "artist", "album", "playlist")):
    frame = catalog.entities.frame
    rows = np.flatnonzero(frame["entity_type"].isin(types).to_numpy()
                          & frame["title"].map(lambda t: bool(normalize_query(t))).to_numpy())
    return np.random.default_rng(seed).choice(rows, size=n, replace=False)


def test_exact_titles_are_in_the_top_3_on_the_real_catalog(shared_arm, shared_catalog):
    frame = shared_catalog.entities.frame
    folded_titles = frame["title"].map(normalize_query).to_numpy()
    misses = []
    for row in _sample_rows(shared_catalog, 100, seed=1):
        title = frame["title"].iloc[row]
        top = [shared_catalog.entities.row_of[c.entity_id] for c in shared_arm.retrieve(Query.make(title), 3)]
        if not any(folded_titles[r] == folded_titles[row] for r in top):
            misses.append(title)
    assert not misses, misses


def test_blinding_lights_by_the_weeknd_on_the_real_catalog(shared_arm, shared_catalog):
    top = shared_arm.retrieve(Query.make("blinding lights the weeknd"), 3)
    first = shared_catalog.entities.get(top[0].entity_id)
    assert first["title"] == "Blinding Lights" and first["subtitle"] == "The Weeknd"


def test_scores_equal_rank_bm25_okapi(shared_arm, shared_catalog):
    """bm25s (robertson, times k1+1) and rank_bm25.BM25Okapi(epsilon=0) are the same formula."""
    frame = shared_catalog.entities.frame
    docs = [entity_tokens(t, s, x) for t, s, x in zip(frame["title"], frame["subtitle"], frame["text"])]
    oracle = BM25Okapi(docs, k1=K1, b=B, epsilon=0.0)
    rows = _sample_rows(shared_catalog, 50, seed=2)
    queries = [frame["title"].iloc[r] if i % 2 else f"{frame['subtitle'].iloc[r]} {frame['title'].iloc[r]}"
               for i, r in enumerate(rows)]
    compared = 0
    for text in queries:
        tokens = list(Query.make(text).tokens)
        if not tokens:
            continue
        expected = oracle.get_scores(tokens)
        got = shared_arm.bm25_scores(tokens)
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9, err_msg=text)
        assert expected.max() > 0
        compared += 1
    assert compared >= 45


def test_an_empty_catalog_matches_nothing(tmp_path):
    from ltrr.catalog.writer import CatalogWriter

    with CatalogWriter(tmp_path / "empty.duckdb") as writer:
        writer.finish(source="empty")
    catalog = Catalog.open(tmp_path / "empty.duckdb")
    try:
        assert LexicalStrategy.open(ArmResources(catalog)).retrieve(Query.make("love"), 5) == []
        again = LexicalStrategy.open(ArmResources(catalog))
        assert not again.built_now and again.retrieve(Query.make("love"), 5) == []
        assert again.score(Query.make("love"), np.array([], dtype=np.int64)).size == 0
    finally:
        catalog.close()
