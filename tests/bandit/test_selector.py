"""ArmSelector: the fixed policies, availability, replay equivalence, determinism, reset,
reports, threads and invalid settings. The mabwiser policies' own behaviour is tested in
test_mab_policy.py, the coverage policy's in test_coverage_policy.py, invalid inputs in
test_inputs.py."""
from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from ltrr.bandit.policy import LEARNING_POLICIES, PolicySpec
from ltrr.bandit.selector import ArmSelector
from tests.bandit.selectors import ARMS, D, play, random_context, selector


# -- fixed policies ----------------------------------------------------------------------

@pytest.mark.parametrize("policy", ["all", "static:lexical,semantic"])
def test_fixed_policies_never_change_their_choice(policy):
    sel = selector(policy)
    probes = [random_context(np.random.default_rng(i)) for i in range(20)]
    before = [sel.select(x) for x in probes]
    # Only lexical ever pays: a learning policy would soon mostly drop the others.
    play(sel, 300, lambda x: "lexical")
    after = [sel.select(x) for x in probes]
    for b, a in zip(before, after):
        assert [(c.arm, c.selected, c.budget, c.propensity) for c in b.choices] == \
            [(c.arm, c.selected, c.budget, c.propensity) for c in a.choices]
    # They still keep score of what the arms earned.
    report = {r["arm"]: r for r in sel.report()}
    assert report["lexical"]["rewards"] == report["lexical"]["pulls"] == 300
    assert report["semantic"]["pulls"] == 300 and report["semantic"]["rewards"] == 0


def test_all_takes_every_available_arm_with_the_full_budget():
    s = selector("all").select(random_context(np.random.default_rng(0)))
    assert s.selected_arms == ARMS
    assert s.arm_to_budget == {a: 20 for a in ARMS}
    assert set(s.arm_to_propensity.values()) == {1.0}
    s = selector("all", arm_budget=30).select(np.ones(D), available=["fuzzy", "memory"])
    assert s.arm_to_budget == {"fuzzy": 30, "memory": 30}


def test_static_takes_exactly_its_arms():
    s = selector("static:semantic,lexical").select(np.ones(D))
    assert s.selected_arms == ("lexical", "semantic")
    assert s.arm_to_budget == {"lexical": 20, "semantic": 20}
    assert s.arm_to_propensity == {a: float(a in ("lexical", "semantic")) for a in ARMS}
    # With its only available arm missing it takes nothing rather than someone else's.
    s = selector("static:semantic").select(np.ones(D), available=["lexical", "fuzzy"])
    assert s.selected_arms == () and s.arm_to_propensity["semantic"] == 0.0


# -- availability ------------------------------------------------------------------------

@pytest.mark.parametrize("policy", [*LEARNING_POLICIES, "all", "static:lexical,fuzzy,semantic"])
def test_unavailable_arms_are_never_selected(policy):
    sel = selector(policy)
    play(sel, 30, lambda x: "semantic")
    available = ["lexical", "fuzzy", "popular"]
    for i in range(50):
        s = sel.select(random_context(np.random.default_rng(i)), available=available)
        for c in s.choices:
            if c.arm not in available:
                assert (c.selected, c.budget, c.propensity) == (False, 0, 0.0)
        if sel.spec.is_learning:
            assert max(s.arm_to_propensity.values()) == 1.0     # best available arm is always pulled
            assert s.selected_arms


# -- replay ------------------------------------------------------------------------------

