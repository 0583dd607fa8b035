"""FuzzyIndex: typo/accent tolerance, the shortlist agreeing with brute force, persistence."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ltrr.fuzzyindex import FuzzyIndex, _blend, _folded

NAMES = [
    "Taylor Swift", "Beyoncé", "The Weeknd", "SZA", "Nas", "Blinding Lights", "Good Days",
    "Halo", "Shake It Off", "Kill Bill", "Tiësto", "The Weekend", "Days", "Taylor Swift Love Story",
    "SZA Good Days", None, "", "Halo",
]


@pytest.fixture(scope="module")
def index() -> FuzzyIndex:
    return FuzzyIndex(NAMES)


def top_name(index: FuzzyIndex, text: str) -> str:
    hits = index.search(text, k=1)
    assert hits, f"nothing found for {text!r}"
    return NAMES[hits[0][0]]


@pytest.mark.parametrize("query, expected", [
    ("tayler swift", "Taylor Swift"),
    ("beyonce", "Beyoncé"),
    ("BEYONCÉ!!", "Beyoncé"),
    ("the weeknd", "The Weeknd"),
    ("sza", "SZA"),
    ("blindng lihgts", "Blinding Lights"),
    ("tiesto", "Tiësto"),
    ("sza good days", "SZA Good Days"),
    ("shake it of", "Shake It Off"),
])
def test_typos_and_accents_find_the_name(index, query, expected):
    assert top_name(index, query) == expected


def test_the_weekend_prefers_the_exact_spelling_but_finds_the_artist(index):
    hits = [NAMES[row] for row, _ in index.search("the weekend", k=3)]
    assert hits[0] == "The Weekend"
    assert "The Weeknd" in hits


def test_scores_are_0_to_100_best_first_and_respect_k_and_min_score(index):
    hits = index.search("taylor", k=4, min_score=0)
    assert 1 <= len(hits) <= 4
    scores = [s for _, s in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 100 for s in scores)
    assert all(s >= 90 for _, s in index.search("taylor", k=10, min_score=90))


def test_exact_name_scores_100(index):
    row, score = index.search("Kill Bill", k=1)[0]
    assert NAMES[row] == "Kill Bill" and score == pytest.approx(100.0)


def test_duplicate_names_return_every_row_in_row_order(index):
    hits = index.search("halo", k=5)
    halo_rows = [i for i, n in enumerate(NAMES) if n == "Halo"]
    assert [row for row, _ in hits[:2]] == halo_rows
    assert hits[0][1] == hits[1][1]


@pytest.mark.parametrize("query", ["", "   ", "!!!", "\x00\x01", "🎵🎶", "x" * 10_000, "zzqqxxj"])
def test_empty_odd_or_unmatched_queries_give_nothing(index, query):
    assert index.search(query) == []


def test_empty_and_missing_names_never_match(index):
    rows = {row for row, _ in index.search("a", k=100, min_score=0)}
    assert not rows & {15, 16}


def test_empty_index_is_valid():
    empty = FuzzyIndex([])
    assert len(empty) == 0 and empty.search("taylor") == []


def test_score_matches_search_and_is_zero_for_empty_names(index):
    rows = [0, 1, 15, 16]
    scores = index.score("tayler swift", rows)
    assert scores[0] == pytest.approx(index.search("tayler swift", k=1)[0][1])
    assert scores[1] < scores[0]
    assert scores[2] == 0 and scores[3] == 0


def test_save_and_load_round_trip(index, tmp_path):
    path = tmp_path / "names.npz"
    index.save(path)
    loaded = FuzzyIndex.load(path)
    assert len(loaded) == len(index)
    for query in ["tayler swift", "beyonce", "good days", "halo"]:
        assert loaded.search(query, k=5) == index.search(query, k=5)


def test_load_rejects_another_format(index, tmp_path):
    path = tmp_path / "names.npz"
    index.save(path)
    data = dict(np.load(path))
    data["format_version"] = np.int64(99)
    np.savez(path, **data)
    with pytest.raises(ValueError, match="rebuild"):
        FuzzyIndex.load(path)


def _random_names(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    syllables = ["ka", "lo", "mi", "ra", "ten", "su", "bel", "dor", "ix", "an", "ve", "qu"]
    return [" ".join("".join(rng.choice(syllables, size=rng.integers(1, 4)))
                     for _ in range(rng.integers(1, 4))) for _ in range(n)]


def test_shortlist_finds_what_brute_force_rapidfuzz_finds():
    """The n-gram shortlist must not lose the true best match for light typos."""
    names = _random_names(3000, seed=7)
    index = FuzzyIndex(names)
    folded = [_folded(n) for n in names]
    rng = np.random.default_rng(11)
    # A one-letter typo in a 2-letter name leaves no 3-gram intact: nothing to shortlist by.
    long_enough = [i for i, t in enumerate(folded) if len(t) >= 5]
    for target in rng.choice(long_enough, size=40, replace=False):
        query = list(folded[target])
        pos = int(rng.integers(0, len(query)))
        query[pos] = "z"                                     # one substitution
        query = "".join(query)
        best_brute = _blend(query, folded).max()
        found = index.search(query, k=1, min_score=0)
        assert found and found[0][1] == pytest.approx(best_brute, abs=1e-3), query


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40))
def test_any_text_is_safe(text):
    hits = FuzzyIndex(NAMES).search(text, k=3, min_score=0)
    assert len(hits) <= 3
    assert all(0 <= row < len(NAMES) and 0 <= s <= 100 for row, s in hits)


def test_a_query_object_is_not_normalized_again(index, monkeypatch):
    from ltrr import fuzzyindex
    from ltrr.query import Query

    q = Query.make("Thé Weeknd!")
    expected = index.search("Thé Weeknd!", k=5)
    rows = np.array([r for r, _ in expected], dtype=np.int64)
    expected_scores = index.score("Thé Weeknd!", rows)

    def refuse(text):
        raise AssertionError(f"normalized again: {text!r}")
    monkeypatch.setattr(fuzzyindex, "normalize_query", refuse)
    assert index.search(q, k=5) == expected
    assert index.score(q, rows).tolist() == expected_scores.tolist()
