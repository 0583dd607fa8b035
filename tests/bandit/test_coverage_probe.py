"""The memory probe: kinds of query split by what the memory holds for them (``probe``)."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.bandit.context import CONTEXT_FEATURES, REMEMBERED_CAP, context_vector
from ltrr.bandit.coverage import CoverageLearner
from ltrr.bandit.coverage.cells import is_probe_key, remembered_bucket
from ltrr.bandit.policy import PolicySpec
from ltrr.query import Query
from tests.bandit.learners import resolve

ARMS = ("names", "typos", "other")
MASK = np.ones(len(ARMS), dtype=bool)


def x_with(remembered: int) -> np.ndarray:
    x = np.zeros(len(CONTEXT_FEATURES))
    x[CONTEXT_FEATURES.index("bias")] = 1
    x[CONTEXT_FEATURES.index("q_two_words")] = 1
    x[CONTEXT_FEATURES.index("q_remembered")] = min(remembered, REMEMBERED_CAP) / REMEMBERED_CAP
    return x


# One kind of query (same shape, nothing understood) that needs different arms: names the
# memory knows are found by "names" at rank 1; text it has never seen only by "typos", 3 deep.
def ranks_for(remembered: int) -> dict:
    return {"names": 1, "typos": None, "other": None} if remembered else {"names": None, "typos": 2, "other": None}


def step(learner: CoverageLearner, remembered: int) -> None:
    resolve(learner, x_with(remembered), MASK, ranks_for(remembered))


def greedy_of(learner: CoverageLearner, remembered: int) -> dict[str, int]:
    return dict(zip(ARMS, map(int, learner.greedy(x_with(remembered), MASK)[0])))


def test_the_probe_splits_a_kind_whose_queries_need_different_arms():
    probed = CoverageLearner(ARMS, seed=0, probe_prior=10.0)
    plain = CoverageLearner(ARMS, seed=0)
    rng = np.random.default_rng(0)
    for _ in range(600):
        remembered = 12 if rng.random() < 0.7 else 0
        step(probed, remembered)
        step(plain, remembered)
    # Split by the probe, the names the memory knows (70% of the kind) stop paying for the
    # typo arm; unknown text keeps it (and the one cheap candidate its kind still lends it).
    assert greedy_of(probed, 12) == {"names": 1, "typos": 0, "other": 0}
    assert greedy_of(probed, 0)["typos"] == 3
    # Without the split both halves pay for both arms.
    assert greedy_of(plain, 12) == greedy_of(plain, 0) == {"names": 1, "typos": 3, "other": 0}
    # The split cells are the probe's, and they survive a state round trip.
    assert any(is_probe_key(k) for k in probed._cells)
    again = CoverageLearner(ARMS, seed=0, probe_prior=10.0)
    again.load_state_dict(probed.state_dict())
    assert greedy_of(again, 12) == greedy_of(probed, 12)
    # A state saved without the probe is refused by a learner with it (other settings).
    with pytest.raises(ValueError):
        again.load_state_dict(plain.state_dict())


def test_the_context_free_learner_ignores_the_probe():
    learner = CoverageLearner(ARMS, seed=0, contextual=False, probe_prior=10.0)
    assert learner.cell_keys(x_with(12)) == [()]


@pytest.mark.parametrize("count, bucket", [(0, 0), (1, 1), (5, 1), (6, 2), (49, 2), (50, 3), (500, 3)])
def test_buckets_of_the_remembered_count(count, bucket):
    x = context_vector(Query.make("some query"), None, remembered=count)
    assert remembered_bucket(x) == bucket


def test_remembered_is_read_exactly_and_bad_counts_are_ignored():
    i = CONTEXT_FEATURES.index("q_remembered")
    assert context_vector(Query.make("a b"), None, remembered=7)[i] == pytest.approx(7 / REMEMBERED_CAP)
    for bad in (None, -3, True, 2.5, "7"):
        value = context_vector(Query.make("a b"), None, remembered=bad)[i]
        assert value == (0.0 if bad != -3 else 0.0)


def test_policy_option_probe_reaches_the_learner_and_is_validated():
    spec = PolicySpec.parse("coverage:probe=10")
    learner = CoverageLearner.from_params(ARMS, dict(spec.params))
    assert learner.probe_prior == 10.0
    assert PolicySpec.parse(str(spec)) == spec
    with pytest.raises(ValueError, match="probe"):
        PolicySpec.parse("coverage:probe=-1")
