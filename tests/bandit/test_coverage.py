"""The coverage learner on small worlds whose right answer is known."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.bandit.context import CONTEXT_FEATURES
from ltrr.bandit.coverage import CoverageLearner, LADDER
from ltrr.bandit.coverage.estimate import gains

ARMS = ("a", "b", "c")
IDX = {n: i for i, n in enumerate(CONTEXT_FEATURES)}


def _gains(learner: CoverageLearner, levels, budgets):
    """The learner's coverage gains and coverage at ``levels`` under its prior."""
    return gains(levels, budgets, learner.prior, len(learner.arms))


def ctx(kind: str) -> np.ndarray:
    x = np.zeros(len(CONTEXT_FEATURES))
    x[IDX["bias"]] = 1
    x[IDX["q_one_word" if kind == "one" else "q_two_words"]] = 1
    return x


# Where each arm finds the wanted item, per query kind (None: never).
WORLD = {"one": {"a": 1, "b": 30, "c": None}, "two": {"a": None, "b": None, "c": 3}}


def run(learner: CoverageLearner, steps: int, seed: int = 0) -> list[tuple[str, dict, bool]]:
    rng = np.random.default_rng(seed)
    mask = np.ones(len(ARMS), dtype=bool)
    out = []
    for _ in range(steps):
        kind = "one" if rng.random() < 0.5 else "two"
        x = ctx(kind)
        d = learner.select(x, mask)
        budgets = dict(zip(ARMS, map(int, d["budgets"])))
        ranks = WORLD[kind]
        hit = any(r is not None and r <= budgets[a] for a, r in ranks.items())
        greedy = dict(zip(ARMS, map(int, d["greedy"])))
        # As the engine does: the logged exploration rule goes back with the feedback.
        learner.observe(x, greedy, ARMS, ranks if hit else None, counts={a: 50 for a in ARMS},
                        p_wide=d["p_wide"], deepen=dict(zip(ARMS, d["deepen"])),
                        deepen_top=dict(zip(ARMS, d["deepen_top"].tolist())), explored=d["explored"])
        out.append((kind, budgets, hit))
    return out


def test_contextual_learner_finds_the_cheapest_covering_arm_per_kind():
    # Weak shrinkage: in this world the two kinds need opposite arms, so their common parent
    # would lend each the other's arm (see the next test).
    learner = CoverageLearner(ARMS, seed=1, cost_per_candidate=0.004, epsilon=0.1, prior=8)
    run(learner, 600)
    mask = np.ones(3, dtype=bool)
    one, _, cov_one = learner.greedy(ctx("one"), mask)
    two, _, cov_two = learner.greedy(ctx("two"), mask)
    assert dict(zip(ARMS, one)) == {"a": 1, "b": 0, "c": 0}
    assert dict(zip(ARMS, two)) == {"a": 0, "b": 0, "c": 3}
    assert cov_one > 0.8 and cov_two > 0.8


def test_shrinkage_lends_a_cell_its_parents_arms_in_proportion_to_the_prior():
    mask = np.ones(3, dtype=bool)
    budgets = {}
    for prior in (8, 50, 400):
        learner = CoverageLearner(ARMS, seed=1, cost_per_candidate=0.004, epsilon=0.1, prior=prior)
        run(learner, 600)
        budgets[prior] = dict(zip(ARMS, learner.greedy(ctx("one"), mask)[0].tolist()))
    # Kind "one" needs only a; its parent (every query) also needs c. The stronger the prior,
    # the more of the parent's gain for c the cell borrows: from nothing, to c at 3.
    assert budgets[8] == {"a": 1, "b": 0, "c": 0}
    assert budgets[50]["a"] == 1 and budgets[400]["a"] == 1
    assert budgets[50]["c"] == 3 and budgets[400]["c"] == 3


def test_context_free_learner_must_pay_for_both_kinds():
    learner = CoverageLearner(ARMS, seed=1, cost_per_candidate=0.004, epsilon=0.1, contextual=False)
    run(learner, 600)
    budgets, _, _ = learner.greedy(ctx("one"), np.ones(3, dtype=bool))
    assert budgets[0] >= 1 and budgets[2] >= 3