@pytest.mark.parametrize("policy", LEARNING_POLICIES)
def test_replaying_the_logged_events_rebuilds_the_same_state(policy):
    # Record exactly what the engine would log: the contexts and rewards of each update.
    xs, rewards = [], []
    live = selector(policy, seed=7)
    rng = np.random.default_rng(3)
    for t in range(150):
        x = random_context(rng)
        s = live.select(x)
        r = {a: float(a == ("memory" if x[3] > 0 else "lexical")) for a in s.selected_arms}
        live.update(x, r)
        xs.append(x.tolist())          # through JSON-friendly lists, as in the log
        rewards.append(r)
        if t % 10 == 0:
            live.update(x, {})          # an empty resolution changes nothing
    replayed = selector(policy, seed=7)
    replayed.fit([np.array(x) for x in json.loads(json.dumps(xs))], json.loads(json.dumps(rewards)))
    assert replayed.n_events == live.n_events == 150
    for i in range(10):
        x = random_context(np.random.default_rng(1000 + i))
        a, b = live.select(x), replayed.select(x)
        np.testing.assert_allclose([c.expectation for c in a.choices], [c.expectation for c in b.choices],
                                   rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose([c.propensity for c in a.choices], [c.propensity for c in b.choices],
                                   rtol=1e-9, atol=1e-12)
    ra, rb = live.report(), replayed.report()
    assert [(r["pulls"], r["rewards"]) for r in ra] == [(r["pulls"], r["rewards"]) for r in rb]
    np.testing.assert_allclose([r["expected_reward"] for r in ra], [r["expected_reward"] for r in rb],
                               rtol=1e-9, atol=1e-12)


def test_fit_validates_everything_before_changing_the_state():
    sel = selector("linucb")
    play(sel, 20, lambda x: "fuzzy")
    before = sel.report()
    xs = [np.ones(D)] * 5
    rewards = [{"fuzzy": 1.0}] * 3 + [{"fuzzy": 2.0}] + [{"fuzzy": 1.0}]
    with pytest.raises(ValueError, match="event 3: reward for arm 'fuzzy' must be a number in \\[0, 1\\]"):
        sel.fit(xs, rewards)
    assert sel.report() == before
    with pytest.raises(ValueError, match="one reward mapping per context"):
        sel.fit(xs, rewards[:2])
    with pytest.raises(ValueError, match="event 1: context has 3 features but the selector learned from"):
        sel.fit([np.ones(D), np.ones(3)], [{"fuzzy": 1.0}, {"fuzzy": 0.0}])


def test_fit_reports_progress():
    calls = []
    selector("thompson").fit([np.ones(D)] * 2500, [{"lexical": 1.0}] * 2500,
                             progress=lambda done, total, message: calls.append((done, total)))
    assert calls[0] == (0, 2500) and calls[-1] == (2500, 2500)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


# -- determinism, reset, report, threads --------------------------------------------------

@pytest.mark.parametrize("policy", LEARNING_POLICIES)
def test_same_seed_same_decisions(policy):
    a = [s.to_dict() for s, _ in play(selector(policy, seed=3), 60, lambda x: "popular")]
    b = [s.to_dict() for s, _ in play(selector(policy, seed=3), 60, lambda x: "popular")]
    c = [s.to_dict() for s, _ in play(selector(policy, seed=4), 60, lambda x: "popular")]
    assert a == b
    assert a != c


def test_reset_forgets_everything():
    sel = selector("linucb", seed=2)
    play(sel, 50, lambda x: "fresh")
    sel.reset()
    assert not sel.is_fitted and sel.n_events == 0
    assert all(r["pulls"] == 0 for r in sel.report())
    fresh = selector("linucb", seed=2)
    x = np.ones(D)
    assert sel.select(x) == fresh.select(x)


def test_report_counts_and_does_not_disturb_the_selector():
    a, b = selector("lints", seed=1), selector("lints", seed=1)
    x = np.ones(D)
    a.update(x, {"lexical": 1.0, "fuzzy": 0.0})
    a.update(x, {"lexical": 0.0})
    b.update(x, {"lexical": 1.0, "fuzzy": 0.0})
    b.update(x, {"lexical": 0.0})
    report = {r["arm"]: r for r in a.report()}
    assert (report["lexical"]["pulls"], report["lexical"]["rewards"], report["lexical"]["mean_reward"]) == (2, 1.0, 0.5)
    assert (report["fuzzy"]["pulls"], report["semantic"]["pulls"]) == (1, 0)
    a.report(x)
    assert [a.select(x) for _ in range(5)] == [b.select(x) for _ in range(5)]


def test_concurrent_select_and_update_are_safe():
    sel = selector("linucb")
    errors = []

    def work(seed):
        rng = np.random.default_rng(seed)
        try:
            for _ in range(40):
                x = random_context(rng)
                s = sel.select(x)
                sel.update(x, {a: 1.0 for a in s.selected_arms[:2]})
        except Exception as exc:   # pragma: no cover - only on failure
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sel.n_events == 160


def test_empty_rewards_are_a_no_op():
    sel = selector("linucb")
    sel.update(np.ones(D), {})
    assert not sel.is_fitted and sel.n_events == 0


# -- invalid settings --------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, message", [
    ({"arms": ()}, "non-empty sequence of arm names"),
    ({"arms": ("lexical", "lexical")}, "arms must be distinct"),
    ({"arms": ("lexical", 3)}, "non-empty sequence of arm names"),
    ({"spec": "linucb"}, "spec must be a PolicySpec"),
    ({"spec": PolicySpec.parse("static:semantic"), "arms": ("lexical", "fuzzy")},
     "names arm\\(s\\) the selector does not have: semantic"),
    ({"seed": "7"}, "seed must be an integer"),
    ({"arm_budget": 4}, "arm_budget must be an integer >= min_budget = 5, got 4"),
    ({"min_budget": 0}, "min_budget must be an integer >= 1"),
    ({"floor": 1.5}, "floor must be between 0 and 1"),
    ({"gamma": 0}, "gamma must be greater than 0"),
    ({"n_samples": 0}, "n_samples must be an integer >= 1"),
])
def test_invalid_constructor_arguments(kwargs, message):
    args = {"spec": PolicySpec.parse("linucb"), "arms": ARMS, **kwargs}
    with pytest.raises(ValueError, match=message):
        ArmSelector(**args)
