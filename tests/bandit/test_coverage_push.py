"""Pricing a candidate by the places it takes in front of what was wanted (``coverage:push``)."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.bandit.context import CONTEXT_FEATURES
from ltrr.bandit.coverage import CoverageLearner
from ltrr.bandit.policy import PolicySpec

from tests.bandit.learners import two_word_context

ARMS = ("a", "b")
COUNTS = {"a": 3, "b": 3}
MASK = np.ones(2, dtype=bool)


def one_word_context() -> np.ndarray:
    """Another kind of ask than :func:`two_word_context`."""
    x = np.zeros(len(CONTEXT_FEATURES))
    x[CONTEXT_FEATURES.index("bias")] = 1
    return x


def taught(push: float, seed: int = 0) -> CoverageLearner:
    """Both arms run at 3 on every two-word search: ``a`` holds 80% of what was wanted, ``b`` the
    other 20% (clicks); each adds 3 of its own candidates to the pool."""
    learner = CoverageLearner(ARMS, seed=seed, cost_per_candidate=0.004, push=push)
    rng = np.random.default_rng(seed)
    both = {"a": 3, "b": 3}
    for _ in range(600):
        ranks = {"a": 2, "b": None} if rng.random() < 0.8 else {"a": None, "b": 2}
        learner.observe(two_word_context(), both, ARMS, ranks, counts=COUNTS, p_wide=0.0, deepen={}, deepen_top={})
    return learner


def plan(learner: CoverageLearner, x: np.ndarray) -> dict[str, int]:
    return dict(zip(ARMS, learner.greedy(x, MASK)[0].tolist()))


def test_an_arm_whose_own_finds_sit_above_the_clicks_pays_for_the_places_it_takes():
    learner = taught(push=0.5)
    x = two_word_context()
    # Nothing read of places yet: b's 20 points of coverage are worth its three candidates.
    assert plan(learner, x) == {"a": 3, "b": 3}
    # Clicks of this kind find half of b's own finds above them, none of a's: at 0.5 a place,
    # a candidate of b costs 0.004 + 0.25, and three of them more than b covers.
    for _ in range(200):
        learner.observe_crowding(x, {"a": 0.0, "b": 0.5})
    assert plan(learner, x) == {"a": 3, "b": 0}
    # What one kind of ask shows says nothing of another's.
    other = one_word_context()
    learner.observe(other, {"a": 3, "b": 3}, ARMS, {"a": None, "b": 2}, counts=COUNTS, p_wide=0.0,
                    deepen={}, deepen_top={})
    assert learner._surcharge(other) is None
    # Unknown arms and non-numbers are ignored.
    learner.observe_crowding(x, {"c": 1.0, "a": float("nan")})
    assert learner._surcharge(x)[0] == 0.0


def test_without_push_the_places_are_not_read():
    learner = taught(push=0.0)
    x = two_word_context()
    for _ in range(200):
        learner.observe_crowding(x, {"a": 0.0, "b": 0.5})
    assert plan(learner, x) == {"a": 3, "b": 3}
    assert "crowd" not in learner.state_dict()


def test_the_places_survive_a_checkpoint_and_a_malformed_state_is_refused():
    learner = taught(push=0.5)
    x = two_word_context()
    for _ in range(200):
        learner.observe_crowding(x, {"b": 0.5})
    state = learner.state_dict()
    again = CoverageLearner(ARMS, cost_per_candidate=0.004, push=0.5)
    again.load_state_dict(state)
    assert plan(again, x) == plan(learner, x) == {"a": 3, "b": 0}
    for bad in ({"k": [0.5]}, {"k": [0.5, 1.5]}, {"k": [-0.1, 0.0]}):
        with pytest.raises(ValueError, match="crowd"):
            again.load_state_dict({**state, "crowd": bad})
    assert plan(again, x) == {"a": 3, "b": 0}                        # unchanged by a refused state
    # A state saved without push is refused by a learner with it (other settings).
    with pytest.raises(ValueError, match="other settings"):
        again.load_state_dict(taught(push=0.0).state_dict())


def test_the_spec_reads_push_and_refuses_a_negative_one():
    spec = PolicySpec.parse("coverage:push=0.05")
    assert dict(spec.params)["push"] == 0.05
    assert PolicySpec.parse(str(spec)) == spec
    assert dict(PolicySpec.parse("coverage").params)["push"] == 0.0
    with pytest.raises(ValueError, match="push"):
        PolicySpec.parse("coverage:push=-1")
    with pytest.raises(ValueError, match="push"):
        CoverageLearner(ARMS, push=-0.1)