def test_a_high_cost_runs_the_least_that_answers_a_zero_cost_runs_deep():
    cheap = CoverageLearner(ARMS, seed=2, cost_per_candidate=0.0, epsilon=0.2)
    dear = CoverageLearner(ARMS, seed=2, cost_per_candidate=2.0, epsilon=0.2)
    run(cheap, 300)
    run(dear, 300)
    mask = np.ones(3, dtype=bool)
    # No candidate is worth 2.0, but an empty list answers nothing: per kind, the step that covers
    # most per candidate runs (a at 1 serves "one"; c at 3 serves "two").
    assert dear.greedy(ctx("one"), mask)[0].tolist() == [1, 0, 0]
    assert dear.greedy(ctx("two"), mask)[0].tolist() == [0, 0, 3]
    assert cheap.greedy(ctx("one"), mask)[2] > 0.9 and cheap.greedy(ctx("two"), mask)[2] > 0.9


def test_a_deep_find_is_bought_only_when_it_is_worth_its_candidates(monkeypatch):
    # Only b finds kind "one", at rank 30: that needs budget 50 (50 candidates).
    monkeypatch.setitem(WORLD, "one", {"a": None, "b": 30, "c": None})
    mask = np.ones(3, dtype=bool)
    worth = CoverageLearner(ARMS, seed=6, cost_per_candidate=0.004, epsilon=0.2)   # 50 cost 0.2 < 0.5
    dear = CoverageLearner(ARMS, seed=6, cost_per_candidate=0.03, epsilon=0.2)     # 50 cost 1.5 > 1
    run(worth, 800)
    run(dear, 800)
    assert worth.greedy(ctx("one"), mask)[0][1] == 50
    assert dear.greedy(ctx("one"), mask)[0][1] == 0


def learner_cost(learner: CoverageLearner, mask: np.ndarray) -> int:
    return int(learner.greedy(ctx("one"), mask)[0].sum() + learner.greedy(ctx("two"), mask)[0].sum())


def test_before_any_click_the_plan_is_never_empty():
    learner = CoverageLearner(ARMS, seed=0, epsilon=0.0, wide=0.0, wide_min=0.0)
    x = ctx("one")
    mask = np.array([False, True, True])
    for _ in range(3):                        # searches nobody clicked: every arm reads 0
        d = learner.select(x, mask)
        learner.observe(x, dict(zip(ARMS, map(int, d["greedy"]))), [a for a, m in zip(ARMS, mask) if m], None,
                        {a: 50 for a in ARMS}, d["p_wide"], dict(zip(ARMS, d["deepen"])),
                        dict(zip(ARMS, d["deepen_top"].tolist())), d["explored"])
    budgets, _, _ = learner.greedy(x, mask)
    assert budgets.tolist() == [0, 1, 0]      # the first available arm, at the first step
    assert learner.greedy(x, np.zeros(3, dtype=bool))[0].sum() == 0     # nothing available: nothing


def test_propensities_are_exact_frequencies():
    learner = CoverageLearner(ARMS, seed=3, epsilon=0.3)
    mask = np.array([True, True, False])
    seen = {}
    n = 20000
    for _ in range(n):
        d = learner.select(ctx("one"), mask)      # untrained: greedy is fixed
        key = tuple(d["budgets"])
        seen.setdefault(key, [0, d])
        seen[key][0] += 1
    for count, d in seen.values():
        # P(this exact configuration) = product over arms only when one arm moved: check per arm.
        for a in range(2):
            p = d["p_budget"][a]
            freq = sum(c for c, dd in seen.values() if dd["budgets"][a] == d["budgets"][a]) / n
            assert freq == pytest.approx(p, abs=0.015)
    assert all(d["budgets"][2] == 0 for _, d in seen.values())


