"""Demand over time: the Zipf pool of repeated queries and the drift event's trending set."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ltrr.simulate.demand import DriftPlan, QueryPool, plan_drift
from ltrr.simulate.catalog_view import CatalogView


@pytest.mark.parametrize("exponent", [0.0, 0.8, 1.5])
def test_pool_draws_follow_zipf(exponent):
    pool = QueryPool([f"q{i}" for i in range(20)], exponent, share=1.0)
    expected = 1.0 / np.arange(1, 21) ** exponent
    expected /= expected.sum()
    assert np.allclose(pool.probabilities, expected)
    rng = np.random.default_rng(0)
    n = 20000
    observed = np.bincount([pool.draw(rng) for _ in range(n)], minlength=21)[1:] / n
    se = np.sqrt(expected * (1 - expected) / n)
    assert np.all(np.abs(observed - expected) <= 4 * se)


def test_pool_is_built_from_successful_draws_in_order():
    made = iter([None, "a", None, "b", "c", "d"])
    pool = QueryPool.generate(lambda rng: next(made), 3, 1.0, 0.5, np.random.default_rng(0))
    assert pool.entries == ["a", "b", "c"] and pool.share == 0.5
    with pytest.raises(ValueError, match="produced no query"):
        QueryPool.generate(lambda rng: None, 3, 1.0, 0.5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="at least one"):
        QueryPool([], 1.0, 0.5)


def test_new_releases_are_the_newest_tracks(view):
    plan = plan_drift(view, 10, 0.5, 2, seed=0)
    # The tiny catalog's two newest tracks: Rainy Day Blues (2024) and Kill Bill (2022).
    assert view.ids[plan.new_rows].tolist() == ["track:rainy", "track:kill"]
    assert plan.phase(9) == "before" and plan.phase(10) == "after"
    ids = plan.entity_ids(view)
    assert ids["artist"] in {"artist:taylor", "artist:nas"}, "the only artists with three tracks"
    assert len(ids["artist_tracks"]) == 3


def _artists_frame(n: int) -> pd.DataFrame:
    """`n` artists of popularity 0, 5, 10, ... with three tracks each."""
    return pd.DataFrame({
        "entity_id": [f"artist:{i}" for i in range(n)] + [f"track:{i}-{j}" for i in range(n) for j in range(3)],
        "entity_type": ["artist"] * n + ["track"] * 3 * n,
        "title": [f"Artist {i}" for i in range(n)] + [f"Song {i} {j}" for i in range(n) for j in range(3)],
        "subtitle": [""] * n + [f"Artist {i}" for i in range(n) for j in range(3)],
        "genre": "pop", "popularity": [float(5 * i) for i in range(n)] + [50.0] * 3 * n,
        "artist_id": [f"artist:{i}" for i in range(n)] + [f"artist:{i}" for i in range(n) for j in range(3)],
        "release_date": pd.Timestamp("2020-01-01"),
    })


def test_the_trending_artist_is_mid_popularity_and_seeded():
    view = CatalogView(_artists_frame(20))
    picked = {plan_drift(view, 1, 0.5, 5, seed=s).artist_row for s in range(40)}
    pops = sorted(view.popularity[list(picked)].tolist())
    # Popularity 0..95: the 40-60% band is 38..57, so artists at 40, 45, 50 and 55.
    assert pops == [40.0, 45.0, 50.0, 55.0]
    again = plan_drift(view, 1, 0.5, 5, seed=3)
    assert plan_drift(view, 1, 0.5, 5, seed=3).entity_ids(view) == again.entity_ids(view)
    assert view.ids[again.artist_track_rows].tolist() == [
        f"track:{view.ids[again.artist_row].split(':')[1]}-{j}" for j in range(3)]


def test_trending_picks_split_between_new_releases_and_the_artist():
    frame = _artists_frame(20)
    # Later artists release later: the newest tracks are the star's (popularity 95), not the trending one's.
    frame["release_date"] = [pd.Timestamp("2020-01-01") + pd.Timedelta(days=i) for i in range(len(frame))]
    view = CatalogView(frame)
    plan = plan_drift(view, 1, 0.5, 3, seed=0)
    new, own = set(plan.new_rows.tolist()), set(plan.artist_track_rows.tolist())
    assert view.ids[plan.new_rows].tolist() == ["track:19-2", "track:19-1", "track:19-0"] and not new & own
    rng = np.random.default_rng(0)
    n = 4000
    picks = [plan.pick("track", view, rng) for _ in range(n)]
    assert set(picks) <= new | own
    assert abs(np.mean([p in new for p in picks]) - 0.5) <= 4 * np.sqrt(0.25 / n)
    assert plan.pick("artist", view, rng) == plan.artist_row
    assert plan.pick("playlist", view, rng) is None


def test_a_catalog_without_artists_still_has_new_releases():
    frame = _artists_frame(3)
    frame = frame[frame["entity_type"] == "track"]
    plan = plan_drift(CatalogView(frame), 1, 0.5, 4, seed=0)
    assert plan.artist_row is None and len(plan.new_rows) == 4 and len(plan.artist_track_rows) == 0
    assert isinstance(plan, DriftPlan)


def test_asking_what_just_came_out_accepts_new_tracks_and_albums_out_as_recently():
    frame = _artists_frame(2)
    dates = {"track:0-0": "2024-03-01", "track:0-1": "2024-02-01", "track:1-0": "2023-01-01"}
    frame["release_date"] = [pd.Timestamp(dates.get(e, "2019-01-01")) for e in frame["entity_id"]]
    albums = pd.DataFrame({"entity_id": ["album:new", "album:old"], "entity_type": "album",
                           "title": ["Fresh Album", "Old Album"], "subtitle": "Artist 0", "genre": "pop",
                           "popularity": 10.0, "artist_id": "artist:0",
                           "release_date": [pd.Timestamp("2024-02-15"), pd.Timestamp("2023-06-01")]})
    view = CatalogView(pd.concat([frame, albums], ignore_index=True))
    plan = plan_drift(view, 1, 0.5, 2, seed=0, release_share=0.3)
    assert view.ids[plan.new_rows].tolist() == ["track:0-0", "track:0-1"]
    # The album out after the older of the two new tracks is news too; the 2023 album is not.
    assert sorted(view.ids[plan.release_rows(view)]) == ["album:new", "track:0-0", "track:0-1"]
    assert plan.entity_ids(view)["release_share"] == 0.3
