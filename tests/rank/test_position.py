"""Swap interventions and the position-bias estimate they allow (ltrr.rank.position)."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.rank.position import (
    ShownSearch, Swap, apply_swap, draw_swap, estimate_position_bias, pbm_curve, prior_bias, searches_from_log,
)


def simulate(n: int, eta: float, share: float, seed: int, k: int = 10) -> list[ShownSearch]:
    """PBM users on lists whose relevance falls with rank (the logging ranker is decent)."""
    rng = np.random.default_rng(seed)
    exam = pbm_curve(eta, k)
    out = []
    for _ in range(n):
        relevance = np.clip(0.7 / np.arange(1, k + 1) ** 0.7 * rng.uniform(0.5, 1.5, k), 0, 1)
        swap = draw_swap(rng, share, k)
        shown = apply_swap(list(range(k)), swap)
        clicks = frozenset(r for r, item in enumerate(shown, start=1)
                           if rng.random() < exam[r - 1] * relevance[item])
        out.append(ShownSearch(k, swap, clicks))
    return out


def test_draw_swap_share_and_propensity():
    rng = np.random.default_rng(0)
    assert all(draw_swap(rng, 0.0) is None for _ in range(200))
    swaps = [draw_swap(rng, 1.0, k=5) for _ in range(4000)]
    positions = np.bincount([s.pos for s in swaps], minlength=5)[1:]
    assert positions.sum() == 4000 and positions.min() > 900            # uniform over 1..4
    assert {s.p for s in swaps} == {0.25}
    drawn = sum(draw_swap(rng, 0.1) is not None for _ in range(5000))
    assert 400 < drawn < 600
    with pytest.raises(ValueError, match="share"):
        draw_swap(rng, 1.5)


def test_apply_swap():
    assert apply_swap(["a", "b", "c"], Swap(2, 0.1)) == ["a", "c", "b"]
    assert apply_swap(["a", "b", "c"], Swap(3, 0.1)) == ["a", "b", "c"]       # nothing below position 3
    assert apply_swap(["a", "b"], None) == ["a", "b"]


def test_worked_example_of_the_docstring():
    # Control: A (r = 0.6) at rank 1, B (r = 0.2) at rank 2; swapped: B first. p = 1/rank.
    # 1000 searches each, click counts at their expected values.
    control = ([ShownSearch(2, None, frozenset({1}))] * 600 + [ShownSearch(2, None, frozenset({2}))] * 100
               + [ShownSearch(2, None, frozenset())] * 300)
    swapped = ([ShownSearch(2, Swap(1, 0.1), frozenset({1}))] * 200
               + [ShownSearch(2, Swap(1, 0.1), frozenset({2}))] * 300
               + [ShownSearch(2, Swap(1, 0.1), frozenset())] * 500)
    bias = estimate_position_bias(control + swapped, k=2)
    assert bias.ratios[0] == pytest.approx(0.5)
    assert bias.source == "swaps" and bias.eta == pytest.approx(1.0)
    # The naive control-only ratio (0.1 / 0.6) mixes position with relevance.
    assert 0.1 / 0.6 != pytest.approx(bias.ratios[0], abs=0.2)


@pytest.mark.parametrize("eta", [0.5, 1.0, 1.5])
def test_recovers_the_exponent_of_a_position_based_model(eta):
    bias = estimate_position_bias(simulate(30_000, eta, share=0.3, seed=int(eta * 10)))
    assert bias.source == "swaps"
    assert abs(bias.eta - eta) < 0.15, bias.to_dict()
    assert bias.eta_ci[0] < eta < bias.eta_ci[1] or abs(bias.eta - eta) < 0.05
    assert bias.propensity[0] == 1.0 and np.all(np.diff(bias.propensity) <= 0)


def test_without_swaps_the_prior_is_used_and_says_so():
    bias = estimate_position_bias(simulate(2000, 1.0, share=0.0, seed=1))
    assert bias.source == "prior" and bias.eta == 1.0 and "prior" in bias.notes[0]
    np.testing.assert_allclose(bias.propensity, pbm_curve(1.0))
    assert prior_bias().at(3) == pytest.approx(1 / 3)
    assert prior_bias().at(None) == prior_bias().at(10) == pytest.approx(0.1)
    assert prior_bias(eta=3.0).at(10) == 0.05                              # clipped: weights stay bounded


def test_searches_from_log_reads_swaps_and_clicks_and_skips_interleaved():
    events = [
        {"id": "s1", "results": ["a", "b", "c"], "swap": {"pos": 1, "p": 0.05}},
        {"id": "s2", "results": ["a", "b", "c"]},
        {"id": "s3", "results": ["a", "b"], "interleave": {"a": "heuristic", "b": "lightgbm v1"}},
    ]
    rows = searches_from_log(events, [("s1", "b"), ("s2", "c"), ("s3", "a")])
    assert rows == [ShownSearch(3, Swap(1, 0.05), frozenset({2})), ShownSearch(3, None, frozenset({3}))]
