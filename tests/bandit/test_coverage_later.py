"""Finds after a miss weighted by the share of misses users follow up (``coverage:later=C``)."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.bandit.coverage import CoverageLearner
from ltrr.bandit.policy import PolicySpec

ARMS = ("a", "b")
X = np.zeros(1)


def learner(spec: str) -> CoverageLearner:
    """A context-free learner from ``spec`` (one cell: every weight lands there)."""
    params = dict(PolicySpec.parse(spec).params)
    params.update(context=0.0)
    return CoverageLearner.from_params(ARMS, params)


def unclicked(l: CoverageLearner, n: int) -> None:
    for _ in range(n):
        l.observe(X, {"a": 1}, ARMS, None, {"a": 1, "b": 3}, p_wide=0.0)


def clicked(l: CoverageLearner, n: int) -> None:
    for _ in range(n):
        l.observe(X, {"a": 1}, ARMS, {"a": 1, "b": None}, {"a": 1, "b": 3}, p_wide=0.0)


def found_later(l: CoverageLearner) -> None:
    l.observe_found_later(X, {"a": None, "b": 2}, {"a": 1, "b": 3})


def later_weights(l: CoverageLearner) -> list[float]:
    """Weights of the buffered rows that only b holds (the finds after a miss)."""
    cell = l._cells[()]
    return [float(w) for r, w in zip(cell.ranks, cell.inv_w) if r[0] > 50]


def test_a_find_stands_for_the_misses_nobody_followed_up():
    off, on = learner("coverage"), learner("coverage:later=5")
    for l in (off, on):
        clicked(l, 10)
        unclicked(l, 8)         # eight searches went without a click ...
        found_later(l)          # ... and users came back with what they wanted for two of them
        found_later(l)
    assert later_weights(off) == [1.0, 1.0]
    # The first find: one of eight followed up, capped at 5; the second: two of eight, 4 (the
    # eight counted as they decay with the cells).
    misses = sum(on.decay ** k for k in range(8))
    assert misses == pytest.approx(8.0, rel=0.02)
    assert later_weights(on) == pytest.approx([5.0, misses / 2])
    # Clicks keep their own weights, and a search's clicks do not count as misses.
    assert sorted(set(float(w) for w in on._cells[()].inv_w) - set(later_weights(on))) == [1.0]


def test_the_weighted_finds_buy_the_arm_that_fixes_the_misses():
    """a serves half the searches; of the other half, one in four is followed up and b had it. At
    weight 1 b's gain looks like an eighth of the searches, below its price; weighted by the
    follow-up share, half of them, and b is run."""
    plans = {}
    for spec in ("coverage:prior=0,cost=0.05,wide=0,epsilon=0,tries=0",
                 "coverage:prior=0,cost=0.05,wide=0,epsilon=0,tries=0,later=10"):
        l = learner(spec)
        for i in range(40):
            clicked(l, 1)
            unclicked(l, 1)
            if i % 4 == 0:
                found_later(l)
        plans[spec] = l.greedy(X, np.ones(2, dtype=bool))[0]
    off, on = plans.values()
    assert off[1] == 0 and on[1] >= 3


def test_the_follow_up_counts_survive_a_saved_state():
    l = learner("coverage:later=5")
    clicked(l, 3)
    unclicked(l, 6)
    found_later(l)
    again = learner("coverage:later=5")
    again.load_state_dict(l.state_dict())
    found_later(l)
    found_later(again)
    assert later_weights(again) == later_weights(l)
    broken = l.state_dict() | {"follow_ups": [1.0, -2.0]}
    with pytest.raises(ValueError, match="follow_ups"):
        again.load_state_dict(broken)


def test_later_is_off_or_at_least_one():
    with pytest.raises(ValueError, match="later"):
        PolicySpec.parse("coverage:later=0.5")
    with pytest.raises(ValueError, match="later"):
        CoverageLearner(ARMS, later=0.5)
