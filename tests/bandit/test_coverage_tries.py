"""A query that keeps failing tries every arm its own searches have not run (coverage:tries)."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.bandit.context import CONTEXT_FEATURES
from ltrr.bandit.coverage import CoverageLearner
from ltrr.bandit.coverage import explore
from ltrr.bandit.coverage.explore import TRY_AGAIN_AFTER, QueryCounts
from ltrr.bandit.policy import PolicySpec

ARMS = ("a", "b", "c")
MASK = np.ones(len(ARMS), dtype=bool)
X = np.zeros(len(CONTEXT_FEATURES))
X[CONTEXT_FEATURES.index("bias")] = 1
X[CONTEXT_FEATURES.index("q_two_words")] = 1


def test_untried_needs_misses_and_names_the_arms_not_run():
    counts = QueryCounts(10, len(ARMS))
    counts.observe("q", served=False, wide=False, ran=np.array([True, False, False]))
    assert counts.untried("q", 2) is None                   # one miss is not enough
    counts.observe("q", served=False, wide=False, ran=np.array([True, False, False]))
    assert counts.untried("q", 2).tolist() == [False, True, True]
    assert counts.untried("q", 0) is None                   # the rule off
    assert counts.untried("other", 2) is None               # never searched
    counts.observe("q", served=True, wide=False, ran=np.array([True, True, True]))
    assert counts.untried("q", 1) is None                   # every arm ran lately without the click


def test_an_arm_run_long_ago_counts_as_untried_again():
    counts = QueryCounts(10, len(ARMS))
    counts.observe("q", served=False, wide=False, ran=np.array([True, True, True]))
    for _ in range(40):                                     # more than a query's half-life of searches
        counts.observe("q", served=False, wide=False, ran=np.array([True, False, True]))
    assert counts.untried("q", 2).tolist() == [False, True, False]


def test_an_arm_tried_once_by_a_click_elsewhere_is_tried_again_after_enough_misses_without_it():
    """A click on another arm's find (a stray tap, say) tries c as fully as a real answer would;
    the query then failing TRY_AGAIN_AFTER times without c earns c another try, not sooner."""
    counts = QueryCounts(10, len(ARMS))
    counts.observe("q", served=True, wide=True, ran=np.array([0.0, 1.0, 1.0]))   # a held the click
    misses = 0
    while misses < TRY_AGAIN_AFTER - 1:
        counts.observe("q", served=False, wide=False, ran=np.array([1.0, 1.0, 0.0]))
        misses += 1
        # Asked after a single miss, so only c's misses since it ran can hold it back.
        assert counts.untried("q", 1) is None               # c's one try still stands
    counts.observe("q", served=False, wide=False, ran=np.array([1.0, 1.0, 0.0]))
    assert counts.untried("q", 2).tolist() == [False, False, True]
    counts.observe("q", served=False, wide=False, ran=np.array([1.0, 1.0, 1.0]))  # c tried, seen, skipped
    assert counts.untried("q", 2) is None


def test_a_try_barely_seen_clears_the_misses_only_as_far_as_it_was_seen():
    counts = QueryCounts(10, len(ARMS))
    counts.observe("q", served=True, wide=True, ran=np.array([0.0, 1.0, 1.0]))   # c tried in full
    for _ in range(int(np.ceil(TRY_AGAIN_AFTER))):
        counts.observe("q", served=False, wide=False, ran=np.array([1.0, 1.0, 0.0]))
    assert counts.untried("q", 2).tolist() == [False, False, True]
    counts.observe("q", served=False, wide=False, ran=np.array([1.0, 1.0, 0.1]))  # c's find shown 10th
    assert counts.untried("q", 2).tolist() == [False, False, True]
    counts.observe("q", served=False, wide=False, ran=np.array([1.0, 1.0, 1.0]))  # shown first, skipped
    assert counts.untried("q", 2) is None


def teach_arm_a(learner: CoverageLearner, n: int = 200) -> None:
    """Many queries of one kind, each served by arm a at rank 1: the kind's cell runs a alone."""
    for t in range(n):
        query = f"title {t % 50}"
        d = learner.select(X, MASK, query)
        rec = learner.decision_record(d, MASK)
        hit = d["budgets"][0] >= 1
        learner.observe(X, rec["greedy"], rec["available"], {"a": 1, "b": None, "c": None} if hit else None,
                        {a: 50 for a in ARMS}, rec["wide"], rec["deepen"], rec["deepen_top"], rec["explored"],
                        query, ran=dict(zip(ARMS, map(int, d["budgets"]))))


