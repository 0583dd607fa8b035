"""Feature builder tests on the tiny catalog with fake arms whose outputs are known."""
from __future__ import annotations


import numpy as np
import pytest

from ltrr.catalog.schema import ENTITY_TYPES
from ltrr.pool import pool_candidates
from ltrr.query import Query
from ltrr.rank.features import ARM_FEATURES, COLUMN, FEATURE_NAMES, FeatureBuilder
from ltrr.strategies.base import Candidate, Strategy, ranked
from ltrr.strategies.registry import arm_names
from ltrr.understanding_results import Interpretation, Understanding
from tests.strategies.contract import ODD_QUERIES


class FakeArm(Strategy):
    """Retrieves a fixed list; ``score`` returns whatever ``scorer(rows)`` gives (or raises)."""

    name = "fake"

    def __init__(self, catalog, hits: dict[str, float], scorer=None) -> None:
        self.catalog = catalog
        self.hits = hits
        self.scorer = scorer
        self.score_calls = 0

    @classmethod
    def open(cls, resources):
        return cls(resources.catalog, {})

    def retrieve(self, query, budget):
        return ranked([Candidate(e, s) for e, s in self.hits.items()], budget)

    def score(self, query, rows):
        self.score_calls += 1
        return None if self.scorer is None else self.scorer(rows)


def build(catalog, by_arm: dict[str, FakeArm], text: str, understanding=None, budget: int = 10, affinity=None):
    query = Query.make(text, understanding).with_lean(affinity)
    pool = pool_candidates({a: arm.retrieve(query, budget) for a, arm in by_arm.items()}, catalog.entities)
    X = FeatureBuilder(catalog, by_arm).build(query, pool)
    return X, [p.entity_id for p in pool]


def col(X, ids, entity_id, name):
    return float(X[ids.index(entity_id), COLUMN[name]])


def test_names_are_unique_and_cover_every_registered_arm():
    assert len(FEATURE_NAMES) == len(set(FEATURE_NAMES))
    assert [COLUMN[n] for n in FEATURE_NAMES] == list(range(len(FEATURE_NAMES)))
    for arm in arm_names():
        for kind in ARM_FEATURES:
            assert f"{kind}_{arm}" in COLUMN
    for t in ENTITY_TYPES:
        assert f"type_{t}" in COLUMN


def test_shape_dtype_and_row_alignment(tiny_catalog):
    lexical = FakeArm(tiny_catalog, {"track:shake": 3.0, "track:blank": 1.0, "artist:taylor": 0.5})
    X, ids = build(tiny_catalog, {"lexical": lexical}, "shake it off")
    assert X.shape == (3, len(FEATURE_NAMES)) and X.dtype == np.float32
    # Rows follow the pool: the type one-hot of each row matches that entity's type.
    assert col(X, ids, "artist:taylor", "type_artist") == 1.0
    assert col(X, ids, "artist:taylor", "type_track") == 0.0
    assert col(X, ids, "track:shake", "type_track") == 1.0
    assert X[:, [COLUMN[f"type_{t}"] for t in ENTITY_TYPES]].sum(axis=1).tolist() == [1.0, 1.0, 1.0]


def test_empty_pool_gives_an_empty_matrix(tiny_catalog):
    X = FeatureBuilder(tiny_catalog, {}).build(Query.make("anything"), [])
    assert X.shape == (0, len(FEATURE_NAMES)) and X.dtype == np.float32


def test_provenance_features(tiny_catalog):
    lexical = FakeArm(tiny_catalog, {"track:shake": 4.0, "track:blank": 2.0})
    fuzzy = FakeArm(tiny_catalog, {"track:blank": 90.0, "track:halo": 30.0})
    X, ids = build(tiny_catalog, {"lexical": lexical, "fuzzy": fuzzy}, "shake")
    assert col(X, ids, "track:shake", "rr_lexical") == 1.0
    assert col(X, ids, "track:blank", "rr_lexical") == 0.5
    assert col(X, ids, "track:blank", "rr_fuzzy") == 1.0
    assert col(X, ids, "track:shake", "rr_fuzzy") == 0.0       # not retrieved by fuzzy
    assert col(X, ids, "track:halo", "hit_fuzzy") == 1.0
    assert col(X, ids, "track:halo", "hit_lexical") == 0.0
    assert col(X, ids, "track:blank", "n_arms") == 2.0
    assert col(X, ids, "track:halo", "n_arms") == 1.0
    # Scores are divided by the arm's best score in this search.
    assert col(X, ids, "track:blank", "norm_lexical") == pytest.approx(0.5)
    assert col(X, ids, "track:halo", "norm_fuzzy") == pytest.approx(30 / 90)
    assert col(X, ids, "track:halo", "best_rr") == 0.5


