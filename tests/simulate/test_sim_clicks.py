"""Click models: position bias, noise, stray and multiple clicks, stopping rules, common random
numbers and validation. Statistical tests compare frequencies over many seeded draws with the
model's probabilities, within 4 binomial standard errors (a false alarm about once in 15,000 checks)."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.simulate.clicks import (CascadeClicks, ClickOutcome, PositionBasedClicks, make_click_model,
                                  parse_click_model)

RESULTS = [f"e{i}" for i in range(1, 11)]
ALL = frozenset(RESULTS)
NONE: frozenset[str] = frozenset()


def _draws(model, relevant, n: int, seed: int = 0, results=RESULTS) -> list[ClickOutcome]:
    rng = np.random.default_rng(seed)
    return [model.clicks(results, relevant, rng) for _ in range(n)]


def _within(observed: np.ndarray, expected: np.ndarray, n: int) -> bool:
    """Frequencies within 4 binomial standard errors (plus a hair for p near 0 or 1)."""
    se = np.sqrt(expected * (1 - expected) / n)
    return bool(np.all(np.abs(observed - expected) <= 4 * se + 1e-3))


def _click_rates(outcomes: list[ClickOutcome], depth: int = 10) -> np.ndarray:
    counts = np.zeros(depth)
    for out in outcomes:
        for rank, _ in out.clicks[:len(out.clicks) - out.n_stray]:
            counts[rank - 1] += 1
    return counts / len(outcomes)


# --------------------------------------------------------------------------- position-based model


@pytest.mark.parametrize("eta", [0.5, 1.0, 2.0])
def test_pbm_examination_curve_is_one_over_rank_to_the_eta(eta):
    """Every result satisfies and is clicked once examined: click rate by rank = examination."""
    model = PositionBasedClicks(eta=eta, p_relevant=1.0, p_irrelevant=0.0, max_clicks=10)
    n = 6000
    rates = _click_rates(_draws(model, ALL, n))
    expected = 1.0 / np.arange(1, 11) ** eta
    assert _within(rates, expected, n)
    assert np.allclose(model.examination(10), expected)
    # The test can tell exponents apart: the same clicks do not fit a curve 0.25 steeper.
    assert not _within(rates, 1.0 / np.arange(1, 11) ** (eta + 0.25), n)


def test_pbm_click_noise_rates_on_examined_results():
    """With every result examined (eta 0), good ones are clicked at p_relevant, bad ones at p_irrelevant."""
    model = PositionBasedClicks(eta=0.0, p_relevant=0.7, p_irrelevant=0.1, max_clicks=10)
    good = frozenset(RESULTS[::2])
    n = 5000
    rates = _click_rates(_draws(model, good, n))
    expected = np.array([0.7 if e in good else 0.1 for e in RESULTS])
    assert _within(rates, expected, n)


def test_pbm_clicks_only_what_satisfies_without_noise():
    model = PositionBasedClicks(eta=0.0, p_relevant=1.0, p_irrelevant=0.0)
    out = model.clicks(RESULTS, {"e4", "e7"}, np.random.default_rng(1))
    assert out.clicks == ((4, "e4"),)
    assert out.satisfied
    none = model.clicks(RESULTS, {"elsewhere"}, np.random.default_rng(1))
    assert none.clicks == () and not none.satisfied


def test_pbm_judged_click_on_a_bad_result_is_not_satisfaction():
    model = PositionBasedClicks(eta=0.0, p_relevant=1.0, p_irrelevant=1.0)
    out = model.clicks(RESULTS, {"e3"}, np.random.default_rng(2))
    assert out.clicks == ((1, "e1"),) and not out.satisfied


def test_several_clicks_per_search_up_to_max_clicks():
    model = PositionBasedClicks(eta=0.0, p_relevant=1.0, p_irrelevant=0.0, max_clicks=3)
    out = model.clicks(RESULTS, {"e2", "e4", "e5", "e9"}, np.random.default_rng(0))
    assert out.clicks == ((2, "e2"), (4, "e4"), (5, "e5")) and out.satisfied and out.examined == 5


# --------------------------------------------------------------------------- stray clicks


@pytest.mark.parametrize("model", [
    PositionBasedClicks(p_relevant=0.0, p_irrelevant=0.0, p_stray=0.2),
    CascadeClicks(p_relevant=0.0, p_irrelevant=0.0, p_stray=0.2),
])
def test_stray_clicks_come_at_their_rate_uniformly_over_the_list(model):
    n = 8000
    outcomes = _draws(model, ALL, n, seed=3)
    assert all(len(o.clicks) == o.n_stray <= 1 for o in outcomes)
    assert not any(o.satisfied for o in outcomes), "a mis-tap never satisfies, even on a good result"
    assert _within(np.array([np.mean([o.n_stray for o in outcomes])]), np.array([0.2]), n)
    where = np.zeros(10)
    for o in outcomes:
        for rank, entity in o.clicks:
            assert entity == RESULTS[rank - 1]
            where[rank - 1] += 1
    assert _within(where / n, np.full(10, 0.02), n)


def test_stray_click_comes_after_the_judged_ones():
    model = PositionBasedClicks(eta=0.0, p_relevant=1.0, p_irrelevant=0.0, p_stray=1.0)
    out = model.clicks(RESULTS, {"e6"}, np.random.default_rng(4))
    assert out.clicks[0] == (6, "e6") and out.n_stray == 1 and len(out.clicks) == 2 and out.satisfied


# --------------------------------------------------------------------------- cascade


def test_cascade_stops_after_a_satisfying_click():
    model = CascadeClicks(p_relevant=1.0, p_irrelevant=0.0, p_continue=1.0)
    out = model.clicks(RESULTS, {"e3", "e5"}, np.random.default_rng(0))
    assert out.clicks == ((3, "e3"),) and out.examined == 3


def test_cascade_abandons_when_the_user_does_not_continue():
    model = CascadeClicks(p_relevant=1.0, p_irrelevant=0.0, p_continue=0.0)
    out = model.clicks(RESULTS, {"e2"}, np.random.default_rng(0))
    assert out.clicks == () and out.examined == 1 and not out.satisfied


def test_cascade_examination_decays_geometrically():
    """Nothing is clicked: the user reads rank r with probability p_continue ** (r - 1)."""
    model = CascadeClicks(p_relevant=0.0, p_irrelevant=0.0, p_continue=0.8)
    n = 6000
    depth = np.array([o.examined for o in _draws(model, NONE, n, seed=5)])
    reached = np.array([(depth >= r).mean() for r in range(1, 11)])
    assert _within(reached, 0.8 ** np.arange(10), n)


def test_dependent_clicks_go_on_after_satisfaction_at_their_rate():
    """Every result satisfies: click count is geometric in p_continue_satisfied (capped by the list)."""
    model = CascadeClicks(p_relevant=1.0, p_irrelevant=0.0, p_continue=1.0, p_continue_satisfied=0.5)
    n = 6000
    counts = np.array([len(o.clicks) for o in _draws(model, ALL, n, seed=6)])
    at_least = np.array([(counts >= c).mean() for c in range(1, 11)])
    assert _within(at_least, 0.5 ** np.arange(10), n)
    capped = CascadeClicks(p_relevant=1.0, p_irrelevant=0.0, p_continue_satisfied=1.0, max_clicks=4)
    assert len(capped.clicks(RESULTS, ALL, np.random.default_rng(0)).clicks) == 4


# --------------------------------------------------------------------------- randomness


def test_same_generator_state_gives_the_same_clicks_and_seeds_differ():
    model = PositionBasedClicks(max_clicks=3, p_stray=0.1)
    a = [model.clicks(RESULTS, {"e2", "e9"}, np.random.default_rng([7, s])) for s in range(50)]
    b = [model.clicks(RESULTS, {"e2", "e9"}, np.random.default_rng([7, s])) for s in range(50)]
    c = [model.clicks(RESULTS, {"e2", "e9"}, np.random.default_rng([8, s])) for s in range(50)]
    assert a == b and a != c


@pytest.mark.parametrize("model", [PositionBasedClicks(eta=0.7, max_clicks=10, p_irrelevant=0.3),
                                   CascadeClicks(p_irrelevant=0.3, p_continue_satisfied=0.5)])
def test_common_random_numbers_across_lists(model):
    """Two policies' lists that agree on the first five ranks get the same clicks there, whatever
    their lengths: each rank meets the same random numbers in every list."""
    long_list = RESULTS
    short_list = RESULTS[:5] + ["x1", "x2"]
    relevant = {"e2", "e4", "e8"}
    for s in range(200):
        a = model.clicks(long_list, relevant, np.random.default_rng([1, s]))
        b = model.clicks(short_list, relevant, np.random.default_rng([1, s]))
        judged_a = [c for c in a.clicks[:len(a.clicks) - a.n_stray] if c[0] <= 5]
        judged_b = [c for c in b.clicks[:len(b.clicks) - b.n_stray] if c[0] <= 5]
        assert judged_a == judged_b


def test_empty_list_gives_no_click():
    for model in (PositionBasedClicks(p_stray=1.0), CascadeClicks(p_stray=1.0)):
        out = model.clicks([], {"e1"}, np.random.default_rng(0))
        assert out.clicks == () and not out.satisfied and out.first_click is None and out.n_stray == 0


# --------------------------------------------------------------------------- construction and validation


@pytest.mark.parametrize("cls, kwargs, message", [
    (PositionBasedClicks, {"eta": -1}, "eta must be"),
    (PositionBasedClicks, {"eta": float("inf")}, "eta must be"),
    (PositionBasedClicks, {"p_relevant": 1.5}, "p_relevant must be a number between 0 and 1"),
    (PositionBasedClicks, {"p_irrelevant": -0.1}, "p_irrelevant must be a number between 0 and 1"),
    (PositionBasedClicks, {"max_clicks": 0}, "max_clicks must be"),
    (PositionBasedClicks, {"p_stray": 2}, "p_stray must be a number between 0 and 1"),
    (CascadeClicks, {"p_continue": True}, "p_continue must be a number between 0 and 1"),
    (CascadeClicks, {"p_continue_satisfied": -1}, "p_continue_satisfied must be a number between 0 and 1"),
    (CascadeClicks, {"max_clicks": 1.5}, "max_clicks must be"),
])
def test_models_validate(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls(**kwargs)


def test_factory_and_parser():
    assert make_click_model("cascade", p_continue=0.5) == CascadeClicks(p_continue=0.5)
    assert parse_click_model("pbm:eta=1.5, max_clicks=3,p_stray=0.05") == \
        PositionBasedClicks(eta=1.5, max_clicks=3, p_stray=0.05)
    assert parse_click_model("Cascade") == CascadeClicks()
    with pytest.raises(ValueError, match="unknown click model 'dbn'"):
        make_click_model("dbn")
    with pytest.raises(ValueError, match="unknown setting.*gamma"):
        make_click_model("pbm", gamma=0.5)
    with pytest.raises(ValueError, match="must look like name=value"):
        parse_click_model("pbm:eta")
    with pytest.raises(ValueError, match="needs a number"):
        parse_click_model("pbm:eta=steep")
    with pytest.raises(ValueError, match="click model spec"):
        parse_click_model("  ")
