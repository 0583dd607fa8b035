"""Doubt: a plan's step is bought on its estimated gain less some standard errors of it, so a
gain that rests on a few heavily weighted finds does not buy a hedge."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.bandit.coverage import CoverageLearner
from ltrr.bandit.coverage.cells import LADDER, NOT_FOUND, Level
from ltrr.bandit.coverage.estimate import gains
from ltrr.bandit.coverage.plan import greedy
from ltrr.bandit.policy import PolicySpec

ARMS = ("a", "b")
MASK = np.ones(2, dtype=bool)
NO_START = np.zeros(2)


def root(n: float, rows: list[tuple[int, int, float]], reach: float | None = None) -> Level:
    """A cell of ``n`` searches whose buffer holds ``rows`` of (rank in a, rank in b, weight);
    every arm returns 10 candidates at depth 10 and one per step below."""
    ranks = np.array([[a, b] for a, b, _ in rows], dtype=np.int16)
    w = np.array([wt for _, _, wt in rows], dtype=np.float64)
    counts = np.full((len(rows), 2), 10.0)
    hit = ranks[:, :, None] <= LADDER[None, None, :]
    return Level(n, ranks, counts, w, hit, reach=n if reach is None else reach)


def b_only(finds: int, weight: float) -> list[tuple[int, int, float]]:
    """Arm a holds 60% of 100 searches' targets at rank 1; arm b holds others at rank 8 only:
    ``finds`` rows each weighted ``weight``."""
    return [(1, NOT_FOUND, 1.0)] * 60 + [(NOT_FOUND, 8, weight)] * finds


def test_the_standard_error_is_the_weighted_sums_through_the_root_shrinkage():
    lv = root(100.0, b_only(5, 2.0))
    budgets = np.array([1, 0])
    plain = gains([lv], budgets, prior=50.0, n_arms=2)
    gain, cover, sd = gains([lv], budgets, prior=50.0, n_arms=2, spread=True)
    np.testing.assert_allclose(gain, plain[0])
    assert cover == pytest.approx(plain[1])
    # b at 10 and 20 holds the five rows a does not cover: sum of w^2 = 5 * 4 over (n + prior)^2.
    assert sd[1, 4] == pytest.approx(np.sqrt(20.0) / 150.0)
    assert sd[1, 3] == 0.0                       # at 5, b holds nothing: no gain, no doubt
    assert sd[0].max() == 0.0                    # a adds nothing beyond its first step


def test_a_finer_level_passes_on_its_share_of_the_spread_by_its_reach():
    parent = root(100.0, b_only(5, 2.0))
    child = root(40.0, b_only(2, 4.0)[58:], reach=40.0)   # 2 of its 4 rows: b's finds at weight 4
    budgets = np.array([1, 0])
    _, _, sd_parent = gains([parent], budgets, prior=50.0, n_arms=2, spread=True)
    _, _, sd = gains([child, parent], budgets, prior=50.0, n_arms=2, spread=True)
    own = 40.0 / (40.0 + 50.0)
    expected = np.sqrt(own ** 2 * (2 * 16.0) / 40.0 ** 2 + (1 - own) ** 2 * sd_parent[1, 4] ** 2)
    assert sd[1, 4] == pytest.approx(expected)


def test_doubt_drops_a_hedge_resting_on_one_heavy_find_and_keeps_one_resting_on_many():
    # The same estimated gain for b at 10 (40 / 800 = 0.05, 10 candidates at 0.004 each: 0.04),
    # from one find weighted 40 or from forty finds weighted 1.
    heavy = [root(800.0, [(1, NOT_FOUND, 1.0)] * 600 + [(NOT_FOUND, 8, 40.0)])]
    many = [root(800.0, [(1, NOT_FOUND, 1.0)] * 600 + [(NOT_FOUND, 8, 1.0)] * 40)]
    for levels in (heavy, many):
        budgets = greedy(levels, MASK, 0.004, NO_START, prior=0.0)[0]
        assert budgets.tolist() == [1, 10]          # without doubt, both buy b
    assert greedy(heavy, MASK, 0.004, NO_START, prior=0.0, doubt=0.5)[0].tolist() == [1, 0]
    assert greedy(many, MASK, 0.004, NO_START, prior=0.0, doubt=0.5)[0].tolist() == [1, 10]


def test_no_doubt_is_the_plain_greedy():
    levels = [root(100.0, b_only(5, 2.0))]
    plain = greedy(levels, MASK, 0.004, NO_START, prior=50.0)
    none = greedy(levels, MASK, 0.004, NO_START, prior=50.0, doubt=0.0)
    assert plain[0].tolist() == none[0].tolist() and plain[2] == none[2]


def test_a_policy_spec_carries_doubt_into_the_learner_and_its_saved_settings():
    assert dict(PolicySpec.parse("coverage").params)["doubt"] == 0.0       # tried as the default, not kept
    learner = CoverageLearner.from_params(ARMS, dict(PolicySpec.parse("coverage:doubt=1").params))
    assert learner.doubt == 1.0
    with pytest.raises(ValueError, match="other settings"):
        CoverageLearner(ARMS, doubt=0.5).load_state_dict(learner.state_dict())
    with pytest.raises(ValueError, match="doubt"):
        CoverageLearner(ARMS, doubt=-1.0)