def test_cover_probability_matches_simulation():
    learner = CoverageLearner(ARMS, seed=4, epsilon=0.25, wide=0.05, wide_budget=20)
    mask = np.ones(3, dtype=bool)
    greedy = np.array([1, 0, 0])
    ranks = np.array([51, 7, 51], dtype=np.int16)     # only b finds it, at rank 7
    w = learner.cover_probability(greedy, mask, ranks)
    # Deepening (0.25): b must be the arm (1/3), to a level >= 7 (10, 20 or 50: 3 of its 6
    # higher levels); wide exploration (0.05) runs b at 20 >= 7.
    assert w == pytest.approx(0.25 * (1 / 3) * (3 / 6) + 0.05)
    # The same by drawing: configurations that cover, among many selections of an untrained learner
    # whose greedy configuration is pinned to `greedy`.
    learner._greedy = lambda levels, m, base=None, x=None: (greedy.copy(), None, 0.0, None)    # pinned
    draws = [learner.select(ctx("one"), mask)["budgets"] for _ in range(30000)]
    freq = np.mean([bool((ranks <= d).any()) for d in draws])
    assert freq == pytest.approx(w, abs=0.01)


def test_state_is_bounded():
    learner = CoverageLearner(ARMS, seed=5, buffer=50)
    run(learner, 400)
    assert all(len(c.ranks) <= 50 for c in learner._cells.values())
    assert learner.n_cells() <= 5


def test_deepening_favours_the_arm_that_finds_this_kind_of_query():
    learner = CoverageLearner(ARMS, seed=6, epsilon=0.1)
    run(learner, 400)
    mask = np.ones(3, dtype=bool)
    for kind, finder in (("one", 0), ("two", 2)):
        q = learner.deepen_weights(np.zeros(3, dtype=np.int64), mask, x=ctx(kind))
        assert q.sum() == pytest.approx(1.0, abs=1e-5)
        assert int(np.argmax(q)) == finder and q.min() > 0    # the floor keeps every arm drawable
    # An arm at the top of the ladder, or unavailable, cannot be deepened.
    q = learner.deepen_weights(np.array([50, 0, 0]), np.array([True, True, False]), x=ctx("one"))
    assert q[0] == 0 and q[2] == 0 and q[1] == pytest.approx(1.0)


def test_weighted_deepening_keeps_propensities_and_cover_probability_exact():
    learner = CoverageLearner(ARMS, seed=7, epsilon=0.4, wide=0.0, wide_min=0.0)
    run(learner, 300)
    mask = np.ones(3, dtype=bool)
    greedy = np.array([1, 0, 0])
    x = ctx("two")
    q = learner.deepen_weights(greedy, mask, x=x)
    assert not np.allclose(q, q[0])                # a non-uniform draw is what is checked
    learner._greedy = lambda levels, m, base=None, x=None: (greedy.copy(), None, 0.0, None)    # pinned
    draws = [learner.select(x, mask) for _ in range(20000)]
    for a in range(3):
        for b in set(int(d["budgets"][a]) for d in draws):
            freq = np.mean([int(d["budgets"][a]) == b for d in draws])
            p = next(d["p_budget"][a] for d in draws if int(d["budgets"][a]) == b)
            assert freq == pytest.approx(p, abs=0.01)
    ranks = np.array([51, 51, 3], dtype=np.int16)     # only c finds it, at rank 3
    w = learner.cover_probability(greedy, mask, ranks, p_wide=0.0, deepen=dict(zip(ARMS, q)))
    assert w == pytest.approx(0.4 * q[2] * 5 / 6)     # c's higher levels but 1 cover rank 3
    assert np.mean([bool((ranks <= d["budgets"]).any()) for d in draws]) == pytest.approx(w, abs=0.01)


