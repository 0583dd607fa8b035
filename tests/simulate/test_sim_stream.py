"""The stream of simulated searches: reproducible from its seed, repetition by a Zipf law over a
pool of popular instances, drift toward a trending set, and its argument checks."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ltrr.simulate import vocab
from ltrr.simulate.demand import plan_drift
from ltrr.simulate.query_types import DRIFT_TYPES, QUERY_TYPES
from ltrr.simulate.stream import STREAM_COLUMNS, generate_stream, stream_frame
from ltrr.simulate.world import DEFAULT


def test_stream_is_reproducible_and_seed_dependent(view):
    a = stream_frame(generate_stream(view, 200, seed=3))
    b = stream_frame(generate_stream(view, 200, seed=3))
    c = stream_frame(generate_stream(view, 200, seed=4))
    assert a.equals(b)
    assert not a.equals(c)
    # Every type the default world asks (all but the second world's playlist-tracks asks).
    assert set(a["query_type"]) == set(DEFAULT.weights) == set(QUERY_TYPES) - {"playlist_tracks"}


@pytest.mark.parametrize("steps", [-1, 1.5, "10", True])
def test_bad_step_counts_are_rejected(view, steps):
    with pytest.raises(ValueError, match="steps must be a non-negative integer"):
        generate_stream(view, steps, seed=0)


# --------------------------------------------------------------------------- repetition


def test_repetition_follows_a_zipf_law_over_the_pool(view):
    stream = generate_stream(view, 4000, seed=2, repeat_share=0.5, zipf_exponent=1.2, query_pool=50)
    ranks = np.array([it.instance for it in stream if it.is_repeat])
    n = len(stream)
    assert abs(len(ranks) / n - 0.5) <= 4 * np.sqrt(0.25 / n)
    expected = 1.0 / np.arange(1, 51) ** 1.2
    expected /= expected.sum()
    observed = np.bincount(ranks, minlength=51)[1:] / len(ranks)
    se = np.sqrt(expected * (1 - expected) / len(ranks))
    assert np.all(np.abs(observed - expected) <= 4 * se + 1e-3)
    # The exponent is a real setting: flat popularity spreads the same repeats thin.
    flat = generate_stream(view, 4000, seed=2, repeat_share=0.5, zipf_exponent=0.0, query_pool=50)
    flat_top = np.mean([it.instance == 1 for it in flat if it.is_repeat])
    assert flat_top < observed[0] / 4


def test_a_repeated_instance_is_the_same_query_and_intent(view):
    stream = generate_stream(view, 1500, seed=4, repeat_share=0.6, query_pool=20)
    by_instance: dict[int, set] = {}
    for it in stream:
        if it.is_repeat:
            key = (it.query_type, it.query, it.intent.target if it.intent.kind == "target" else None)
            by_instance.setdefault(it.instance, set()).add(key)
    assert len(by_instance) >= 10
    assert all(len(keys) == 1 for keys in by_instance.values())
    # Repetition makes popular queries recur; without it the same stream repeats far less.
    again = sum(n - 1 for n in pd.Series([it.query for it in stream]).value_counts() if n > 1)
    none = generate_stream(view, 1500, seed=4, repeat_share=0.0)
    assert all(it.instance is None for it in none)
    again_none = sum(n - 1 for n in pd.Series([it.query for it in none]).value_counts() if n > 1)
    assert again > again_none


# --------------------------------------------------------------------------- drift


def test_drift_sends_demand_to_the_newest_releases_and_a_trending_artist(view):
    plan = plan_drift(view, 200, 0.6, 2, seed=0)
    trending = set(view.ids[plan.new_rows]) | set(view.ids[plan.artist_track_rows]) | {view.ids[plan.artist_row]}
    stream = generate_stream(view, 800, seed=0, drift_step=200, drift_share=0.6, drift_new_releases=2)
    assert [it.phase for it in stream] == ["before"] * 199 + ["after"] * 601
    before = [it for it in stream if it.phase == "before"]
    after = [it for it in stream if it.phase == "after"]
    assert not any(it.trending for it in before)
    share = np.mean([it.trending for it in after])
    assert abs(share - 0.6) <= 4 * np.sqrt(0.24 / len(after))
    new_ids = set(view.ids[plan.new_rows])
    asks = [it for it in after if it.query_type == "new_releases"]
    for it in after:
        if it.trending and it.query_type != "new_releases":
            assert it.query_type in DRIFT_TYPES and it.intent.target in trending
    # The default share (0.4) of trending searches ask what just came out: any new release will do.
    assert abs(len(asks) / sum(it.trending for it in after) - 0.4) <= 0.1
    accepted = set(view.ids[plan.release_rows(view)])
    assert new_ids <= accepted and all(view.types[view.row_of[i]] in ("track", "album") for i in accepted)
    assert all(it.trending and it.relevant == frozenset(accepted) and it.intent.target is None for it in asks)
    assert {it.query.lower() for it in asks} <= set(vocab.RELEASE_ASKS)
    assert not any(it.query_type == "new_releases" for it in before)
    demand = lambda part: np.mean([it.intent.target in trending or it.query_type == "new_releases"  # noqa: E731
                                   for it in part])
    assert demand(after) >= demand(before) + 0.3
    off = generate_stream(view, 800, seed=0, drift_step=200, drift_share=0.6, drift_new_releases=2,
                          drift_release_share=0.0)
    assert not any(it.query_type == "new_releases" for it in off)


def test_no_drift_without_a_step_and_no_trending_without_title_types(view):
    plain = generate_stream(view, 200, seed=1)
    assert {it.phase for it in plain} == {"before"} and not any(it.trending for it in plain)
    broad = generate_stream(view, 200, seed=1, query_types=["genre_era"], drift_step=50)
    assert not any(it.trending for it in broad) and broad[-1].phase == "after"


def test_stream_with_drift_and_repetition_is_reproducible(view):
    kwargs = dict(drift_step=100, repeat_share=0.4, zipf_exponent=0.8, query_pool=30)
    a = stream_frame(generate_stream(view, 300, seed=5, **kwargs))
    b = stream_frame(generate_stream(view, 300, seed=5, **kwargs))
    assert list(a.columns) == STREAM_COLUMNS and a.equals(b)
    assert a["instance"].notna().any() and a["trending"].any()


@pytest.mark.parametrize("kwargs, message", [
    ({"repeat_share": 1.5}, "repeat_share must be a number between 0 and 1"),
    ({"zipf_exponent": -1.0}, "zipf_exponent must be a finite number"),
    ({"zipf_exponent": float("nan")}, "zipf_exponent must be a finite number"),
    ({"query_pool": 0}, "query_pool must be an integer >= 1"),
    ({"drift_step": 0}, "drift_step must be an integer >= 1"),
    ({"drift_step": 2.5}, "drift_step must be an integer >= 1"),
    ({"drift_share": -0.1}, "drift_share must be a number between 0 and 1"),
    ({"drift_new_releases": 0}, "drift_new_releases must be an integer >= 1"),
])
def test_bad_stream_settings_are_rejected(view, kwargs, message):
    with pytest.raises(ValueError, match=message):
        generate_stream(view, 10, seed=0, **kwargs)
