"""The synthetic catalog's random draws: one reproducible generator per step."""
from __future__ import annotations

import numpy as np

from ltrr.catalog.synthetic_draws import choice, pick, step_rng, zipf_weights


def test_each_step_has_its_own_reproducible_generator():
    assert step_rng(7, 3, 0).random() == step_rng(7, 3, 0).random()
    assert step_rng(7, 3, 0).random() != step_rng(7, 3, 1).random()
    assert step_rng(7, 1).random() != step_rng(8, 1).random()


def test_zipf_weights_fall_with_rank_and_sum_to_one():
    w = zipf_weights(5, 1.0)
    assert np.isclose(w.sum(), 1.0)
    assert np.all(np.diff(w) < 0)
    assert np.allclose(zipf_weights(4, 0.0), 0.25)


def test_pick_favours_the_first_words_when_weighted():
    words = tuple(f"w{i}" for i in range(20))
    flat = pick(step_rng(0), words, 5_000)
    weighted = pick(step_rng(0), words, 5_000, exponent=1.0)
    assert set(flat) <= set(words) and len(flat) == 5_000
    assert (weighted == "w0").sum() > 3 * (flat == "w0").sum()


def test_choice_returns_one_of_the_options():
    rng = step_rng(0)
    options = ("a", "b", "c")
    assert {choice(rng, options) for _ in range(200)} == set(options)