def test_deepening_explores_only_levels_that_could_pay():
    learner = CoverageLearner(ARMS, seed=8, cost_per_candidate=0.03, epsilon=0.5, wide=0.0, wide_min=0.0)
    run(learner, 200)
    mask = np.ones(3, dtype=bool)
    greedy = np.array([1, 0, 0])
    levels = learner._levels(ctx("one"))
    # Nothing learned: every level may be explored. A miss rate of 1 pays at most 1: at 0.03
    # a candidate, 33 more candidates (budget 20, not 50). No miss: nothing pays.
    assert learner.deepen_top(greedy, mask, float("nan"), levels).tolist() == [50, 50, 50]
    assert learner.deepen_top(greedy, mask, 0.0, levels).tolist() == [20, 20, 20]
    assert learner.deepen_top(greedy, mask, 1.0, levels).tolist() == [1, 0, 0]
    assert learner.deepen_top(greedy, np.array([True, False, True]), 0.0, levels)[1] == 0
    # The draws follow the logged top exactly: never above it, with the stated propensities.
    learner._greedy = lambda levels, m, base=None, x=None: (greedy.copy(), None, 0.0, None)    # pinned
    draws = [learner.select(ctx("one"), mask) for _ in range(20000)]
    assert all(d["deepen_top"].tolist() == [20, 20, 20] for d in draws[:50])
    assert max(int(d["budgets"].max()) for d in draws) == 20
    for a in range(3):
        for b in set(int(d["budgets"][a]) for d in draws):
            freq = np.mean([int(d["budgets"][a]) == b for d in draws])
            p = next(d["p_budget"][a] for d in draws if int(d["budgets"][a]) == b)
            assert freq == pytest.approx(p, abs=0.01)
    d = draws[0]
    for ranks in (np.array([51, 15, 51], dtype=np.int16), np.array([51, 30, 51], dtype=np.int16)):
        w = learner.cover_probability(greedy, mask, ranks, 0.0, dict(zip(ARMS, d["deepen"])),
                                      dict(zip(ARMS, d["deepen_top"].tolist())))
        freq = np.mean([bool((ranks <= dd["budgets"]).any()) for dd in draws])
        assert freq == pytest.approx(w, abs=0.01)
    assert w == 0.0                                   # rank 30 needs budget 50: never explored


def test_wide_exploration_fades_where_it_finds_nothing(monkeypatch):
    # Kind "two" is found by no arm: its misses are real, but exploring wide cannot fix them.
    monkeypatch.setitem(WORLD, "two", {"a": None, "b": None, "c": None})
    learner = CoverageLearner(ARMS, seed=9, cost_per_candidate=0.004)
    run(learner, 600)
    mask = np.ones(3, dtype=bool)
    d = learner.select(ctx("two"), mask)
    levels = learner._levels(ctx("two"))
    assert levels[0].n_wide > 10                                  # it was tried...
    by_miss = learner.wide_probability(d["coverage"], levels[0].n)
    assert d["coverage"] < 0.05 and by_miss > 0.1                 # ...the miss rate alone would keep it up
    assert d["p_wide"] < by_miss / 3                              # its measured gain brings it down
    # Before it is tried, the miss rate rules; a gain as large as the miss keeps it.
    assert learner.wide_probability(0.2, 50.0, gain=0.0, tried=0.0) == learner.wide_probability(0.2, 50.0)
    assert learner.wide_probability(0.2, 50.0, gain=0.8, tried=100.0) == learner.wide_probability(0.2, 50.0)


def test_a_slow_arm_is_started_only_when_its_milliseconds_are_worth_it(monkeypatch):
    # a and b find kind "one" equally (rank 1); b is the slow one.
    monkeypatch.setitem(WORLD, "one", {"a": 1, "b": 1, "c": None})
    mask = np.ones(3, dtype=bool)
    picks = {}
    for ms_cost, times in ((0.0, {"a": 1.0, "b": 40.0}), (0.01, {"a": 40.0, "b": 1.0}),
                           (0.01, {"a": 1.0, "b": 40.0})):
        learner = CoverageLearner(ARMS, seed=10, cost_per_candidate=0.004, cost_per_ms=ms_cost, prior=8)
        learner.observe_latency({**times, "c": 1.0})
        run(learner, 400)
        picks[(ms_cost, times["a"])] = learner.greedy(ctx("one"), mask)[0][:2].tolist()
    assert picks[(0.0, 1.0)] in ([1, 0], [0, 1])          # without a price on time: either, not both
    assert picks[(0.01, 40.0)] == [0, 1] and picks[(0.01, 1.0)] == [1, 0]
    learner = CoverageLearner(ARMS, cost_per_ms=0.01)
    learner.observe_latency({"a": 10.0, "b": -1.0, "c": float("nan")})
    learner.observe_latency({"a": 30.0})
    assert learner.arm_milliseconds() == {"a": pytest.approx(10.0 * 0.95 + 30.0 * 0.05)}


