"""The one reward rule: ranks, coverage, Shapley credit, cost."""
from __future__ import annotations

import pytest

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
