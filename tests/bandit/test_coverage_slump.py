"""The slump alarm: a cell served less while its plans narrow is explored wide again."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.bandit.coverage import CoverageLearner
from ltrr.bandit.coverage.cells import Cell, breadth, fold_trend, trend_means
from ltrr.bandit.coverage.explore import RECENT, slump_alarm
from ltrr.bandit.policy import PolicySpec
from tests.bandit.learners import two_word_context as ctx

ARMS = ("a", "b", "c")
DECAY = 0.5 ** (1 / 300)


def folded(history: list[tuple[bool, float]]) -> Cell:
    cell = Cell()
    for served, planned in history:
        cell.t += 1
        fold_trend(cell, served, planned, DECAY)
    return cell


def test_breadth_caps_each_arm_so_a_long_memory_list_does_not_dominate():
    assert breadth(np.array([1, 0, 50])) == 21.0
    assert breadth(np.array([3, 3, 0])) == 6.0


def test_a_fall_in_served_searches_alarms_only_while_the_plans_got_narrower():
    rng = np.random.default_rng(0)
    before = [(bool(rng.random() < 0.9), 10.0) for _ in range(400)]
    narrower = folded(before + [(bool(rng.random() < 0.4), 1.0) for _ in range(60)])
    same = folded(before + [(bool(rng.random() < 0.4), 10.0) for _ in range(60)])
    steady = folded(before + [(bool(rng.random() < 0.9), 1.0) for _ in range(60)])
    alarm = slump_alarm(narrower.trend, narrower.t)
    # The fall (about half the searches) is reported as it is read from the moving means...
    assert 0.2 < alarm < 0.5
    slow, fast, _, _ = trend_means(narrower.trend)
    assert alarm == pytest.approx(slow - fast, abs=1e-6)
    # ...but a fall under unchanged plans is new demand (the drift alarm's), and narrower plans
    # that still serve as well are the learner saving candidates: neither is a slump.
    assert slump_alarm(same.trend, same.t) == 0.0
    assert slump_alarm(steady.trend, steady.t) == 0.0


def test_a_young_cell_or_one_without_a_trend_never_alarms():
    young = folded([(True, 10.0)] * 20 + [(False, 1.0)] * (RECENT - 21))
    assert young.t < RECENT and slump_alarm(young.trend, young.t) == 0.0
    # A cell with a history before the same run of misses alarms.
    grown = folded([(True, 10.0)] * 100 + [(False, 1.0)] * (RECENT - 21))
    assert slump_alarm(grown.trend, grown.t) > 0
    assert slump_alarm(None, 1000) == 0.0


def test_noise_in_a_steady_cell_rarely_alarms():
    rng = np.random.default_rng(1)
    cell, alarms = Cell(), 0
    for step in range(3000):
        cell.t += 1
        # Plans alternate between narrow and wide runs, success at 70% throughout.
        fold_trend(cell, bool(rng.random() < 0.7), 1.0 if (step // 100) % 2 else 10.0, DECAY)
        alarms += slump_alarm(cell.trend, cell.t) > 0
    assert alarms / 3000 <= 0.02


def feed(learner: CoverageLearner, history: list[tuple[dict, bool]], seed: int = 0) -> None:
    """Resolve searches as a log would hand them over: the greedy configuration then, and a click
    (the target found by arm a at rank 1) or a skip."""
    x = ctx()
    for greedy, clicked in history:
        learner.observe(x, greedy, ARMS, {"a": 1, "b": None, "c": None} if clicked else None,
                        {arm: 50 for arm in ARMS}, p_wide=0.05, deepen={}, deepen_top={}, explored="")


def lock_in(seed: int = 0) -> list[tuple[dict, bool]]:
    """A cell served 90% of the time while its plans ran a and c, then 40% once they ran a alone."""
    rng = np.random.default_rng(seed)
    return ([({"a": 3, "c": 5}, bool(rng.random() < 0.9)) for _ in range(400)]
            + [({"a": 1}, bool(rng.random() < 0.4)) for _ in range(80)])


def test_a_learner_whose_cell_slumps_after_narrowing_explores_it_wide_and_logs_why():
    on = CoverageLearner(ARMS, seed=3, slump=True)
    off = CoverageLearner(ARMS, seed=3, slump=False)
    for learner in (on, off):
        feed(learner, lock_in())
    mask = np.ones(len(ARMS), dtype=bool)
    d_on, d_off = on.select(ctx(), mask), off.select(ctx(), mask)
    assert d_off["slump"] == 0.0
    assert d_on["slump"] > 0.2
    assert d_on["p_wide"] >= d_off["p_wide"] + 0.2
    record = on.decision_record(d_on, mask)
    assert record["slump"] == pytest.approx(d_on["slump"]) and record["wide"] == pytest.approx(d_on["p_wide"])
    # The propensities follow the logged rule: wide exploration's configuration is as likely as logged.
    p_run, _ = on.propensities(d_on["greedy"], mask, d_on["budgets"], record["wide"], record["deepen"],
                               record["deepen_top"])
    assert np.all(p_run >= record["wide"] - 1e-9)


def test_the_trend_survives_a_saved_state_and_a_replay_of_the_same_log():
    live = CoverageLearner(ARMS, seed=5, slump=True)
    feed(live, lock_in(1))
    restored = CoverageLearner(ARMS, seed=5, slump=True)
    restored.load_state_dict(live.state_dict())
    replayed = CoverageLearner(ARMS, seed=5, slump=True)
    feed(replayed, lock_in(1))
    x = ctx()
    assert live.slump_alarm(x) > 0
    assert restored.slump_alarm(x) == replayed.slump_alarm(x) == live.slump_alarm(x)
    # A state saved without the alarm is refused by a learner with it: its settings differ.
    with pytest.raises(ValueError):
        CoverageLearner(ARMS, seed=5, slump=True).load_state_dict(CoverageLearner(ARMS, seed=5).state_dict())


def test_a_malformed_trend_is_refused():
    learner = CoverageLearner(ARMS, slump=True)
    feed(learner, lock_in()[:10])
    state = learner.state_dict()
    state["cells"][0]["trend"] = [5.0, 1.5, 30.0, 3.0, 4.0, 1.0]
    with pytest.raises(ValueError, match="trend"):
        CoverageLearner(ARMS, slump=True).load_state_dict(state)


def test_the_default_coverage_policy_runs_the_alarm_and_slump_0_turns_it_off():
    assert dict(PolicySpec.parse("coverage").params)["slump"] == 1.0
    assert dict(PolicySpec.parse("coverage:slump=0").params)["slump"] == 0.0
    with pytest.raises(ValueError, match="slump"):
        PolicySpec.parse("coverage:slump=0.5")