def test_exact_and_prefix_title_match(tiny_catalog):
    lexical = FakeArm(tiny_catalog, {"track:shake": 3.0, "track:blank": 2.0, "track:savetears": 1.0})
    X, ids = build(tiny_catalog, {"lexical": lexical}, "Shake It Off!")
    assert col(X, ids, "track:shake", "title_exact") == 1.0
    assert col(X, ids, "track:blank", "title_exact") == 0.0
    assert col(X, ids, "track:shake", "title_ratio") == 1.0
    assert col(X, ids, "track:blank", "title_ratio") < 0.5

    X, ids = build(tiny_catalog, {"lexical": lexical}, "shake it")
    assert col(X, ids, "track:shake", "title_exact") == 0.0
    assert col(X, ids, "track:shake", "title_prefix") == 1.0
    assert col(X, ids, "track:savetears", "title_prefix") == 0.0


def test_accents_and_subtitle_count_for_coverage(tiny_catalog):
    lexical = FakeArm(tiny_catalog, {"track:halo": 1.0, "track:kill": 0.5})
    X, ids = build(tiny_catalog, {"lexical": lexical}, "halo beyonce")
    assert col(X, ids, "track:halo", "token_coverage") == 1.0     # "Beyoncé" is the subtitle, folded
    assert col(X, ids, "track:kill", "token_coverage") == 0.0
    assert col(X, ids, "track:halo", "text_token_set") == 1.0


def test_full_scores_reach_candidates_the_arm_did_not_retrieve(tiny_catalog):
    lexical = FakeArm(tiny_catalog, {"track:shake": 2.0, "track:blank": 1.0})
    # Semantic retrieves nothing but scores every row it is asked about: 1 / (row + 1).
    semantic = FakeArm(tiny_catalog, {}, scorer=lambda rows: 1.0 / (np.asarray(rows) + 1.0))
    X, ids = build(tiny_catalog, {"lexical": lexical, "semantic": semantic}, "shake")
    rows = [tiny_catalog.entities.row_of[e] for e in ids]
    expected = 1.0 / (np.array(rows) + 1.0)
    np.testing.assert_allclose(X[:, COLUMN["full_semantic"]], expected / expected.max(), rtol=1e-6)
    assert X[:, COLUMN["full_missing_semantic"]].tolist() == [0.0, 0.0]
    assert X[:, COLUMN["hit_semantic"]].tolist() == [0.0, 0.0]
    # lexical has no score(): missing, not zero-by-accident.
    assert X[:, COLUMN["full_missing_lexical"]].tolist() == [1.0, 1.0]
    assert X[:, COLUMN["full_missing_memory"]].tolist() == [1.0, 1.0]      # not open at all
    assert semantic.score_calls == 1                                          # one vectorised call


def _raise(rows):
    raise RuntimeError("index not loaded")


BAD_SCORERS = [
    _raise,
    lambda rows: np.full(len(rows), np.nan),
    lambda rows: np.array([np.inf, -np.inf] * len(rows))[: len(rows)],
    lambda rows: np.ones(len(rows) + 3),            # wrong length
    lambda rows: "not numbers",
]


# Every odd query meets one kind of broken arm score (cycling), not all 75 combinations.
@pytest.mark.parametrize("text, scorer", [(t, BAD_SCORERS[i % len(BAD_SCORERS)]) for i, t in enumerate(ODD_QUERIES)])
def test_never_nan_or_inf(tiny_catalog, text, scorer):
    lexical = FakeArm(tiny_catalog, {"track:shake": float("nan"), "track:blank": float("inf"),
                                     "playlist:sad": -1.0, "episode:nas": 0.0})
    memory = FakeArm(tiny_catalog, {"track:rainy": 1.0}, scorer=scorer)
    X, _ = build(tiny_catalog, {"lexical": lexical, "memory": memory}, text)
    assert X.shape[0] == 5
    assert np.isfinite(X).all()


