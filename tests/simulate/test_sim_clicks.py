"""Click models: position bias, satisfaction, stopping rules, reproducibility, validation."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.simulate.clicks import CascadeClicks, PositionBasedClicks, make_click_model

RESULTS = [f"e{i}" for i in range(1, 11)]


def test_pbm_examination_follows_one_over_rank():
    model = PositionBasedClicks(eta=1.0, p_relevant=1.0, p_irrelevant=0.0, max_clicks=10)
    rng = np.random.default_rng(0)
    n = 4000
    clicked = np.zeros(10)
    for _ in range(n):
        for rank, _ in model.clicks(RESULTS, set(RESULTS), rng).clicks:
            clicked[rank - 1] += 1
    expected = 1.0 / np.arange(1, 11)
    # Binomial standard error at n=4000 is at most 0.008: 4 of them is a generous but real bound.
    assert np.all(np.abs(clicked / n - expected) < 0.032)


def test_pbm_clicks_only_what_satisfies_without_noise():
    model = PositionBasedClicks(eta=0.0, p_relevant=1.0, p_irrelevant=0.0)
    out = model.clicks(RESULTS, {"e4", "e7"}, np.random.default_rng(1))
    assert out.clicks == ((4, "e4"),)
    assert out.satisfied
    none = model.clicks(RESULTS, {"elsewhere"}, np.random.default_rng(1))
    assert none.clicks == () and not none.satisfied


def test_pbm_stray_click_is_not_satisfaction():
    model = PositionBasedClicks(eta=0.0, p_relevant=1.0, p_irrelevant=1.0)
    out = model.clicks(RESULTS, {"e3"}, np.random.default_rng(2))
    assert out.clicks == ((1, "e1"),) and not out.satisfied


def test_cascade_stops_after_a_satisfying_click():
    model = CascadeClicks(p_relevant=1.0, p_irrelevant=0.0, p_continue=1.0)
    out = model.clicks(RESULTS, {"e3", "e5"}, np.random.default_rng(0))
    assert out.clicks == ((3, "e3"),) and out.examined == 3


def test_cascade_abandons_when_the_user_does_not_continue():
    model = CascadeClicks(p_relevant=1.0, p_irrelevant=0.0, p_continue=0.0)
    out = model.clicks(RESULTS, {"e2"}, np.random.default_rng(0))
    assert out.clicks == () and out.examined == 1 and not out.satisfied


def test_same_generator_state_gives_the_same_clicks():
    model = PositionBasedClicks()
    a = [model.clicks(RESULTS, {"e2", "e9"}, np.random.default_rng([7, s])) for s in range(50)]
    b = [model.clicks(RESULTS, {"e2", "e9"}, np.random.default_rng([7, s])) for s in range(50)]
    assert a == b


def test_empty_list_gives_no_click():
    for model in (PositionBasedClicks(), CascadeClicks()):
        out = model.clicks([], {"e1"}, np.random.default_rng(0))
        assert out.clicks == () and not out.satisfied and out.first_click is None


@pytest.mark.parametrize("kwargs, message", [
    ({"eta": -1}, "eta must be"),
    ({"p_relevant": 1.5}, "p_relevant must be a probability"),
    ({"p_irrelevant": -0.1}, "p_irrelevant must be a probability"),
    ({"max_clicks": 0}, "max_clicks must be"),
])
def test_pbm_validates(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PositionBasedClicks(**kwargs)


def test_factory():
    assert isinstance(make_click_model("cascade", p_continue=0.5), CascadeClicks)
    with pytest.raises(ValueError, match="unknown click model 'dbn'"):
        make_click_model("dbn")
