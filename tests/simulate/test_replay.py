"""The coverage learner replayed over a rank table: told what was wanted, judged now and then, or only what it retrieved."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.bandit.context import CONTEXT_FEATURES
from ltrr.simulate.replay import replay
from ltrr.simulate.tuning import NOT_FOUND, RankTable

ARMS = ("a", "b")


def deep_table(n: int, rank: int) -> RankTable:
    """Every search wants an item that arm b ranks at ``rank`` and arm a never returns."""
    x = np.zeros((n, len(CONTEXT_FEATURES)))
    x[:, CONTEXT_FEATURES.index("bias")] = 1
    ranks = np.tile([NOT_FOUND, rank], (n, 1))
    return RankTable(ARMS, np.array(["t"] * n, dtype=object), ranks, np.full((n, 2), 50), x,
                     queries=np.array(["q"] * n, dtype=object))


def test_told_learns_at_once_what_clicks_without_exploration_never_see():
    # The first configuration (every arm at 10) misses rank 20; without exploration nothing is
    # retrieved, so a learner that hears only what it retrieved learns nothing.
    table = deep_table(60, 20)
    silent = "coverage:epsilon=0,wide=0"
    told, told_cost = replay(table, 1.0, silent)
    clicks, _ = replay(table, 0.0, silent)
    assert not clicks.any()
    # Told, it buys arm b at 20 (and leaves arm a off) as soon as the root's prior lets the
    # evidence outweigh 20 candidates' cost: a handful of searches.
    assert not told[0] and told[10:].all()
    assert told_cost[10:] == pytest.approx(20.0)


def test_clicks_learn_through_exploration_and_its_propensities():
    # Deepening now and then reaches rank 20; each find, weighted by its small propensity,
    # shows arm b's depth is worth buying.
    table = deep_table(400, 20)
    covered, _ = replay(table, 0.0, "coverage", seed=3)
    assert covered[:10].mean() == 0
    assert covered[-100:].mean() > 0.9


def test_a_judged_share_teaches_what_clicks_never_retrieved():
    # No exploration: only the judged searches (a fifth) show arm b's rank 20.
    table = deep_table(300, 20)
    covered, _ = replay(table, 0.2, "coverage:epsilon=0,wide=0", seed=1)
    assert not covered[0] and covered[-100:].all()


def test_a_judged_share_outside_zero_to_one_is_refused():
    with pytest.raises(ValueError, match="judged_share"):
        replay(deep_table(2, 1), 1.5)


def test_click_share_one_is_every_click_and_a_seed_draws_the_same_users():
    table = deep_table(300, 2)
    learner = "coverage:epsilon=0,wide=0"
    every, _ = replay(table, 0.0, learner, seed=1)
    assert replay(table, 0.0, learner, seed=1, click_share=1.0)[0].tolist() == every.tolist()
    # The same seed draws the same clicks.
    few, _ = replay(table, 0.0, learner, seed=1, click_share=0.3)
    again, _ = replay(table, 0.0, learner, seed=1, click_share=0.3)
    assert few.tolist() == again.tolist()
    with pytest.raises(ValueError):
        replay(table, 0.0, learner, click_share=0.0)


def test_a_table_without_the_probe_column_gets_it_from_the_memory_arms_list_lengths():
    from ltrr.bandit.context import REMEMBERED_CAP
    from ltrr.simulate.replay import probed_contexts

    n = 4
    x = np.delete(np.ones((n, len(CONTEXT_FEATURES))), CONTEXT_FEATURES.index("q_remembered"), axis=1)
    counts = np.array([[50, 0], [50, 3], [50, 60], [50, 49]])
    old = RankTable(("lexical", "memory"), np.array(["t"] * n, dtype=object), np.ones((n, 2), int), counts, x)
    probed = probed_contexts(old)
    column = probed[:, CONTEXT_FEATURES.index("q_remembered")] * REMEMBERED_CAP
    assert column.round().tolist() == [0, 3, 50, 49]
    assert np.delete(probed, CONTEXT_FEATURES.index("q_remembered"), axis=1).tolist() == x.tolist()
    # A table with the column keeps it as collected.
    assert probed_contexts(RankTable(old.arms, old.query_types, old.ranks, counts, probed)) is probed