def drifting_run(learner: CoverageLearner, steps: int, change: int, seed: int = 0) -> tuple[list, list]:
    """One kind of query; a finds 85% of wants, the rest nobody finds. From step ``change`` on,
    40% of the searches want something only c finds (rank 1): new demand, as after a release."""
    rng = np.random.default_rng(seed)
    mask = np.ones(len(ARMS), dtype=bool)
    alarms, has_c = [], []
    for step in range(steps):
        u = rng.random()
        if step >= change and u < 0.4:
            ranks = {"a": None, "b": None, "c": 1}
        elif rng.random() < 0.85:
            ranks = {"a": 1, "b": None, "c": None}
        else:
            ranks = {"a": None, "b": None, "c": None}
        x = ctx("one")
        d = learner.select(x, mask)
        budgets = dict(zip(ARMS, map(int, d["budgets"])))
        hit = any(r is not None and r <= budgets[a] for a, r in ranks.items())
        learner.observe(x, dict(zip(ARMS, map(int, d["greedy"]))), ARMS, ranks if hit else None,
                        counts={a: 50 for a in ARMS}, p_wide=d["p_wide"], deepen=dict(zip(ARMS, d["deepen"])),
                        deepen_top=dict(zip(ARMS, d["deepen_top"].tolist())), explored=d["explored"])
        alarms.append(d["alarm"])
        has_c.append(d["greedy"][2] > 0)
    return alarms, has_c


def test_a_fall_in_coverage_raises_an_alarm_that_brings_wide_exploration_back(monkeypatch):
    change, steps = 1000, 1400

    def served(has_c: list) -> int:
        # Searches after the change until c has run on 50 searches in a row.
        return next((i for i in range(change, steps) if all(has_c[i:i + 50])), steps) - change

    found, found_quiet = [], []
    for seed in range(3):
        learner = CoverageLearner(ARMS, seed=seed, cost_per_candidate=0.004)
        alarms, has_c = drifting_run(learner, steps, change, seed=seed)
        # A known cell whose misses nobody can fix rarely alarms (only when the world itself
        # has a run of misses three standard errors long), and never runs c...
        assert np.mean(np.array(alarms[300:change]) > 0) <= 0.05
        assert not any(has_c[300:change])
        # ...new demand (40% of searches now lost) alarms within a few dozen searches,
        first = next(i for i in range(change, steps) if alarms[i] > 0) - change
        assert first <= 60
        # wide exploration finds c, and once c runs the alarm goes quiet.
        found.append(served(has_c))
        assert found[-1] <= 100 and max(alarms[-100:]) == 0.0
    # Without the alarm, exploration faded by the known cell takes far longer to find c.
    monkeypatch.setattr("ltrr.bandit.coverage.explore.ALARM_Z", float("inf"))
    for seed in range(3):
        quiet = CoverageLearner(ARMS, seed=seed, cost_per_candidate=0.004)
        found_quiet.append(served(drifting_run(quiet, steps, change, seed=seed)[1]))
    assert sum(found_quiet) >= 2 * sum(found), (found, found_quiet)


def test_reach_probability_is_the_chance_each_arm_ran_at_least_that_deep():
    learner = CoverageLearner(ARMS, seed=9, epsilon=0.3, wide=0.2)
    run(learner, 300)
    mask = np.ones(3, dtype=bool)
    greedy = np.array([1, 0, 3])
    x = ctx("two")
    learner._greedy = lambda levels, m, base=None, x=None: (greedy.copy(), None, 0.0, None)    # pinned
    draws = [learner.select(x, mask) for _ in range(20000)]
    d0 = draws[0]
    reach = learner.reach_probability(greedy, mask, d0["p_wide"], d0["deepen"], d0["deepen_top"])
    budgets = np.array([d["budgets"] for d in draws])
    freq = (budgets[:, :, None] >= LADDER[None, None, :]).mean(axis=0)
    assert np.allclose(freq, reach, atol=0.012)
    assert (reach[:, 0] == 1).all() and reach[0, 1] == 1 and reach[2, 2] == 1    # the greedy depth always runs