def fail(learner: CoverageLearner, query: str) -> dict:
    """One search of ``query`` that nothing the learner runs serves (only arm c would, unless it runs)."""
    d = learner.select(X, MASK, query)
    rec = learner.decision_record(d, MASK)
    found = d["budgets"][2] >= 1
    learner.observe(X, rec["greedy"], rec["available"], {"a": None, "b": None, "c": 1} if found else None,
                    {a: 50 for a in ARMS}, rec["wide"], rec["deepen"], rec["deepen_top"], rec["explored"],
                    query, ran=dict(zip(ARMS, map(int, d["budgets"]))))
    return d


@pytest.mark.parametrize("seed", range(3))
def test_a_query_that_keeps_failing_runs_the_arms_it_never_ran_with_exact_propensities(seed):
    learner = CoverageLearner(ARMS, seed=seed, queries=100, query_prior=1.0, tries=2, epsilon=0.0, wide=0.0,
                              wide_min=0.0)
    teach_arm_a(learner)
    assert learner.select(X, MASK, "what just came out")["greedy"].tolist() == [1, 0, 0]
    fail(learner, "what just came out")
    fail(learner, "what just came out")
    d = fail(learner, "what just came out")
    # Two misses: b and c, never run for this query, join the greedy configuration at the first step.
    assert d["greedy"].tolist() == [1, 1, 1]
    assert d["p_run"].tolist() == [1.0, 1.0, 1.0]
    # The log names them, so that their finds are shown like exploration's (ltrr.rank.stage).
    assert learner.decision_record(d, MASK)["tried"] == ["b", "c"]
    # c found it (rank 1) and was clicked: the query's own cell keeps c from now on, b leaves.
    later = learner.select(X, MASK, "what just came out")
    assert later["greedy"][2] >= 1
    assert later["greedy"][1] == 0


def test_an_arm_that_served_the_query_is_tried_again_once_the_query_fails_without_it(monkeypatch):
    """Wide explorations served "just dropped" through c; a stray click then moved the query to a
    cell that runs a alone. c ran lately, but it held every click it ran for: it was never tried
    and failed, so once the query keeps failing, c joins again (the old rule counted any run)."""
    # This rule alone: b, not run for two misses, would otherwise be tried again too.
    monkeypatch.setattr(explore, "TRY_AGAIN_AFTER", 1e9)
    learner = CoverageLearner(ARMS, seed=0, queries=100, query_prior=1.0, tries=2, epsilon=0.0, wide=0.0,
                              wide_min=0.0)
    teach_arm_a(learner)
    everything = {a: 50 for a in ARMS}
    for _ in range(3):
        d = learner.select(X, MASK, "just dropped")
        rec = learner.decision_record(d, MASK)
        learner.observe(X, rec["greedy"], rec["available"], {"a": None, "b": None, "c": 1}, everything,
                        rec["wide"], rec["deepen"], rec["deepen_top"], "wide", "just dropped",
                        ran={"a": 1, "b": 1, "c": 1})
    for _ in range(2):
        d = learner.select(X, MASK, "just dropped")
        rec = learner.decision_record(d, MASK)
        learner.observe(X, rec["greedy"], rec["available"], None, everything, rec["wide"], rec["deepen"],
                        rec["deepen_top"], "", "just dropped", ran={"a": 1})
    # a and b ran without holding a click; c held every click it ran for.
    assert learner._queries.untried("just dropped", 2).tolist() == [False, False, True]


