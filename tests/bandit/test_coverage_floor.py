"""A coverage floor: below it a candidate costs less, so an ask the cheap plan serves badly buys recall."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.bandit.context import CONTEXT_FEATURES
from ltrr.bandit.coverage import CoverageLearner
from ltrr.bandit.coverage.plan import price
from ltrr.bandit.policy import PolicySpec

ARMS = ("a", "b")
COUNTS = {"a": 1, "b": 10}
MASK = np.ones(2, dtype=bool)


def ctx() -> np.ndarray:
    x = np.zeros(len(CONTEXT_FEATURES))
    x[0] = 1.0
    return x


def taught(a_share: float, b_share: float, **kw) -> CoverageLearner:
    """A learner that saw both arms run on every search: ``a`` at 1 holds ``a_share`` of what
    was wanted, ``b`` at 10 another ``b_share`` (at rank 8), nothing holds the rest (skips)."""
    learner = CoverageLearner(ARMS, seed=0, **kw)
    rng = np.random.default_rng(0)
    for _ in range(600):
        u = rng.random()
        ranks = {"a": 1, "b": None} if u < a_share else {"a": None, "b": 8} if u < a_share + b_share else None
        learner.observe(ctx(), {"a": 1, "b": 10}, ARMS, ranks, counts=COUNTS, p_wide=0.0, deepen={}, deepen_top={})
    return learner


def plan(learner: CoverageLearner) -> dict[str, int]:
    return dict(zip(ARMS, learner.greedy(ctx(), MASK)[0].tolist()))


def test_price_is_the_low_one_only_below_the_floor():
    assert price(0.5, 0.032, 0.8, 0.004) == 0.004
    assert price(0.8, 0.032, 0.8, 0.004) == 0.032
    assert price(0.5, 0.032, 0.0, 0.004) == 0.032         # a floor of 0: one price
    assert price(0.0, 0.032, 0.0, 0.004) == 0.032
    assert price(float("nan"), 0.032, 0.8, 0.004) == 0.032


def test_below_the_floor_the_plan_buys_recall_a_dear_candidate_would_not():
    # a serves half the asks; b's ten candidates add a fifth more (0.02 per candidate).
    dear = taught(0.5, 0.2, cost_per_candidate=0.032)
    floored = taught(0.5, 0.2, cost_per_candidate=0.032, floor=0.8, floor_cost=0.004)
    assert plan(dear) == {"a": 1, "b": 0}
    assert plan(floored) == {"a": 1, "b": 10}


def test_above_the_floor_the_dear_price_holds_where_one_low_price_would_spend():
    # a serves 92% of asks; b adds 6 points for ten candidates: worth it at 0.004, not at 0.032.
    cheap = taught(0.92, 0.06, cost_per_candidate=0.004)
    floored = taught(0.92, 0.06, cost_per_candidate=0.032, floor=0.8, floor_cost=0.004)
    assert plan(cheap) == {"a": 1, "b": 10}
    assert plan(floored) == {"a": 1, "b": 0}
    # Exploration may deepen b no further than the price in force pays for.
    greedy, _, cover = floored.greedy(ctx(), MASK)
    top = floored.deepen_top(greedy, MASK, cover, floored._levels(ctx()))
    assert top[1] < 10


def test_a_floor_is_part_of_the_settings_a_state_is_valid_under():
    floored = taught(0.5, 0.2, cost_per_candidate=0.032, floor=0.8, floor_cost=0.004)
    again = CoverageLearner(ARMS, cost_per_candidate=0.032, floor=0.8, floor_cost=0.004)
    again.load_state_dict(floored.state_dict())
    assert plan(again) == plan(floored)
    with pytest.raises(ValueError, match="other settings"):
        CoverageLearner(ARMS, cost_per_candidate=0.032).load_state_dict(floored.state_dict())


def test_a_policy_spec_carries_the_floor_and_refuses_nonsense():
    spec = PolicySpec.parse("coverage:cost=0.032,floor=0.8,lowcost=0.002")
    learner = CoverageLearner.from_params(ARMS, dict(spec.params))
    assert (learner.floor, learner.floor_cost, learner.cost_per_candidate) == (0.8, 0.002, 0.032)
    assert PolicySpec.parse(str(spec)) == spec
    for bad in ("floor=1.5", "floor=-0.1", "lowcost=-1"):
        with pytest.raises(ValueError, match="floor|lowcost"):
            PolicySpec.parse(f"coverage:{bad}")
    with pytest.raises(ValueError, match="floor"):
        CoverageLearner(ARMS, floor=2.0)
