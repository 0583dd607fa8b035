"""The synthetic catalog's albums: the plan that groups tracks, and the albums' rows."""
from __future__ import annotations

import numpy as np

from ltrr.catalog.synthetic_albums import plan_albums
from ltrr.catalog.synthetic_artists import make_artists
from ltrr.catalog.synthetic_codes import REFERENCE_DAY
from tests.catalog.sql import scalar as _scalar


def test_the_plan_groups_every_track_into_one_album_of_its_artist():
    tracks = 3_000
    artists = make_artists(tracks, seed=1)
    plan = plan_albums(artists, tracks, seed=1)
    assert len(plan.track_artist) == len(plan.track_album) == plan.album_size.sum() == tracks
    assert set(plan.track_artist) == set(range(len(artists)))
    assert np.array_equal(plan.album_artist[plan.track_album], plan.track_artist)
    assert np.array_equal(plan.album_start, np.searchsorted(plan.track_album, np.arange(len(plan.album_size))))
    assert set(plan.album_kind[plan.album_size == 1]) == {"single"}
    assert "single" not in set(plan.album_kind[plan.album_size > 1])
    # An artist's albums come out in order, none after "today".
    assert plan.album_day.max() <= REFERENCE_DAY
    same_artist = plan.album_artist[1:] == plan.album_artist[:-1]
    assert np.all(np.diff(plan.album_day)[same_artist] >= 0)


def test_album_titles_follow_their_kind(small_synthetic):
    assert _scalar(small_synthetic, """SELECT count(*) FROM albums a JOIN tracks t USING (album_id)
                                       WHERE a.album_type = 'single' AND a.title <> t.title""") == 0
    assert _scalar(small_synthetic, """SELECT bool_and(title LIKE 'Live at %') FROM albums
                                       WHERE album_type = 'live'""")
    assert _scalar(small_synthetic, "SELECT count(DISTINCT album_type) FROM albums") >= 4