def test_an_arm_a_cell_never_ran_takes_its_parents_gain_one_it_ran_and_found_useless_does_not():
    # Kind "two" is served only by c; kind "one" by a. Greedy policies are fed in by hand.
    def learner_where_one_ran(c_budget_in_one: int) -> CoverageLearner:
        learner = CoverageLearner(ARMS, seed=10, epsilon=0.0, wide=0.0, wide_min=0.0, prior=50)
        for i in range(400):
            learner.observe(ctx("two"), {"c": 5}, ARMS, {"c": 3}, p_wide=0.0)
            # Kind "one" misses a fifth of its searches (skips); c either never ran there, or
            # ran at 5 on every search and found none of its clicks.
            ranks = {"a": 1} if i % 5 else None
            learner.observe(ctx("one"), {"a": 1, "c": c_budget_in_one}, ARMS, ranks, p_wide=0.0)
        return learner

    never, useless = learner_where_one_ran(0), learner_where_one_ran(5)
    budgets = np.array([1, 0, 0])
    c_at_5 = int(np.searchsorted(LADDER, 5))
    gain_never = _gains(never, never._levels(ctx("one")), budgets)[0][2, c_at_5]
    gain_useless = _gains(useless, useless._levels(ctx("one")), budgets)[0][2, c_at_5]
    # The parent (every query) sees c find half its searches that a at 1 misses.
    parent = _gains(never, never._levels(ctx("one"))[1:], budgets)[0][2, c_at_5]
    assert parent > 0.3
    assert gain_never > 0.5 * parent          # no evidence in the cell: mostly the parent's
    assert gain_useless < 0.15 * parent       # its own evidence, hundreds of searches, wins
    # Below its greedy depth an arm's evidence is the cell's own in both cases.
    assert _gains(never, never._levels(ctx("one")), np.zeros(3, dtype=np.int64))[0][0, 1] > 0.7


def test_reach_survives_a_checkpoint_and_a_state_without_it_keeps_the_old_rule():
    learner = CoverageLearner(ARMS, seed=11)
    run(learner, 200)
    state = learner.state_dict()
    again = CoverageLearner(ARMS, seed=11)
    again.load_state_dict(state)
    mask = np.ones(3, dtype=bool)
    for kind in ("one", "two"):
        assert np.array_equal(learner.greedy(ctx(kind), mask)[0], again.greedy(ctx(kind), mask)[0])
        a, b = learner._levels(ctx(kind)), again._levels(ctx(kind))
        assert all(np.allclose(x.reach, y.reach) for x, y in zip(a, b))
    old = dict(state, cells=[{k: v for k, v in c.items() if k != "reach"} for c in state["cells"]])
    again.load_state_dict(old)
    assert all(np.all(lv.reach == lv.n) for lv in again._levels(ctx("one")))
    # ... and goes on from there: one more search does not drop the cell's reach to nothing.
    again.observe(ctx("one"), {"a": 1}, ARMS, None, p_wide=0.0)
    cell = again._levels(ctx("one"))[0]
    assert np.all(cell.reach >= 0.9 * cell.n)
    bad = dict(state, cells=[dict(c, reach=[[1.0]]) for c in state["cells"]])
    with pytest.raises(ValueError, match="reach"):
        again.load_state_dict(bad)


def test_with_only_milliseconds_priced_an_arm_too_slow_to_pay_is_not_explored():
    # Candidates are free, time is not: starting b (40 ms at 0.05 per ms = 2.0) costs more
    # than anything a search can gain (at most 1), starting a (1 ms) does not.
    learner = CoverageLearner(ARMS, seed=12, cost_per_candidate=0.0, cost_per_ms=0.05)
    learner.observe_latency({"a": 1.0, "b": 40.0, "c": 1.0})
    run(learner, 200)
    mask = np.ones(3, dtype=bool)
    levels = learner._levels(ctx("two"))
    greedy = np.zeros(3, dtype=np.int64)
    top = learner.deepen_top(greedy, mask, 0.5, levels)
    assert top[1] == 0 and top[0] == LADDER[-1] and top[2] == LADDER[-1]
    # With nothing priced, every level of every arm may be explored.
    free = CoverageLearner(ARMS, seed=12, cost_per_candidate=0.0)
    run(free, 50)
    assert (free.deepen_top(greedy, mask, 0.5, free._levels(ctx("two"))) == LADDER[-1]).all()


