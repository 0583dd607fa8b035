"""Swap interventions and the position-bias estimate they allow (ltrr.rank.position)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from ltrr.rank.position import (
    ShownSearch, Swap, SwapTally, apply_swap, draw_swap, estimate_position_bias, no_swap, pbm_curve, prior_bias,
    search_weights, searches_from_log,
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
    assert {s.p for s in swaps} == {0.25} and {s.share for s in swaps} == {1.0}
    drawn = sum(draw_swap(rng, 0.1) is not None for _ in range(5000))
    assert 400 < drawn < 600
    with pytest.raises(ValueError, match="share"):
        draw_swap(rng, 1.5)


def test_the_swap_is_drawn_within_the_list_shown():
    rng = np.random.default_rng(3)
    swaps = [draw_swap(rng, 1.0, k=10, n=4) for _ in range(3000)]
    positions = np.bincount([s.pos for s in swaps], minlength=4)[1:]
    assert positions.sum() == 3000 and positions.min() > 900             # uniform over 1..3, never beyond
    assert {s.p for s in swaps} == {1 / 3}
    assert {s.p for s in (draw_swap(rng, 0.5, k=10, n=25) for _ in range(50)) if s} == {0.5 / 9}
    assert all(draw_swap(rng, 1.0, k=10, n=n) is None for n in (0, 1))  # nothing to swap
    # Two uniforms per draw whatever the list: later draws do not depend on earlier lengths.
    a, b = np.random.default_rng(9), np.random.default_rng(9)
    for n in (0, 1, 3, 10, 40):
        draw_swap(a, 0.3, n=n)
        draw_swap(b, 0.3, n=10)
    assert a.random() == b.random()
    # The logged record of a search that could have been swapped and was not.
    assert no_swap(0.1, 10, 4) == Swap(0, 0.9, 0.1) and no_swap(0.1, 10, 4).to_dict() == {"pos": 0, "p": 0.9,
                                                                                          "share": 0.1}
    assert no_swap(0.1, 10, 1) is None and no_swap(0.0, 10, 5) is None
    assert apply_swap(["a", "b"], Swap(0, 0.9, 0.1)) == ["a", "b"]


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
        {"id": "s4", "results": ["a", "b", "c"], "swap": {"pos": 2, "p": 0.05, "share": 0.1}},
        {"id": "s5", "results": ["a", "b", "c"], "swap": {"pos": 0, "p": 0.9, "share": 0.1}},
        {"id": "s6", "results": ["a", "b", "c"], "swap": {"pos": 1, "p": 0}},          # cannot weigh: left out
    ]
    rows = searches_from_log(events, [("s1", "b"), ("s2", "c"), ("s3", "a"), ("s4", "a")])
    assert rows == [ShownSearch(3, Swap(1, 0.05), frozenset({2})), ShownSearch(3, None, frozenset({3})),
                    ShownSearch(3, Swap(2, 0.05, 0.1), frozenset({1})), ShownSearch(3, Swap(0, 0.9, 0.1), frozenset())]


# --------------------------------------------------------------------------- short lists of mixed length
SHORTEST, LONGEST = 3, 10


def simulate_mixed(n: int, eta: float, share: float, seed: int, design: str = "shown") -> list[ShownSearch]:
    """PBM users on lists of 3-10 results whose length goes with the query: the shorter the list,
    the more its first result stands out (an exact title), the longer, the flatter (a mood).

    ``design``: "shown" draws the swap within the list (:func:`draw_swap` with the list's length,
    a non-swap logged with :func:`no_swap`); "first" is the first design as its logs read: a swap
    over 1..k-1, kept (and logged with ``p = share/(k-1)``, no share) only when it moved something,
    nothing logged otherwise.
    """
    k = 10
    rng = np.random.default_rng(seed)
    lengths = rng.integers(SHORTEST, LONGEST + 1, n)
    sharp = ((LONGEST - lengths) / (LONGEST - SHORTEST))[:, None]
    ranks = np.arange(1, k + 1)
    relevance = sharp * np.where(ranks == 1, 0.9, 0.08) + (1 - sharp) * 0.35 * ranks ** -0.2
    relevance = np.clip(relevance * rng.uniform(0.8, 1.2, (n, k)), 0, 1)
    u_click = rng.random((n, k))
    exam = pbm_curve(eta, k)
    out = []
    for j, m in enumerate(lengths.tolist()):
        if design == "shown":
            swap = draw_swap(rng, share, k, m) or no_swap(share, k, m)
        else:
            drawn = draw_swap(rng, share, k)
            swap = Swap(drawn.pos, drawn.p) if drawn is not None and drawn.pos < m else None
        shown = apply_swap(list(range(m)), swap)
        clicks = frozenset(r for r, item in enumerate(shown, start=1)
                           if u_click[j, r - 1] < exam[r - 1] * relevance[j, item])
        out.append(ShownSearch(m, swap, clicks))
    return out


def unweighted(searches: list[ShownSearch]) -> list[ShownSearch]:
    """The same searches with every swapped and every control search weighing the same: pooling
    that ignores the logged propensities."""
    return [ShownSearch(s.n_shown, Swap(s.swap.pos, 0.5, 0.5) if s.swap is not None and s.swap.moved
                        else Swap(0, 0.5, 0.5), s.clicked_ranks) for s in searches]


def test_worked_example_of_lists_of_two_lengths():
    """The module docstring's second example: 2,000 short (2 results) and 2,000 long (5 results)
    searches, share 0.2, p = 1/rank; click counts at their expected values."""
    def rows(n, swap, count, at1, at2):
        return ([ShownSearch(n, swap, frozenset({1}))] * at1 + [ShownSearch(n, swap, frozenset({2}))] * at2
                + [ShownSearch(n, swap, frozenset())] * (count - at1 - at2))
    control = Swap(0, 0.8, 0.2)
    searches = (rows(2, control, 1600, 1440, 80) + rows(5, control, 1600, 480, 240)
                + rows(2, Swap(1, 0.2, 0.2), 400, 40, 180) + rows(5, Swap(1, 0.05, 0.2), 100, 30, 15)
                + [ShownSearch(5, Swap(pos, 0.05, 0.2), frozenset()) for pos in (2, 3, 4) for _ in range(100)])
    bias = estimate_position_bias(searches, k=2)
    assert bias.ratios[0] == pytest.approx(0.5) and bias.eta == pytest.approx(1.0)
    assert bias.n_swapped[0] == 500                       # swapped at 2-4: in neither group of pair 1
    naive = estimate_position_bias(unweighted(searches), k=2)
    assert naive.ratios[0] == pytest.approx(0.49 / 0.74) and naive.eta == pytest.approx(0.595, abs=0.001)


@pytest.mark.parametrize("eta", [1.0, 1.5])
def test_recovers_the_exponent_from_short_lists_of_mixed_length(eta):
    """Tolerance, measured over 20 other seeds (1000-1019) of this setting (100,000 searches, 30 %
    swaps): the estimate's standard deviation was 0.023 (eta 1) and 0.027 (eta 1.5), largest
    error 0.055; 0.1 is 3.7 standard deviations. The truth lay in the 99.9 % interval on every
    seed. Pooled without the weights the estimate was 0.19-0.20 too low on average (sd 0.02, the
    smallest error 0.15): 0.12 leaves three standard deviations. The first design's logs, read
    with their logged p: sd 0.024 and 0.036, largest error 0.079; tolerance 0.13."""
    searches = simulate_mixed(100_000, eta, share=0.3, seed=int(eta * 10))
    bias = estimate_position_bias(searches, confidence=0.999)
    assert bias.source == "swaps"
    assert abs(bias.eta - eta) < 0.1, bias.to_dict()
    assert bias.eta_ci[0] < eta < bias.eta_ci[1]
    # Short lists are over-represented among the swapped searches and their first result stands
    # out: pooled without the weights, rank 2 looks better examined than it is.
    naive = estimate_position_bias(unweighted(searches))
    assert naive.eta < eta - 0.12 and naive.eta_ci[1] < eta, naive.to_dict()
    # Logs of the first design (swaps over 1..9, read with their logged p) are read correctly too.
    first = estimate_position_bias(simulate_mixed(100_000, eta, share=0.3, seed=int(eta * 10), design="first"),
                                   confidence=0.999)
    assert abs(first.eta - eta) < 0.13 and first.eta_ci[0] < eta < first.eta_ci[1], first.to_dict()
    assert any("first design" in note for note in first.notes)


def test_short_lists_get_every_swap_they_draw():
    """Lists of 3-6 results: with the swap drawn within the list every swapped search moves two
    results; drawn over 1..9 only (n - 1) / 9 of them did, 3.5 / 9 on average. So the usable
    swapped searches grow by 9 / 3.5 = 2.57 (tolerance: four standard errors of the ratio of two
    binomial counts)."""
    n, share = 40_000, 0.1
    shown = simulate_mixed(n, 1.0, share, seed=7)
    first = simulate_mixed(n, 1.0, share, seed=8, design="first")
    def usable(searches):
        return sum(1 for s in searches if s.n_shown <= 6 and s.swap is not None and s.swap.moved)
    short = [sum(1 for s in x if s.n_shown <= 6) for x in (shown, first)]
    new, old = usable(shown), usable(first)
    assert new == pytest.approx(share * short[0], rel=0.1)
    ratio = (new / short[0]) / (old / short[1])
    se = ratio * np.sqrt(1 / new + 1 / old)
    assert abs(ratio - 9 / 3.5) < 4 * se, (new, old, ratio, se)
    # And the estimator counts them: every one of the short lists' swaps is a usable swapped search.
    bias = estimate_position_bias([s for s in shown if s.n_shown <= 6])
    assert bias.n_swapped.sum() == new


def test_first_design_controls_are_weighted_by_their_chance_of_no_swap():
    """Nothing was logged for an unswapped search of the first design: with p = share/(k-1) per
    position and n - 1 positions that could move a list of n, it stayed unswapped with chance
    1 - (n-1) p."""
    p1 = round(0.1 / 9, 6)
    searches = [ShownSearch(3, Swap(1, p1), frozenset()), ShownSearch(10, Swap(4, p1), frozenset()),
                ShownSearch(3, None, frozenset()), ShownSearch(10, None, frozenset()),
                ShownSearch(1, None, frozenset())]
    weights, found = search_weights(searches)
    assert found == p1
    np.testing.assert_allclose(weights, [1 / p1, 1 / p1, 1 / (1 - 2 * p1), 1 / (1 - 9 * p1), 1.0])
    # In a log of the current design a search with nothing logged could not be swapped: weight 1.
    current = [ShownSearch(4, Swap(2, 0.1 / 3, 0.1), frozenset()), ShownSearch(4, Swap(0, 0.9, 0.1), frozenset()),
               ShownSearch(1, None, frozenset())]
    weights, found = search_weights(current)
    assert found is None
    np.testing.assert_allclose(weights, [30.0, 1 / 0.9, 1.0])


def test_the_logged_swap_field_is_validated():
    from ltrr.events import EventError, rank_fields

    for ok in ({"pos": 2, "p": 0.05, "share": 0.1}, {"pos": 0, "p": 0.9, "share": 0.1}, {"pos": 1, "p": 0.011111}):
        assert rank_fields(swap=ok) == {"swap": ok}
    for bad in ({"pos": -1, "p": 0.1}, {"pos": 1, "p": 0}, {"pos": 1, "p": 1.5}, {"pos": 1, "p": 0.1, "share": 2},
                {"pos": 1.5, "p": 0.1}, {"p": 0.1}):
        with pytest.raises(EventError, match="swap"):
            rank_fields(swap=bad)


def direct_ratios(searches: list[ShownSearch], k: int = 10) -> np.ndarray:
    """The ratio of every pair computed the plain way: per pair, weighted click rates of the swapped
    and control searches long enough to have rank i+1 (the module docstring's formula)."""
    weights, _ = search_weights(searches)
    out = np.full(k - 1, np.nan)
    for i in range(1, k):
        def rate(group, rank):
            w = np.array([weights[j] for j in group])
            return float((w * [rank in searches[j].clicked_ranks for j in group]).sum() / w.sum())
        long_enough = [j for j, s in enumerate(searches) if s.n_shown >= i + 1]
        swapped = [j for j in long_enough if searches[j].swap is not None and searches[j].swap.pos == i]
        control = [j for j in long_enough if searches[j].swap is None or searches[j].swap.pos == 0]
        if swapped and control:
            out[i - 1] = (rate(swapped, i + 1) + rate(control, i + 1)) / (rate(control, i) + rate(swapped, i))
    return out


@pytest.mark.parametrize("design", ["shown", "first"])
def test_the_tally_adds_searches_and_later_clicks_to_the_plain_estimate(design):
    """The estimate is a function of sums: searches tallied as they are shown and their clicks as
    they arrive, with a checkpoint in between, give the plain per-pair ratios and the same estimate
    as the whole list at once."""
    searches = simulate_mixed(6000, 1.0, 0.3, seed=3, design=design)
    np.testing.assert_allclose(estimate_position_bias(searches).ratios, direct_ratios(searches), rtol=1e-12)
    tally = SwapTally()
    for s in searches[:3000]:
        tally.add_search(s.n_shown, s.swap)
    tally = SwapTally.from_state(json.loads(json.dumps(tally.state_dict())))
    for s in searches[:3000]:
        for rank in s.clicked_ranks:
            tally.add_click(s.n_shown, s.swap, rank)
    for s in searches[3000:]:
        tally.add(s)
    assert tally.estimate().to_dict() == estimate_position_bias(searches).to_dict()
    with pytest.raises(ValueError, match="tally"):
        SwapTally.from_state({"k": 10})