def test_bad_score_is_flagged_missing(tiny_catalog):
    memory = FakeArm(tiny_catalog, {"track:rainy": 1.0}, scorer=_raise)
    X, _ = build(tiny_catalog, {"memory": memory}, "rainy")
    assert X[:, COLUMN["full_missing_memory"]].tolist() == [1.0]
    assert X[:, COLUMN["full_memory"]].tolist() == [0.0]


def test_understanding_agreement(tiny_catalog):
    lexical = FakeArm(tiny_catalog, {e: 1.0 for e in (
        "track:shake", "track:blinding", "artist:taylor", "playlist:90srap", "playlist:sad", "track:nystate",
        "album:1989",
    )})
    qu = Understanding(
        query="taylor swift pop 2010s songs",
        interpretations=(Interpretation(0.9, entity_type="track", genres=("pop",), moods=("happy",),
                                        year_from=2010, year_to=2019, artist_ids=("artist:taylor",)),),
        type_scores={"track": 0.8, "artist": 0.15},
    )
    X, ids = build(tiny_catalog, {"lexical": lexical}, "taylor swift pop 2010s songs", qu, budget=20)
    assert col(X, ids, "track:shake", "type_agreement") == pytest.approx(0.8)
    assert col(X, ids, "artist:taylor", "type_agreement") == pytest.approx(0.15)
    assert col(X, ids, "playlist:sad", "type_agreement") == 0.0
    assert col(X, ids, "playlist:sad", "intent_confidence") == pytest.approx(0.8)
    # artist: own tracks, albums and the artist itself match; another artist's track does not.
    assert col(X, ids, "track:shake", "artist_match") == 1.0
    assert col(X, ids, "album:1989", "artist_match") == 1.0
    assert col(X, ids, "artist:taylor", "artist_match") == 1.0
    assert col(X, ids, "track:blinding", "artist_match") == -1.0
    assert col(X, ids, "playlist:sad", "artist_match") == 0.0        # playlists have no artist
    assert col(X, ids, "track:shake", "genre_match") == 1.0
    assert col(X, ids, "track:blinding", "genre_match") == -1.0      # r&b
    assert col(X, ids, "track:shake", "mood_match") == 1.0
    assert col(X, ids, "track:nystate", "mood_match") == -1.0
    assert col(X, ids, "track:shake", "era_match") == 1.0            # 2014
    assert col(X, ids, "track:nystate", "era_match") == -1.0         # 1994
    assert col(X, ids, "playlist:sad", "era_match") == 0.0           # no date, no era in its text


def test_playlist_era_read_from_its_text(tiny_catalog):
    lexical = FakeArm(tiny_catalog, {"playlist:90srap": 1.0, "playlist:sad": 0.5})
    qu = Understanding(query="90s rap", interpretations=(Interpretation(1.0, year_from=1990, year_to=1999),))
    X, ids = build(tiny_catalog, {"lexical": lexical}, "90s rap", qu)
    assert col(X, ids, "playlist:90srap", "era_match") == 1.0
    assert col(X, ids, "playlist:sad", "era_match") == 0.0


def test_no_understanding_means_no_agreement_signal(tiny_catalog):
    lexical = FakeArm(tiny_catalog, {"track:shake": 1.0, "track:blinding": 0.5})
    X, _ = build(tiny_catalog, {"lexical": lexical}, "shake")
    for name in ("type_agreement", "intent_confidence", "artist_match", "genre_match", "mood_match", "era_match"):
        assert X[:, COLUMN[name]].tolist() == [0.0, 0.0], name


def test_entity_facts(tiny_catalog):
    lexical = FakeArm(tiny_catalog, {"track:rainy": 1.0, "track:nystate": 0.9, "artist:nas": 0.8})
    X, ids = build(tiny_catalog, {"lexical": lexical}, "nas")
    assert col(X, ids, "track:rainy", "popularity") == pytest.approx(0.20)
    assert col(X, ids, "track:rainy", "is_new") == 1.0
    assert col(X, ids, "track:nystate", "is_new") == 0.0
    # track:rainy (2024-06-01) is the catalog's newest release; N.Y. State of Mind is 30 years older.
    assert col(X, ids, "track:rainy", "age_years") == pytest.approx(0.0)
    assert col(X, ids, "track:nystate", "age_years") == pytest.approx(30.1, abs=0.1)
    assert col(X, ids, "artist:nas", "age_missing") == 1.0
    assert col(X, ids, "artist:nas", "age_years") == 0.0


