"""Failure attribution (ltrr.attribution): each outcome on a hand-made search, messages and the table."""
from __future__ import annotations

import pytest

from ltrr.attribution import OUTCOMES, attribute, attribute_search, attribution_table

BUDGETS = {"lexical": 10, "fuzzy": 10}
SHOWN = ["a", "b", "c"]


def test_success_ranking_budget_and_retrieval_outcomes():
    ranks = {"a": {"lexical": 1}, "p": {"lexical": 7, "fuzzy": 4}, "f": {"lexical": None, "fuzzy": 14},
             "s": {"semantic": 3}, "m": {"lexical": None}}
    win = attribute(["a"], SHOWN, BUDGETS, ranks)
    assert (win.outcome, win.shown_rank) == ("success", 1)
    lost = attribute(["p"], SHOWN, BUDGETS, ranks)
    assert (lost.outcome, lost.arm, lost.arm_rank) == ("ranking_loss", "fuzzy", 4)
    budget = attribute(["f"], SHOWN, BUDGETS, ranks)
    assert budget.outcome == "budget_loss"
    assert budget.message == "found by fuzzy at rank 14: a budget of 10 would have missed it"
    unrun = attribute(["s"], SHOWN, BUDGETS, ranks)
    assert unrun.outcome == "budget_loss" and unrun.message == "found by semantic at rank 3, but semantic was not run"
    miss = attribute(["m"], SHOWN, BUDGETS, ranks)
    assert miss.outcome == "retrieval_miss" and "top 50" in miss.message
    assert attribute([], SHOWN, BUDGETS, ranks).outcome == "no_target"


def test_the_best_outcome_of_several_wanted_entities_counts():
    ranks = {"m": {}, "f": {"fuzzy": 30}, "p": {"lexical": 2}}
    assert attribute(["m", "f", "p"], SHOWN, BUDGETS, ranks).outcome == "ranking_loss"
    assert attribute(["m", "f", "b"], SHOWN, BUDGETS, ranks).outcome == "success"


def test_logged_lists_judge_the_selected_arms_within_their_budget():
    search = {"results": ["a"], "selection": [{"arm": "memory", "selected": True, "budget": 2},
                                              {"arm": "fuzzy", "selected": False, "budget": 0}],
              "by_arm": {"memory": [["a", 1.0], ["x", 0.5]]}}
    # Rerun today the memory arm has moved x down to rank 5: the logged list still says it was pooled.
    lists = {"memory": ["a", "q", "r", "s", "x"], "fuzzy": ["z"]}
    assert attribute_search(search, ["x"], lists).outcome == "ranking_loss"
    assert attribute_search(search, ["z"], lists).outcome == "budget_loss"


def test_ranks_logged_with_the_search_feedback_win_over_todays_lists():
    search = {"results": ["a"], "selection": [{"arm": "memory", "selected": False, "budget": 0},
                                              {"arm": "fuzzy", "selected": True, "budget": 2}],
              "by_arm": {"fuzzy": [["a", 1.0], ["b", 0.5]]}}
    # Today memory has x at rank 1; when the search was found later, memory had it at rank 5.
    lists = {"memory": ["x"], "fuzzy": ["a", "b", "x"]}
    found = [{"kind": "feedback", "search_id": "s", "action": "found_later", "entity_id": "x",
              "arm_ranks": {"memory": 5, "fuzzy": None}}]
    now = attribute_search(search, ["x"], lists)
    assert (now.arm, now.arm_rank) == ("memory", 1)            # what today's lists alone say
    then = attribute_search(search, ["x"], lists, found)
    assert (then.outcome, then.arm, then.arm_rank) == ("budget_loss", "memory", 5)
    assert then.message == "found by memory at rank 5, but memory was not run"
    # The logged list decides within its length: a later rank inside it cannot put x in the pool.
    moved = [{**found[0], "arm_ranks": {"memory": None, "fuzzy": 1}}]
    assert attribute_search(search, ["x"], lists, moved).outcome == "budget_loss"
    # A judgment ranks the one wanted entity; with several wanted, its ranks name none of them.
    judged = [{"kind": "feedback", "search_id": "s", "action": "judged", "entity_id": None,
               "arm_ranks": {"memory": 7, "fuzzy": None}}]
    assert attribute_search(search, ["x"], lists, judged).arm_rank == 7
    assert attribute_search(search, ["x", "y"], lists, judged).arm_rank == 1


def test_table_accounts_for_every_failure_per_query_type():
    rows = [("song", {"outcome": "success"}), ("song", {"outcome": "ranking_loss"}),
            ("song", {"outcome": "budget_loss"}), ("mood", {"outcome": "retrieval_miss"}),
            ("mood", {"outcome": "retrieval_miss"})]
    table = attribution_table(rows).set_index("query_type")
    assert table.loc["song", "failures"] == 2 and table.loc["song", "ranking_loss_share"] == 0.5
    assert table.loc["mood", "retrieval_miss_share"] == 1.0
    assert (table["accounted"] == 1.0).all()
    assert sum(table.loc["song", o] for o in OUTCOMES) == table.loc["song", "searches"]
    odd = attribution_table([("song", {"outcome": "mystery"})])
    assert odd.loc[0, "accounted"] == pytest.approx(0.0)
