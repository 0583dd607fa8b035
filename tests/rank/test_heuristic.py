"""The heuristic's documented formula, checked on hand-built feature rows."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.rank.features import COLUMN, FEATURE_NAMES
from ltrr.rank.heuristic import (
    ARM_WEIGHT_CAP, ARM_WEIGHT_FLOOR, PRIORS, arm_weight_map, heuristic_contributions, heuristic_scores, heuristic_weights,
)


def rows(*specs: dict[str, float]) -> np.ndarray:
    """One feature row per dict of {feature name: value}; everything else 0."""
    X = np.zeros((len(specs), len(FEATURE_NAMES)), dtype=np.float32)
    for i, spec in enumerate(specs):
        for name, value in spec.items():
            X[i, COLUMN[name]] = value
    return X


def test_two_first_places_beat_one_fifth_place():
    X = rows({"rr_lexical": 1.0, "rr_fuzzy": 1.0}, {"rr_semantic": 1 / 5})
    a, b = heuristic_scores(X)
    assert a == pytest.approx(2.0) and b == pytest.approx(0.2)


def test_fusion_is_reciprocal_rank():
    X = rows(*({"rr_lexical": 1 / r} for r in (1, 2, 3, 10)))
    assert heuristic_scores(X).tolist() == pytest.approx([1.0, 0.5, 1 / 3, 0.1])


def test_arm_weights_decide_between_first_places():
    X = rows({"rr_lexical": 1.0}, {"rr_fuzzy": 1.0})
    even = heuristic_scores(X)
    assert even[0] == even[1]
    lexical_first = heuristic_scores(X, {"lexical": 0.8, "fuzzy": 0.2})
    assert lexical_first.tolist() == pytest.approx([1.0, 0.25])
    assert heuristic_scores(X, {"lexical": 0.1, "fuzzy": 0.9})[1] > heuristic_scores(X, {"lexical": 0.1, "fuzzy": 0.9})[0]


def test_arm_weights_are_relative_and_floored():
    assert arm_weight_map({"lexical": 2.0, "fuzzy": 1.0}) == arm_weight_map({"lexical": 0.2, "fuzzy": 0.1})
    weights = arm_weight_map({"lexical": 1.0, "fuzzy": float("nan"), "semantic": -3.0, "nonsense": 99.0})
    assert weights["lexical"] == 1.0
    assert weights["fuzzy"] == weights["semantic"] == weights["memory"] == ARM_WEIGHT_FLOOR
    assert "nonsense" not in weights
    # No usable reward at all: every arm counts the same, but for an arm whose order is a draw.
    for weights in (arm_weight_map({"lexical": 0.0}), arm_weight_map(None)):
        assert weights["discover"] == ARM_WEIGHT_CAP["discover"] < 1.0
        assert {w for arm, w in weights.items() if arm != "discover"} == {1.0}
    # Even the best arm by reward, a random sample's ranks stay capped.
    assert arm_weight_map({"discover": 5.0, "lexical": 1.0})["discover"] == ARM_WEIGHT_CAP["discover"]


def test_exact_title_and_type_agreement_lift_an_otherwise_equal_candidate():
    base = {"rr_lexical": 0.5}
    X = rows(base, {**base, "title_exact": 1.0}, {**base, "type_agreement": 0.9})
    plain, exact, typed = heuristic_scores(X)
    assert exact - plain == pytest.approx(PRIORS["title_exact"])
    assert typed - plain == pytest.approx(0.9 * PRIORS["type_agreement"])


def test_exact_title_outranks_a_better_retrieval_rank_alone():
    # "shake it off" retrieved 3rd but exactly the title vs a 1st-ranked partial match.
    X = rows({"rr_lexical": 1 / 3, "title_exact": 1.0, "title_prefix": 1.0}, {"rr_lexical": 1.0})
    exact, first = heuristic_scores(X)
    assert exact > first


def test_popularity_is_only_a_tie_breaker():
    X = rows({"rr_lexical": 1.0, "popularity": 0.1}, {"rr_lexical": 1.0, "popularity": 0.9},
             {"rr_lexical": 0.5, "popularity": 1.0})
    low, high, second = heuristic_scores(X)
    assert high > low > second


def test_artist_mismatch_is_penalised():
    X = rows({"rr_lexical": 1.0, "artist_match": 1.0}, {"rr_lexical": 1.0}, {"rr_lexical": 1.0, "artist_match": -1.0})
    match, neutral, other = heuristic_scores(X)
    assert match > neutral > other


def test_contributions_sum_to_the_score_and_have_a_zero_bias():
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, size=(7, len(FEATURE_NAMES))).astype(np.float32)
    weights = {"lexical": 0.4, "semantic": 0.9}
    contrib = heuristic_contributions(X, weights)
    assert contrib.shape == (7, len(FEATURE_NAMES) + 1)
    np.testing.assert_allclose(contrib.sum(axis=1), heuristic_scores(X, weights), rtol=1e-12)
    assert contrib[:, -1].tolist() == [0.0] * 7
    # Only features with a coefficient contribute.
    unused = heuristic_weights(weights) == 0
    assert not contrib[:, :-1][:, unused].any()


def test_every_prior_names_a_feature():
    assert set(PRIORS) <= set(FEATURE_NAMES)


@pytest.mark.parametrize("bad", [np.zeros(len(FEATURE_NAMES)), np.zeros((3, 5)), np.zeros((2, 3, 4))])
def test_wrong_shapes_are_refused_with_a_message(bad):
    with pytest.raises(ValueError, match="FEATURE_NAMES order"):
        heuristic_scores(bad)


def test_empty_matrix_gives_empty_scores():
    assert heuristic_scores(np.zeros((0, len(FEATURE_NAMES)))).shape == (0,)
