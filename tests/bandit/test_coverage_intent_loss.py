"""The coverage learner must not lose a kind of query when what serves it changes.

Two intents share one context cell (the learner cannot tell them apart by context). For
the first ``SWITCH`` searches intent B is served only by arm ``c`` (at rank 3) (arm ``b``
finds nothing for it); from then on only ``b`` serves it, at rank 1. Every configuration
tuned on the traffic after the switch runs ``a`` and ``b`` at 1 and covers every search.
Skips after the switch are the only evidence: B's target is never clicked again unless
something runs ``b``.
"""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.bandit.context import CONTEXT_FEATURES
from ltrr.bandit.coverage import CoverageLearner
from tests.bandit.learners import resolve

ARMS = ("a", "b", "c", "d")
SWITCH = 300
AFTER = 300                      # searches after the switch by which the learner must be back
X = np.zeros(len(CONTEXT_FEATURES))
X[CONTEXT_FEATURES.index("bias")] = 1
X[CONTEXT_FEATURES.index("q_two_words")] = 1


def ranks_for(intent: str, t: int) -> dict[str, int | None]:
    if intent == "A":
        return {"a": 1, "b": None, "c": None, "d": 4}
    if t < SWITCH:
        return {"a": None, "b": None, "c": 3, "d": None}
    return {"a": None, "b": 1, "c": None, "d": None}


def run(learner: CoverageLearner, steps: int, seed: int, share_b: float = 0.3) -> np.ndarray:
    """Per search: whether the learner's configuration covered it (a covered target is clicked)."""
    rng = np.random.default_rng(seed)
    mask = np.ones(len(ARMS), dtype=bool)
    hits = np.zeros(steps, dtype=bool)
    for t in range(steps):
        intent = "B" if rng.random() < share_b else "A"
        query = f"{intent.lower()}{int(rng.integers(20))}"
        hits[t] = resolve(learner, X, mask, ranks_for(intent, t), query)
    return hits


@pytest.mark.parametrize("policy", [{}, {"query_prior": 3.0}])
@pytest.mark.parametrize("seed", range(3))
def test_an_intent_whose_only_arm_changes_is_served_again_within_300_searches(policy, seed):
    learner = CoverageLearner(ARMS, seed=seed, queries=1000, **policy)
    hits = run(learner, SWITCH + AFTER + 200, seed)
    before = hits[SWITCH - 100:SWITCH].mean()
    assert before > 0.95, "the learner should serve both intents before the switch"
    assert hits[SWITCH:SWITCH + 50].mean() < before, "the switch should cost something at first"
    # The tuned configuration after the switch (a=1, b=1) covers every search.
    back = hits[SWITCH + AFTER:].mean()
    assert back >= 0.98, f"200 searches from {AFTER} after the switch: {back:.1%} covered"
