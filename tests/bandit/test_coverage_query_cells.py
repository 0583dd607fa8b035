"""Query cells: a recent query's own searches steer its arms, within bounded memory."""
from __future__ import annotations

import numpy as np

from ltrr.bandit.context import CONTEXT_FEATURES
from ltrr.bandit.coverage import CoverageLearner
from ltrr.bandit.coverage.cells import is_query_key
from tests.bandit.learners import resolve

ARMS = ("a", "b", "c")
X = np.zeros(len(CONTEXT_FEATURES))
X[CONTEXT_FEATURES.index("bias")] = 1
X[CONTEXT_FEATURES.index("q_one_word")] = 1
MASK = np.ones(len(ARMS), dtype=bool)
# Two queries of one kind that need different arms: the kind's cells cannot tell them apart.
# Arm b finds "right" only at rank 8, so it must run 10 deep: too dear for "left" alone.
WORLD = {"left": {"a": 1, "b": None, "c": None}, "right": {"a": None, "b": 8, "c": None}}


def step(learner: CoverageLearner, query: str, ranks: dict | None = None) -> bool:
    return resolve(learner, X, MASK, WORLD.get(query, ranks or {}), query)


def greedy_of(learner: CoverageLearner, query: str) -> dict[str, int]:
    return dict(zip(ARMS, map(int, learner._greedy(learner._levels(X, query), MASK)[0])))


def test_each_query_gets_its_own_arms_where_its_kind_would_run_both_deep():
    with_cells = CoverageLearner(ARMS, seed=0, queries=100, query_prior=2.0)
    without = CoverageLearner(ARMS, seed=0, queries=100)
    rng = np.random.default_rng(0)
    for _ in range(400):
        query = "left" if rng.random() < 0.5 else "right"
        step(with_cells, query)
        step(without, query)
    # Shrunk towards its kind, "right" may still buy the cheap arm a at 1; "left" drops b's 10.
    assert greedy_of(with_cells, "left") == {"a": 1, "b": 0, "c": 0}
    assert greedy_of(with_cells, "right")["b"] == 10
    # Without query cells both queries get the kind's configuration, which runs b 10 deep.
    assert greedy_of(without, "left") == greedy_of(without, "right") == {"a": 1, "b": 10, "c": 0}
    # A query never seen gets its kind's configuration.
    assert greedy_of(with_cells, "unseen")["b"] == 10


def test_query_cells_are_bounded_by_the_queries_kept_and_survive_a_state_round_trip():
    learner = CoverageLearner(ARMS, seed=0, queries=5, query_prior=2.0)
    for i in range(40):
        step(learner, f"q{i % 20}", {"a": 1})
    kept = {k[1] for k in learner._cells if is_query_key(k)}
    assert kept == {f"q{i}" for i in range(15, 20)}
    # A find on a search whose query was dropped does not bring its cell back.
    learner.observe_found_later(X, {"b": 1}, {a: 50 for a in ARMS}, query="q0")
    assert ("q", "q0") not in learner._cells
    learner.observe_found_later(X, {"b": 1}, {a: 50 for a in ARMS}, query="q19")
    # q19 left and came back (at i = 39): its cell holds that click and the find.
    assert len(learner._cells[("q", "q19")].ranks) == 2

    copy = CoverageLearner(ARMS, seed=0, queries=5, query_prior=2.0)
    copy.load_state_dict(learner.state_dict())
    assert copy.state_dict()["cells"] == learner.state_dict()["cells"]
    for q in ("q19", "q3"):
        assert greedy_of(copy, q) == greedy_of(learner, q)


def test_query_cells_need_query_counts_and_context():
    assert CoverageLearner(ARMS, queries=0, query_prior=2.0).query_prior == 0.0
    assert CoverageLearner(ARMS, queries=10, query_prior=2.0, contextual=False).query_prior == 0.0
    learner = CoverageLearner(ARMS, queries=10, query_prior=0.0)
    step(learner, "left")
    assert not any(is_query_key(k) for k in learner._cells)