def test_finds_after_a_miss_teach_the_arm_that_would_have_served_the_query():
    # Kind "two" is found only by c at rank 3, and the logging policy only ever ran a at 1:
    # every search misses and no click can tell. Users who found the item later say where.
    mask = np.ones(3, dtype=bool)
    learners = {later: CoverageLearner(ARMS, seed=3, epsilon=0.0, wide=0.0, wide_min=0.0) for later in (0, 1)}
    for later, learner in learners.items():
        for i in range(300):
            learner.observe(ctx("two"), {"a": 1}, ARMS, None, p_wide=0.0)
            if later and i % 2 == 0:
                learner.observe_found_later(ctx("two"), {"a": None, "b": None, "c": 3}, {a: 50 for a in ARMS})
    # Without them nothing is known to serve the kind: only the least an answer needs runs.
    assert learners[0].greedy(ctx("two"), mask)[0].tolist() == [1, 0, 0]
    budgets, _, cover = learners[1].greedy(ctx("two"), mask)
    assert budgets.tolist() == [0, 0, 3]
    # Half the misses were followed up: the estimate is the followed-up share, not more.
    assert 0.35 < cover < 0.55


def queried_run(learner: CoverageLearner, steps: int, failing: str, seed: int = 0) -> None:
    """Kind "one" only: most searches are queries arm a finds at rank 1; one query in five,
    ``failing``, wants something only arm c finds at rank 3 (a minority of its cell)."""
    rng = np.random.default_rng(seed)
    mask = np.ones(len(ARMS), dtype=bool)
    for i in range(steps):
        query = failing if rng.random() < 0.2 else f"served {i % 7}"
        ranks = {"a": None, "b": None, "c": 3} if query == failing else {"a": 1, "b": None, "c": None}
        d = learner.select(ctx("one"), mask, query)
        budgets = dict(zip(ARMS, map(int, d["budgets"])))
        hit = any(r is not None and r <= budgets[a] for a, r in ranks.items())
        learner.observe(ctx("one"), dict(zip(ARMS, map(int, d["greedy"]))), ARMS, ranks if hit else None,
                        counts={a: 50 for a in ARMS}, p_wide=d["p_wide"], deepen=dict(zip(ARMS, d["deepen"])),
                        deepen_top=dict(zip(ARMS, d["deepen_top"].tolist())), explored=d["explored"],
                        query=query)


def test_a_query_that_keeps_failing_is_explored_wide_more_than_its_cell():
    learner = CoverageLearner(ARMS, seed=3, queries=100, cost_per_candidate=0.05)
    queried_run(learner, 150, failing="just out")
    mask = np.ones(3, dtype=bool)
    failing = learner.select(ctx("one"), mask, "just out")
    served = learner.select(ctx("one"), mask, "served 1")
    unknown = learner.select(ctx("one"), mask, "never typed")
    assert failing["greedy"][2] == 0          # the cell does not run arm c: it pays for too few
    assert learner.query_push("just out", failing["coverage"]) > 0.05
    assert failing["p_wide"] > served["p_wide"] + 0.05
    # A query served as well as its cell, or never seen, gets the cell's chance.
    assert served["p_wide"] == pytest.approx(unknown["p_wide"])
    # Without query counts the failing query gets its cell's chance too.
    plain = CoverageLearner(ARMS, seed=3, queries=0, cost_per_candidate=0.05)
    queried_run(plain, 150, failing="just out")
    assert plain.query_push("just out", 0.5) == 0.0


def test_the_push_fades_as_wide_explorations_of_that_query_go_unclicked():
    learner = CoverageLearner(ARMS, seed=3, queries=100)
    for _ in range(10):
        learner.observe(ctx("one"), {"a": 1}, ARMS, None, p_wide=0.1, query="mood")
    before = learner.query_push("mood", 0.9)
    for _ in range(10):
        learner.observe(ctx("one"), {"a": 1}, ARMS, None, p_wide=0.1, explored="wide", query="mood")
    assert before > 0.1 and learner.query_push("mood", 0.9) < before / 2


def test_query_counts_are_bounded_survive_a_checkpoint_and_are_not_context():
    learner = CoverageLearner(ARMS, seed=4, queries=3)
    for q in ("q1", "q2", "q3", "q4", "q2"):
        learner.observe(ctx("one"), {"a": 1}, ARMS, None, p_wide=0.1, query=q)
    state = learner.state_dict()
    # The three most recently searched, least recent first.
    assert [row[0] for row in state["query_counts"]] == ["q3", "q4", "q2"]
    again = CoverageLearner(ARMS, seed=4, queries=3)
    again.load_state_dict(state)
    assert again.query_push("q2", 0.9) == learner.query_push("q2", 0.9) > 0
    with pytest.raises(ValueError, match="query counts"):
        again.load_state_dict(dict(state, query_counts=[["q1", 1.0, -2.0, 0.0]]))
    # The context-free learner keeps no query counts: they would be context.
    free = CoverageLearner(ARMS, seed=4, queries=3, contextual=False)
    free.observe(ctx("one"), {"a": 1}, ARMS, None, p_wide=0.1, query="q1")
    assert free.state_dict()["query_counts"] == [] and free.query_push("q1", 0.9) == 0.0


