"""Pricing an arm by what it adds to the pool: finds another chosen arm also returns cost nothing."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.bandit.context import CONTEXT_FEATURES
from ltrr.bandit.coverage import CoverageLearner

ARMS = ("a", "b")
COUNTS = {"a": 1, "b": 10}


def ctx() -> np.ndarray:
    x = np.zeros(len(CONTEXT_FEATURES))
    x[0] = 1.0
    return x


def taught(seed: int = 0) -> CoverageLearner:
    """A learner that saw both arms run on every search: ``a`` at 1 holds 90% of what was
    wanted, ``b`` at 10 another 3% (at rank 8), nothing holds the rest (skips)."""
    learner = CoverageLearner(ARMS, seed=seed, cost_per_candidate=0.004)
    rng = np.random.default_rng(seed)
    both = {"a": 1, "b": 10}
    for _ in range(600):
        u = rng.random()
        ranks = {"a": 1, "b": None} if u < 0.90 else {"a": None, "b": 8} if u < 0.93 else None
        learner.observe(ctx(), both, ARMS, ranks, counts=COUNTS, p_wide=0.0, deepen={}, deepen_top={})
    return learner


def test_an_arm_whose_finds_others_return_is_priced_by_what_it_adds_to_the_pool():
    learner = taught()
    mask = np.ones(2, dtype=bool)
    # Priced by its list, b's ten candidates (0.04) cost more than its 3 points of coverage.
    assert dict(zip(ARMS, learner.greedy(ctx(), mask)[0].tolist())) == {"a": 1, "b": 0}
    # Beside a, four of b's five finds are a's too: ten returned, two new to the pool (0.008).
    for _ in range(400):
        learner.observe_novelty({"a": 1.0, "b": 0.2})
    assert dict(zip(ARMS, learner.greedy(ctx(), mask)[0].tolist())) == {"a": 1, "b": 10}
    # Alone an arm pays for its whole list: the first arm chosen is still a, at 1.
    learner.observe_novelty({"c": 0.0, "a": float("nan")})       # unknown arms and non-numbers: ignored
    assert learner.greedy(ctx(), mask)[0][0] == 1


def test_the_pool_shares_survive_a_checkpoint_and_an_older_state_counts_every_find():
    learner = taught()
    for _ in range(400):
        learner.observe_novelty({"b": 0.2})
    mask = np.ones(2, dtype=bool)
    state = learner.state_dict()
    again = CoverageLearner(ARMS, cost_per_candidate=0.004)
    again.load_state_dict(state)
    np.testing.assert_array_equal(again.greedy(ctx(), mask)[0], learner.greedy(ctx(), mask)[0])
    # A state saved before the shares were kept loads with every find new to the pool.
    old = {k: v for k, v in state.items() if k != "novel"}
    again.load_state_dict(old)
    assert dict(zip(ARMS, again.greedy(ctx(), mask)[0].tolist())) == {"a": 1, "b": 0}
    for bad in ([0.5], [0.5, 1.5], [0.5, -0.1]):
        with pytest.raises(ValueError, match="novel"):
            again.load_state_dict({**state, "novel": bad})
