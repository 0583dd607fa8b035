"""The one reward rule: ranks, coverage, Shapley credit, cost."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ltrr import reward


def test_rank_in_is_one_based_and_cut_at_max_rank():
    ids = [f"e{i}" for i in range(80)]
    assert reward.rank_in(ids, "e0") == 1
    assert reward.rank_in(ids, "e49") == 50
    assert reward.rank_in(ids, "e50") is None          # beyond MAX_RANK: censored
    assert reward.rank_in(ids, None) is None


def test_credit_is_shared_equally_by_the_arms_that_found_the_click():
    ranks = {"lexical": 2, "fuzzy": 7, "semantic": None, "memory": 1}
    budgets = {"lexical": 3, "fuzzy": 5, "semantic": 20, "memory": 1}
    credit = reward.marginal_credit(ranks, budgets)
    # fuzzy had it at 7, beyond its budget 5: no credit; two finders share one unit.
    assert credit == {"lexical": 0.5, "fuzzy": 0.0, "semantic": 0.0, "memory": 0.5}
    assert sum(credit.values()) == pytest.approx(1.0)
    assert reward.marginal_credit({"lexical": None}, {"lexical": 10}) == {"lexical": 0.0}


def test_value_is_found_minus_cost():
    ranks = {"lexical": 2, "fuzzy": 7}
    assert reward.value(ranks, {"lexical": 3, "fuzzy": 10}, 0.005) == pytest.approx(1 - 0.065)
    assert reward.value(ranks, {"lexical": 3}, 0.005) == pytest.approx(1 - 0.015)
    assert reward.value(ranks, {"fuzzy": 5}, 0.005) == pytest.approx(-0.025)
    # An arm that returns fewer than its budget costs only what it returns.
    assert reward.cost({"lexical": 3, "memory": 50}, counts={"memory": 2}) == 5
    assert reward.value(ranks, {"lexical": 3, "memory": 50}, 0.005, counts={"memory": 2}) == pytest.approx(0.975)


def test_search_credit_reads_a_logged_search():
    search = {"selection": [{"arm": "lexical", "selected": True, "budget": 2},
                            {"arm": "fuzzy", "selected": True, "budget": 10},
                            {"arm": "semantic", "selected": False, "budget": 0}],
              "by_arm": {"lexical": [["a", 3.0], ["b", 2.0]], "fuzzy": [["c", 1.0], ["b", 0.5]]}}
    assert reward.search_credit(search, "b") == {"lexical": 0.5, "fuzzy": 0.5}
    assert reward.search_credit(search, "c") == {"lexical": 0.0, "fuzzy": 1.0}
    assert reward.search_credit(search, None) == {"lexical": 0.0, "fuzzy": 0.0}


def test_seen_shares_weigh_each_arm_by_its_best_shown_find_within_its_budget():
    search = {"selection": [{"arm": "lexical", "selected": True, "budget": 2},
                            {"arm": "fresh", "selected": True, "budget": 3},
                            {"arm": "fuzzy", "selected": True, "budget": 1},
                            {"arm": "popular", "selected": False, "budget": 5}],
              "by_arm": {"lexical": [["t2", 1.0], ["t1", 0.5], ["t9", 0.1]],
                         "fresh": [["n1", 1.0], ["n2", 0.9], ["n3", 0.8]],
                         "fuzzy": [["x", 1.0], ["t1", 0.9]],
                         "popular": [["t1", 1.0]]},
              "results": ["t1", "t2", "a", "b", "c", "d", "n2", "n1", "t9"]}
    looked = lambda position: 1.0 / position
    # lexical's best-placed find is t1 (first, found by it within its budget); fresh's is n2,
    # seventh; fuzzy's only find within its budget was not shown (t1 is its second);
    # popular did not run.
    assert reward.seen_shares(search, looked) == {"lexical": 1.0, "fresh": 1 / 7, "fuzzy": 0.0}
    assert reward.seen_shares({"selection": [], "by_arm": {}, "results": []}, looked) == {}


def test_novel_shares_count_each_arms_finds_within_its_budget_that_no_other_arm_returned():
    search = {"selection": [{"arm": "lexical", "selected": True, "budget": 2},
                            {"arm": "fuzzy", "selected": True, "budget": 3},
                            {"arm": "fresh", "selected": True, "budget": 5},
                            {"arm": "popular", "selected": False, "budget": 5}],
              "by_arm": {"lexical": [["t1", 1.0], ["t2", 0.5], ["t9", 0.1]],
                         "fuzzy": [["t1", 1.0], ["x", 0.9], ["t9", 0.8], ["y", 0.1]],
                         "fresh": [],
                         "popular": [["x", 1.0]]}}
    # lexical's t1 is fuzzy's too, t2 is its own (t9 lies beyond its budget, so fuzzy's t9 is new);
    # fresh returned nothing; popular did not run, so fuzzy's x is still its own.
    assert reward.novel_shares(search) == {"lexical": 0.5, "fuzzy": 2 / 3}
    # One arm alone adds all it finds: nothing to learn about overlap.
    alone = {"selection": search["selection"][:1], "by_arm": search["by_arm"]}
    assert reward.novel_shares(alone) == {}


def test_crowding_shares_count_each_arms_own_finds_shown_above_the_click():
    search = {"selection": [{"arm": "lexical", "selected": True, "budget": 2},
                            {"arm": "popular", "selected": True, "budget": 3},
                            {"arm": "fresh", "selected": True, "budget": 2},
                            {"arm": "semantic", "selected": False, "budget": 5}],
              "by_arm": {"lexical": [["t1", 1.0], ["want", 0.5]],
                         "popular": [["p1", 1.0], ["t1", 0.9], ["p2", 0.8], ["p3", 0.1]],
                         "fresh": [["f1", 1.0], ["f2", 0.9]],
                         "semantic": [["s1", 1.0]]},
              "results": ["p1", "t1", "f1", "want", "p2", "f2"]}
    # Above the click: p1 (popular's own), t1 (lexical's and popular's: nobody's own), f1 (fresh's own).
    # lexical's own find is only the click; popular's own are p1 and p2 (p3 lies beyond its budget),
    # one of them above; fresh's own are f1 and f2, one above. semantic did not run.
    assert reward.crowding_shares(search, "want") == {"lexical": 0.0, "popular": 0.5, "fresh": 0.5}
    # A click on the first result: nothing stood in front of it.
    assert reward.crowding_shares(search, "p1") == {"lexical": 0.0, "popular": 0.0, "fresh": 0.0}
    # No click among the results, or one arm alone: nothing to read.
    assert reward.crowding_shares(search, "elsewhere") == {}
    assert reward.crowding_shares(search, None) == {}
    alone = {**search, "selection": search["selection"][:1]}
    assert reward.crowding_shares(alone, "want") == {}


def test_rank_in_reads_a_whole_list_when_asked_and_finds_the_first_of_a_set():
    ids = [f"e{i}" for i in range(80)]
    assert reward.rank_in(ids, "e60") is None
    assert reward.rank_in(ids, "e60", max_rank=None) == 61
    assert reward.rank_in(ids, {"e7", "e3", "missing"}) == 4
    assert list(reward.wanted_ranks(ids, {"e7", "e3"})) == [4, 8]
    assert reward.rank_code(ids, "missing") == reward.NOT_FOUND > reward.MAX_RANK
    assert reward.rank_code(ids, "e2") == 3


ARMS = ("lexical", "fuzzy", "semantic")
rank_st = st.one_of(st.none(), st.integers(1, reward.MAX_RANK))
search_st = st.tuples(st.tuples(*(rank_st for _ in ARMS)), st.tuples(*(st.integers(0, 60) for _ in ARMS)))


@settings(max_examples=200, deadline=None)
@given(searches=st.lists(search_st, min_size=1, max_size=20),
       budgets=st.tuples(*(st.sampled_from(reward.BUDGET_LADDER) for _ in ARMS)))
def test_vectorised_forms_agree_with_the_one_search_forms(searches, budgets):
    ranks = np.array([[reward.NOT_FOUND if r is None else r for r in rs] for rs, _ in searches])
    counts = np.array([cs for _, cs in searches])
    b = np.array(budgets)
    config = dict(zip(ARMS, budgets))
    expect_found = [reward.found(dict(zip(ARMS, rs)), config) for rs, _ in searches]
    expect_cost = [reward.cost(config, dict(zip(ARMS, cs))) for _, cs in searches]
    assert reward.found_rows(ranks, b).tolist() == expect_found
    assert reward.cost_rows(counts, b).tolist() == expect_cost
    # One configuration per search gives the same answer as the shared one.
    per_search = np.tile(b, (len(searches), 1))
    assert reward.found_rows(ranks, per_search).tolist() == expect_found
    assert reward.cost_rows(counts, per_search).tolist() == expect_cost
