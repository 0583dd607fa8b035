"""hold: what a warm start read is held in cells of its own that never decay."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.bandit.coverage import CoverageLearner
from ltrr.bandit.policy import PolicySpec
from tests.bandit.learners import two_word_context as ctx

ARMS = ("a", "b", "c")
MASK = np.ones(len(ARMS), dtype=bool)
LISTS = {a: 50 for a in ARMS}


def warmed(hold: bool) -> CoverageLearner:
    """A learner that read 200 searches where only arm c holds what was wanted, at rank 3; and 20
    where no arm does."""
    learner = CoverageLearner(ARMS, seed=0, hold=hold, prior=50.0)
    for i in range(220):
        learner.observe_warm(ctx(), {"c": 3} if i < 200 else {}, LISTS)
    return learner


def skipped(learner: CoverageLearner, n: int) -> None:
    """``n`` searches of the same kind that ran arm a only and ended without a click."""
    for _ in range(n):
        learner.observe(ctx(), {"a": 3}, list(ARMS), None, LISTS, p_wide=0.0)


def test_held_warm_searches_leave_the_learners_own_cells_alone_and_set_its_first_plan():
    learner = warmed(hold=True)
    assert learner._cells == {} and learner._held
    budgets, alone, cover = learner.greedy(ctx(), MASK)
    assert budgets[ARMS.index("c")] >= 3 and budgets[ARMS.index("a")] == 0
    # 200 of 220 searches found by c: the estimate is that share, shrunk a little towards nothing at the root.
    assert 0.8 < cover <= 200 / 220


def test_what_the_warm_start_showed_of_an_arm_the_learner_stops_running_does_not_fade():
    # 1,500 searches (five half-lives) that ran only arm a and were not served: nothing new about c.
    held, faded = warmed(hold=True), warmed(hold=False)
    for learner in (held, faded):
        skipped(learner, 1500)
    c = ARMS.index("c")
    alone_held = held.greedy(ctx(), MASK)[1][c]
    alone_faded = faded.greedy(ctx(), MASK)[1][c]
    # Held: c still covers most searches, as the warm start showed and no search of this learner denied.
    assert held.greedy(ctx(), MASK)[0][c] >= 3 and alone_held > 0.5
    assert alone_faded < alone_held


def test_held_cells_are_saved_and_read_back_and_a_state_of_the_other_setting_is_refused():
    learner = warmed(hold=True)
    skipped(learner, 50)
    again = CoverageLearner(ARMS, seed=0, hold=True)
    again.load_state_dict(learner.state_dict())
    for a, b in zip(learner.greedy(ctx(), MASK), again.greedy(ctx(), MASK)):
        np.testing.assert_allclose(a, b)
    with pytest.raises(ValueError, match="other settings"):
        CoverageLearner(ARMS, seed=0).load_state_dict(learner.state_dict())
    broken = learner.state_dict()
    broken["held"] = {**broken["held"], "ranks": broken["held"]["ranks"][:, :2]}
    with pytest.raises(ValueError, match="malformed"):
        CoverageLearner(ARMS, seed=0, hold=True).load_state_dict(broken)


def test_the_policy_spec_reads_hold():
    spec = PolicySpec.parse("coverage:cost=0.008,hold=1")
    assert dict(spec.params)["hold"] == 1.0
    assert CoverageLearner.from_params(ARMS, dict(spec.params)).hold
    with pytest.raises(ValueError, match="hold must be 0"):
        PolicySpec.parse("coverage:hold=0.5")
