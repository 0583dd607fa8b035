"""The mabwiser policies (ltrr.bandit.mab_policy), through the selector: learning in settings
whose right answer is known, the cold start, budgets, the module docstring's worked example and
exact propensities."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.bandit.context import CONTEXT_FEATURES, context_vector
from ltrr.bandit.mab_policy import PRIOR_EXPECTATION
from ltrr.bandit.policy import LEARNING_POLICIES, PolicySpec
from ltrr.bandit.selector import ArmSelector
from ltrr.understanding_results import Interpretation, Understanding
from tests.bandit.selectors import ARMS, D, is_top, play, random_context, selector


# -- learning ----------------------------------------------------------------------------

@pytest.mark.parametrize("policy", LEARNING_POLICIES)
def test_learns_the_arm_that_always_holds_the_clicked_item(policy):
    last = play(selector(policy), 300, lambda x: "structured")[-100:]
    assert sum(s["structured"].selected for s, _ in last) >= 90
    assert sum(is_top(s, "structured") for s, _ in last) >= 90
    # ...and it stopped spending most of the budget on the arms that never pay.
    wasted = np.mean([sum(b for a, b in s.arm_to_budget.items() if a != "structured") for s, _ in last])
    assert wasted < 0.25 * (len(ARMS) - 1) * 20     # `all` would spend 20 on each of them


def test_linucb_learns_which_arm_pays_from_a_context_feature():
    track = CONTEXT_FEATURES.index("type_track")
    last = play(selector("linucb"), 300, lambda x: "structured" if x[track] > 0 else "lexical")[-100:]
    assert sum(is_top(s, good) for s, good in last) >= 80


def test_linucb_learns_from_real_context_vectors():
    # Artist-intent queries are answered by the structured arm, free-text ones by fuzzy.
    artist = Understanding(query="adele", type_scores={"artist": 0.9},
                           interpretations=(Interpretation(0.9, entity_type="artist", artist_ids=("artist:1",)),))
    free = Understanding(query="helo from the other side")
    contexts = [
        context_vector("adele", artist, {"user_id": "u1", "hour": 9}),
        context_vector("adele", artist, {"user_id": "u2", "weekday": 6}),
        context_vector("helo from the other side", free, {"user_id": "u1", "hour": 22}),
        context_vector("helo from the other side", free, {"user_id": "u3"}),
    ]
    any_idx = CONTEXT_FEATURES.index("intent_any")
    last = play(selector("linucb"), 200, lambda x: "fuzzy" if x[any_idx] else "structured",
                contexts=lambda rng: contexts[rng.integers(len(contexts))])[-100:]
    assert sum(is_top(s, good) for s, good in last) >= 90


# -- cold start, availability, budgets ---------------------------------------------------

@pytest.mark.parametrize("policy", LEARNING_POLICIES)
def test_before_any_reward_every_arm_is_pulled_with_the_prior(policy):
    sel = selector(policy)
    s = sel.select(random_context(np.random.default_rng(0)))
    assert s.selected_arms == ARMS
    assert all(c.propensity == 1.0 and c.expectation == PRIOR_EXPECTATION for c in s.choices)
    assert set(s.arm_to_budget.values()) == {20}    # a new bandit behaves like `all`
    assert not sel.is_fitted


def test_report_before_any_data_is_the_prior():
    report = selector("linucb").report()
    assert [(r["expected_reward"], r["selection_probability"], r["pulls"]) for r in report] == \
        [(PRIOR_EXPECTATION, 1.0, 0)] * len(ARMS)


def test_nothing_available_selects_nothing():
    sel = selector("linucb")
    play(sel, 5, lambda x: "lexical")
    s = sel.select(np.ones(D), available=[])
    assert s.selected_arms == () and set(s.arm_to_propensity.values()) == {0.0}


@pytest.mark.parametrize("policy", LEARNING_POLICIES)
def test_budgets_stay_between_floor_and_arm_budget(policy):
    sel = selector(policy, arm_budget=25, min_budget=4)
    for s, _ in play(sel, 120, lambda x: "memory"):
        budgets = s.arm_to_budget
        assert max(budgets.values()) == 25            # the best included arm gets the full budget
        assert all(4 <= b <= 25 for b in budgets.values())
        assert all(c.budget == 0 for c in s.choices if not c.selected)
        assert all(0.0 <= c.propensity <= 1.0 for c in s.choices)
        assert max(s.arm_to_propensity.values()) == 1.0


def test_worked_example_from_the_module_docstring():
    # epsilon=0 makes epsilon-greedy's expectations the plain mean rewards: 0.8, 0.4, 0.0.
    sel = ArmSelector(PolicySpec.parse("epsilon:epsilon=0"), ["a", "b", "c"], arm_budget=20, min_budget=5,
                      floor=0.1, gamma=2.0)
    x = np.ones(3)
    for i in range(5):
        sel.update(x, {"a": float(i < 4), "b": float(i < 2), "c": 0.0})
    s = sel.select(x)
    assert s.arm_to_expectation == pytest.approx({"a": 0.8, "b": 0.4, "c": 0.0})
    assert s.arm_to_propensity == pytest.approx({"a": 1.0, "b": 0.325, "c": 0.1})
    # All three included: 5 + round(15 x (1, 0.5, 0)) = 20, 5 + 8 (7.5 rounds half to even), 5.
    sel = ArmSelector(PolicySpec.parse("epsilon:epsilon=0"), ["a", "b", "c"], arm_budget=20, min_budget=5,
                      floor=1.0)
    for i in range(5):
        sel.update(x, {"a": float(i < 4), "b": float(i < 2), "c": 0.0})
    assert sel.select(x).arm_to_budget == {"a": 20, "b": 13, "c": 5}


# -- propensities ------------------------------------------------------------------------

@pytest.mark.parametrize("policy", ["linucb", "thompson", "lints"])
def test_propensity_is_the_empirical_inclusion_frequency(policy):
    sel = selector(policy)
    play(sel, 40, lambda x: "structured")
    x = random_context(np.random.default_rng(99))
    n = 2000
    draws = [sel.select(x) for _ in range(n)]
    propensity = draws[0].arm_to_propensity
    assert all(d.arm_to_propensity == propensity for d in draws)     # a function of state and x
    assert 0.0 < min(propensity.values()) and max(propensity.values()) == 1.0
    for arm in ARMS:
        freq = np.mean([d[arm].selected for d in draws])
        p = propensity[arm]
        assert abs(freq - p) <= 4 * np.sqrt(p * (1 - p) / n) + 1e-9, arm


def test_report_at_x_matches_select_at_x():
    sel = selector("lints")
    play(sel, 40, lambda x: "fuzzy")
    x = random_context(np.random.default_rng(5))
    report = {r["arm"]: r for r in sel.report(x)}
    s = sel.select(x)
    for c in s.choices:
        assert report[c.arm]["selection_probability"] == c.propensity
        assert report[c.arm]["expected_reward"] == c.expectation
