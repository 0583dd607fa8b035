"""Fixed baselines chosen offline from a rank table, and the study's statistics."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ltrr.bandit.fixed import best_at_cost, best_fixed
from ltrr.simulate.frontier import frontier_at, t_interval, upper_frontier
from ltrr.simulate.tuning import (NOT_FOUND, RankTable, best_fixed_by_ms, held_out_frontier, per_query_oracle,
                                  per_type_oracle)

ARMS = ("a", "b", "c")


def table() -> RankTable:
    # Type "x" (60%): arm a finds at rank 1. Type "y" (40%): arm c finds at rank 8, b never.
    n_x, n_y = 60, 40
    ranks = np.array([[1, NOT_FOUND, NOT_FOUND]] * n_x + [[NOT_FOUND, NOT_FOUND, 8]] * n_y)
    counts = np.full((n_x + n_y, 3), 50)
    types = np.array(["x"] * n_x + ["y"] * n_y, dtype=object)
    return RankTable(ARMS, types, ranks, counts, np.zeros((n_x + n_y, 4)))


def test_best_fixed_respects_the_cap_and_buys_the_best_coverage():
    t = table()
    assert best_fixed(t, 1) == {"a": 1}                       # 60% for one candidate
    assert best_fixed(t, 11) == {"a": 1, "c": 10}             # 100% for 11
    cheap = t.vector(best_fixed(t, 5))
    assert t.cost(cheap).mean() <= 5 and t.covered(cheap).mean() == pytest.approx(0.6)


def test_best_at_cost_buys_a_step_while_its_gain_beats_the_price():
    t = table()
    # Arm a at 1 serves 60% for one candidate; arm c at 10 serves the other 40% for ten more.
    assert best_at_cost(t, 0.01) == {"a": 1, "c": 10}        # 0.4 > 10 x 0.01
    assert best_at_cost(t, 0.05) == {"a": 1}                 # 0.4 < 10 x 0.05
    assert best_at_cost(t, 1.0) == {}                        # even 0.6 for one is too dear
    assert best_at_cost(t, 0.01, rows=np.arange(60, 100)) == {"c": 10}    # type y alone


def test_per_query_oracle_prices_each_search_by_its_cheapest_covering_arm():
    t = table()
    # x: a at rank 1 costs 1; y: c at rank 8 needs budget 10, or fewer where c returns fewer.
    o = per_query_oracle(t)
    assert o == pytest.approx({"coverage": 1.0, "cost": 0.6 * 1 + 0.4 * 10, "cost_covered": 0.6 * 1 + 0.4 * 10})
    t.counts[60:, 2] = 8                                    # c returns only 8: they are all it costs
    assert per_query_oracle(t)["cost"] == pytest.approx(0.6 + 0.4 * 8)
    # A search no arm covers costs nothing and lowers the coverage; the cheaper of two arms is taken.
    t.ranks[:10] = NOT_FOUND
    t.ranks[10:20, 1] = 3
    t.ranks[10:20, 0] = NOT_FOUND
    o = per_query_oracle(t)
    assert o["coverage"] == pytest.approx(0.9)
    assert o["cost"] == pytest.approx((10 * 3 + 40 * 1 + 40 * 8) / 100)
    assert o["cost_covered"] == pytest.approx((10 * 3 + 40 * 1 + 40 * 8) / 90)
    # Never more than any fixed configuration covering the same searches.
    full = t.vector(best_fixed(t, 40))
    assert per_query_oracle(t)["cost"] <= t.cost(full).mean()


def timed_table() -> RankTable:
    # Arm a finds type x at rank 1 but is slow (4 ms); arm b finds the same at rank 3 in 1 ms;
    # arm c finds type y at rank 8 in 2 ms.
    n_x, n_y = 60, 40
    ranks = np.array([[1, 3, NOT_FOUND]] * n_x + [[NOT_FOUND, NOT_FOUND, 8]] * n_y)
    ms = np.tile([4.0, 1.0, 2.0], (n_x + n_y, 1))
    return RankTable(ARMS, np.array(["x"] * n_x + ["y"] * n_y, dtype=object), ranks,
                     np.full((n_x + n_y, 3), 50), np.zeros((n_x + n_y, 4)), ms)


def test_best_fixed_keeps_to_the_arms_it_is_given():
    t = timed_table()
    assert best_fixed(t, 1) == {"a": 1}
    assert best_fixed(t, 1, arms=["b", "c"]) == {}           # b needs 3 candidates
    assert best_fixed(t, 3, arms=["b", "c"]) == {"b": 3}


def test_best_fixed_by_ms_buys_the_most_coverage_the_time_allows():
    t = timed_table()
    # An arm costs its time whatever its budget: the slow arm that finds at rank 1 loses to
    # the fast one that needs 3 candidates, and the time left buys arm c.
    one, three, ample, none = best_fixed_by_ms(t, [1.0, 3.0, 10.0, 0.5], candidates=13)
    assert one == {"b": 3}
    assert three == {"b": 3, "c": 10}
    assert t.ms_cost(t.vector(three)).mean() == pytest.approx(3.0)
    # Ties in coverage go to the configuration that takes less time.
    assert ample == {"b": 3, "c": 10}
    assert none == {}
    # The candidate cap binds too: with 5, arm c (10 candidates) cannot be bought, and of
    # the two that cover type x the faster wins.
    assert best_fixed_by_ms(t, [10.0], candidates=5) == [{"b": 3}]


def test_a_rank_table_without_run_times_cannot_price_them():
    with pytest.raises(ValueError, match="run times"):
        table().ms_cost(np.array([1, 0, 0]))


def test_per_type_oracle_runs_the_cheapest_arm_per_type():
    oracle = per_type_oracle(table()).set_index("query_type")
    assert oracle.loc["x", "config"] == "static:a=1" and oracle.loc["x", "cost"] == 1
    assert oracle.loc["y", "config"] == "static:c=10" and oracle.loc["y", "cost"] == 10
    assert (oracle["coverage"] == 1).all()


def test_frontier_and_interpolation():
    pts = pd.DataFrame({"candidates": [1, 5, 10, 4, 20], "success": [0.5, 0.8, 0.85, 0.6, 0.84]})
    front = upper_frontier(pts)
    assert front["candidates"].tolist() == [1, 4, 5, 10]       # 20 is dominated by 10
    assert frontier_at(front, 7.5) == pytest.approx(0.825)
    assert frontier_at(front, 50) == pytest.approx(0.85)       # flat past the end


def test_t_interval_is_centred_and_widens_with_spread():
    mean, lo, hi = t_interval([1.0, 2.0, 3.0])
    assert mean == 2.0 and lo < 2.0 < hi
    _, lo2, hi2 = t_interval([0.0, 2.0, 4.0])
    assert hi2 - lo2 > hi - lo


def test_the_held_out_frontier_is_chosen_on_one_part_and_scored_on_the_other():
    t = table()
    # Chosen on type x alone (arm a at 1 serves it all), scored on type y, which it never serves.
    xs, ys = held_out_frontier(t, (1, 11), np.arange(60), np.arange(60, 100))
    assert xs.tolist() == [1.0, 1.0] and ys.tolist() == [0.0, 0.0]
    # Chosen and scored on everything: 60% for one candidate, 100% for eleven.
    xs, ys = held_out_frontier(t, (11, 1), np.arange(100), np.arange(100))
    assert xs.tolist() == [1.0, 11.0] and ys.tolist() == pytest.approx([0.6, 1.0])