def test_from_params_builds_the_learner_a_policy_spec_describes():
    from ltrr.bandit.policy import PolicySpec
    from ltrr.bandit.selector import ArmSelector

    spec = PolicySpec.parse("coverage:cost=0.01,context=0,wide_at=5")
    learner = CoverageLearner.from_params(ARMS, dict(spec.params), seed=4)
    assert learner.cost_per_candidate == 0.01 and not learner.contextual and learner.wide_budget == 5
    # The selector builds its learner the same way.
    assert ArmSelector(spec, ARMS, seed=4).learner._config() == learner._config()


def judged_learner() -> CoverageLearner:
    # No exploration at all: a rank-20 find is beyond anything this policy could retrieve.
    return CoverageLearner(ARMS, epsilon=0.0, wide=0.0, wide_min=0.0)


def test_a_judged_miss_is_learned_at_the_inverse_of_the_judged_share():
    learner = judged_learner()
    x = ctx("one")
    learner.observe(x, {"a": 1}, ARMS, {"b": 20}, judged=True, judged_share=0.25)
    state = learner.state_dict()
    # Covered by no configuration this policy could run (w = 0): only the judgment shows it.
    assert state["inv_w"].tolist() == [pytest.approx(4.0)] * len(learner.cell_keys(x))
    # A click the greedy configuration covered weighs 1 whatever the share.
    learner.observe(x, {"a": 1}, ARMS, {"a": 1}, judged_share=0.25)
    assert learner.state_dict()["inv_w"][-1] == pytest.approx(1.0)


def test_judged_searches_teach_what_clicks_cannot():
    # Arm b finds everything at 20, arm a nothing; the policy runs a at 1 and never explores.
    told, clicks = judged_learner(), judged_learner()
    x, mask = ctx("one"), np.ones(len(ARMS), dtype=bool)
    for learner, judged in ((told, True), (clicks, False)):
        for _ in range(40):
            learner.observe(x, {"a": 1}, ARMS, {"b": 20} if judged else None, judged=judged,
                            judged_share=0.5 if judged else 0.0)
    assert told.greedy(x, mask)[0].tolist() == [0, 20, 0]
    assert clicks.greedy(x, mask)[0][1] == 0


def test_a_judged_search_no_arm_serves_counts_as_a_miss_without_a_row():
    learner = judged_learner()
    learner.observe(ctx("one"), {"a": 1}, ARMS, {"a": None, "b": None}, judged=True, judged_share=0.5)
    assert learner.n_events == 1 and learner.state_dict()["inv_w"].size == 0


def test_a_judged_search_needs_a_judged_share_in_zero_to_one():
    learner = judged_learner()
    with pytest.raises(ValueError, match="judged_share"):
        learner.observe(ctx("one"), {"a": 1}, ARMS, {"b": 2}, judged=True)
    with pytest.raises(ValueError, match="judged_share"):
        learner.observe(ctx("one"), {"a": 1}, ARMS, {"b": 2}, judged_share=1.5)


def test_a_cells_stacked_buffer_stays_what_stacking_it_again_would_give():
    from ltrr.bandit.coverage.cells import Cell, stacked

    rng = np.random.default_rng(0)
    cell = Cell()
    for i in range(60):
        cell.t += 1
        cell.push(rng.integers(1, 52, size=3).astype(np.int16), rng.integers(0, 51, size=3).astype(np.int16),
                  float(rng.uniform(1, 20)), buffer=7)
        if i % 3:                       # read between some clicks, not others
            grown = stacked(cell)
            cell._stacked = None
            fresh = stacked(cell)
            assert all(np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(grown, fresh))
            assert len(fresh[0]) == min(i + 1, 7)