def test_an_unclicked_search_tries_an_arm_only_as_far_as_its_finds_were_seen():
    """Two wide explorations showed c's finds seventh and ninth and nobody clicked: barely seen,
    so c is still untried once the query keeps failing; a shown first and skipped was tried."""
    learner = CoverageLearner(ARMS, seed=0, queries=100, query_prior=1.0, tries=2, epsilon=0.0, wide=0.0,
                              wide_min=0.0)
    teach_arm_a(learner)
    everything = {a: 50 for a in ARMS}
    for c_seen in (1 / 7, 1 / 9):
        d = learner.select(X, MASK, "just dropped")
        rec = learner.decision_record(d, MASK)
        learner.observe(X, rec["greedy"], rec["available"], None, everything, rec["wide"], rec["deepen"],
                        rec["deepen_top"], "wide", "just dropped", ran={"a": 3, "b": 3, "c": 3},
                        seen={"a": 1.0, "b": 0.5, "c": c_seen})
    assert learner._queries.untried("just dropped", 2).tolist() == [False, False, True]
    # Without what was seen, every arm that ran counts as a whole try: nothing is left to try.
    blind = CoverageLearner(ARMS, seed=0, queries=100, query_prior=1.0, tries=2, epsilon=0.0, wide=0.0,
                            wide_min=0.0)
    teach_arm_a(blind)
    for _ in range(2):
        d = blind.select(X, MASK, "just dropped")
        rec = blind.decision_record(d, MASK)
        blind.observe(X, rec["greedy"], rec["available"], None, everything, rec["wide"], rec["deepen"],
                      rec["deepen_top"], "wide", "just dropped", ran={"a": 3, "b": 3, "c": 3})
    assert blind._queries.untried("just dropped", 2) is None


def test_without_tries_the_failing_query_keeps_its_kinds_configuration():
    learner = CoverageLearner(ARMS, seed=0, queries=100, query_prior=1.0, tries=0, epsilon=0.0, wide=0.0,
                              wide_min=0.0)
    teach_arm_a(learner)
    for _ in range(5):
        d = fail(learner, "what just came out")
    assert d["greedy"].tolist() == [1, 0, 0]


def test_query_counts_survive_a_state_round_trip_and_an_older_state_loads():
    learner = CoverageLearner(ARMS, seed=0, queries=100, tries=2)
    teach_arm_a(learner, 30)
    fail(learner, "q")
    fail(learner, "q")
    state = learner.state_dict()
    again = CoverageLearner(ARMS, seed=0, queries=100, tries=2)
    again.load_state_dict(state)
    assert again.select(X, MASK, "q")["greedy"].tolist() == learner.select(X, MASK, "q")["greedy"].tolist()
    # A state saved before queries remembered their arms (three counts per query) loads; what its
    # queries ran is unknown, so nothing is tried on its strength until the query is searched again.
    old = dict(state, query_counts=[row[:4] for row in state["query_counts"]])
    again.load_state_dict(old)
    assert again._queries.untried("q", 2) is None
    fail(again, "q")
    assert again._queries.untried("q", 2) is not None


def test_tries_is_a_policy_option_and_must_not_be_negative():
    assert dict(PolicySpec.parse("coverage:tries=3").params)["tries"] == 3.0
    with pytest.raises(ValueError):
        PolicySpec.parse("coverage:tries=-1")
    with pytest.raises(ValueError):
        CoverageLearner(ARMS, tries=-1)


def test_misses_since_an_arm_ran_survive_a_checkpoint_and_an_older_state_still_loads():
    learner = CoverageLearner(ARMS, seed=3, queries=10, tries=2)
    learner.observe(X, {"a": 1, "b": 1, "c": 1}, ARMS, {"a": 1, "b": None, "c": None}, {a: 50 for a in ARMS},
                    query="q", ran={"a": 1, "b": 1, "c": 1})
    for _ in range(int(np.ceil(TRY_AGAIN_AFTER))):
        learner.observe(X, {"a": 1}, ARMS, None, {a: 50 for a in ARMS}, query="q", ran={"a": 1},
                        seen={"a": 1.0})
    state = learner.state_dict()
    again = CoverageLearner(ARMS, seed=3, queries=10, tries=2)
    again.load_state_dict(state)
    assert again._queries.untried("q", 2).tolist() == learner._queries.untried("q", 2).tolist() \
        == [False, True, True]
    # Saved before the misses were counted: three counts and one try per arm; b and c ran lately.
    old = [row[:1 + 3 + len(ARMS)] for row in state["query_counts"]]
    older = CoverageLearner(ARMS, seed=3, queries=10, tries=2)
    older.load_state_dict(dict(state, query_counts=old))
    assert older._queries.untried("q", 2) is None
    older.observe(X, {"a": 1}, ARMS, None, {a: 50 for a in ARMS}, query="q", ran={"a": 1}, seen={"a": 1.0})
    assert len(older.state_dict()["query_counts"][0]) == 1 + 3 + 2 * len(ARMS)