def test_arms_opening_later_are_picked_up(tiny_catalog):
    arms: dict[str, Strategy] = {}
    builder = FeatureBuilder(tiny_catalog, lambda: arms)
    query = Query.make("halo")
    pool = pool_candidates({"lexical": [Candidate("track:halo", 1.0, 1)]}, tiny_catalog.entities)
    assert builder.build(query, pool)[0, COLUMN["full_missing_semantic"]] == 1.0
    arms["semantic"] = FakeArm(tiny_catalog, {}, scorer=lambda rows: np.full(len(rows), 0.7))
    X = builder.build(query, pool)
    assert X[0, COLUMN["full_missing_semantic"]] == 0.0 and X[0, COLUMN["full_semantic"]] == 1.0
    builder.set_arms({})
    assert builder.build(query, pool)[0, COLUMN["full_missing_semantic"]] == 1.0


def test_real_catalog_rows_give_finite_features(shared_catalog):
    """Every entity type of the real catalog, with its missing dates, emoji and odd titles."""
    frame = shared_catalog.entities.frame
    picks = frame.groupby("entity_type").head(15)              # a pool with every type present
    target = picks[picks["entity_type"] == "track"].iloc[0]
    found = ranked([Candidate(e, float(-i)) for i, e in enumerate(picks["entity_id"])], len(picks))
    pool = pool_candidates({"lexical": found}, shared_catalog.entities)
    qu = Understanding(query="", interpretations=(Interpretation(1.0, genres=("rap",), year_from=1990, year_to=1999),),
                       type_scores={"track": 0.6, "playlist": 0.4})
    X = FeatureBuilder(shared_catalog, {}).build(Query.make(target["title"], qu), pool)
    ids = [p.entity_id for p in pool]
    assert X.shape == (len(picks), len(FEATURE_NAMES)) and np.isfinite(X).all()
    assert col(X, ids, target["entity_id"], "title_exact") == 1.0
    assert set(np.unique(X[:, COLUMN["genre_match"]])) <= {-1.0, 0.0, 1.0}
    assert (X[:, COLUMN["age_years"]] >= 0).all() and (X[:, COLUMN["age_years"]] <= 60).all()


def test_user_genre_is_the_users_lean_to_the_candidates_genre(tiny_catalog):
    arms = {"lexical": FakeArm(tiny_catalog, {"track:lovestory": 1.0, "track:crazy": 0.9, "track:nystate": 0.8,
                                              "playlist:sad": 0.7})}
    X, ids = build(tiny_catalog, arms, "love", affinity={"r b": 0.6, "pop": 0.1})
    assert col(X, ids, "track:crazy", "user_genre") == pytest.approx(0.6)    # "r&b" read as "r b"
    assert col(X, ids, "track:lovestory", "user_genre") == pytest.approx(0.1)
    assert col(X, ids, "playlist:sad", "user_genre") == pytest.approx(0.1)
    assert col(X, ids, "track:nystate", "user_genre") == 0.0                  # a genre they never clicked
    # No user, or one with no lean: the column is 0 and nothing else moves.
    for affinity in (None, {}):
        plain, _ = build(tiny_catalog, arms, "love", affinity=affinity)
        assert not plain[:, COLUMN["user_genre"]].any()
        other = [c for c in range(X.shape[1]) if c != COLUMN["user_genre"]]
        np.testing.assert_array_equal(plain[:, other], X[:, other])


def test_a_hostile_lean_read_from_a_log_stays_within_0_and_1(tiny_catalog):
    arms = {"lexical": FakeArm(tiny_catalog, {"track:crazy": 1.0, "track:lovestory": 0.9, "track:nystate": 0.8})}
    X, ids = build(tiny_catalog, arms, "love", affinity={"r b": 1e9, "pop": float("nan"), "rap": -3.0})
    assert [col(X, ids, e, "user_genre") for e in ("track:crazy", "track:lovestory", "track:nystate")] == [1.0, 0.0, 0.0]
