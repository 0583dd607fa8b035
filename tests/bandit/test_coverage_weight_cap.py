"""The weight cap: an explored find stands for at most ``wcap`` searches of its cell."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.bandit.coverage import CoverageLearner
from ltrr.bandit.policy import PolicySpec

ARMS = ("a", "b")
X = np.zeros(1)


def learner(spec: str) -> CoverageLearner:
    """A context-free learner from ``spec``, without deepening, so that the one exploration a
    find can come from is the wide one."""
    params = dict(PolicySpec.parse(spec).params)
    params.update(context=0.0, epsilon=0.0)
    return CoverageLearner.from_params(ARMS, params)


def find_by_wide_exploration(l: CoverageLearner, p_wide: float) -> None:
    """A search whose greedy configuration ran ``a`` alone; the wide exploration also ran ``b``,
    which held the click at rank 2."""
    l.observe(X, {"a": 1}, ARMS, {"a": None, "b": 2}, {"a": 1, "b": 3}, p_wide=p_wide, explored="wide")


def weights(l: CoverageLearner) -> list[float]:
    return [float(w) for cell in l._cells.values() for w in cell.inv_w]


def test_a_find_weighs_the_inverse_of_its_chance_up_to_the_cap():
    default, capped = learner("coverage"), learner("coverage:wcap=10")
    assert default.weight_cap == pytest.approx(100.0)       # 1 / the least wide chance, as before
    for l in (default, capped):
        find_by_wide_exploration(l, p_wide=0.01)
        find_by_wide_exploration(l, p_wide=0.5)
    assert weights(default) == pytest.approx([100.0, 2.0])
    assert weights(capped) == pytest.approx([10.0, 2.0])    # a likely find is not touched


def test_a_capped_find_buys_less_of_the_arm_it_came_from():
    """Of 30 searches a served 15 and 14 went unclicked; one was found by b, explored wide at
    chance 0.1. At its full weight (10) that find is a third of the searches, which pays for b's
    three candidates at 0.05 each; capped at 2 it is a fifteenth, which does not."""
    budgets = {}
    for spec in ("coverage:prior=0,cost=0.05", "coverage:prior=0,cost=0.05,wcap=2"):
        l = learner(spec)
        for _ in range(15):
            l.observe(X, {"a": 1}, ARMS, {"a": 1, "b": None}, {"a": 1, "b": 3}, p_wide=0.1)
        for _ in range(14):
            l.observe(X, {"a": 1}, ARMS, None, None, p_wide=0.1)
        find_by_wide_exploration(l, p_wide=0.1)
        budgets[spec] = l.greedy(X, np.ones(2, dtype=bool))[0].tolist()
    assert budgets["coverage:prior=0,cost=0.05"] == [1, 3]
    assert budgets["coverage:prior=0,cost=0.05,wcap=2"] == [1, 0]


def test_wcap_is_checked_and_saved_with_the_learner():
    with pytest.raises(ValueError, match="wcap"):
        PolicySpec.parse("coverage:wcap=0.5")
    capped = learner("coverage:wcap=10")
    with pytest.raises(ValueError, match="other settings"):
        learner("coverage").load_state_dict(capped.state_dict())
