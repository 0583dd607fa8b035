"""The synthetic catalog's tracks: credits, versions, genres, moods, eras and audio features."""
from __future__ import annotations

import datetime as dt

from ltrr.catalog import wordlists as W
from ltrr.catalog.schema import NEW_RELEASE_DAYS
from ltrr.catalog.synthetic_codes import REFERENCE_DATE
from tests.catalog.conftest import SMALL_TRACKS as N
from tests.catalog.sql import rows as _rows
from tests.catalog.sql import scalar as _scalar


def test_featured_credits_match_track_artists(small_synthetic):
    rows = _rows(small_synthetic, """
        SELECT t.title, t.featured, list(a.name ORDER BY a.name)
        FROM tracks t JOIN track_artists ta ON ta.track_id = t.track_id AND ta.role = 'featured'
        JOIN artists a ON a.artist_id = ta.artist_id GROUP BY ALL""")
    assert len(rows) > N * 0.05
    for title, featured, names in rows:
        assert sorted(featured.split(", ")) == names
        assert "(feat. " in title or "(with " in title
    # Every track has exactly one primary credit, and it is its artist_id.
    assert _scalar(small_synthetic, """
        SELECT count(*) FROM tracks t LEFT JOIN track_artists ta
          ON ta.track_id = t.track_id AND ta.role = 'primary' AND ta.artist_id = t.artist_id
        WHERE ta.track_id IS NULL""") == 0


def test_versions_share_the_title_of_an_original(small_synthetic):
    versions = dict(_rows(small_synthetic, "SELECT version, count(*) FROM tracks WHERE version IS NOT NULL GROUP BY 1"))
    assert {"remix", "live"} <= set(versions)
    remixes = _rows(small_synthetic, "SELECT title, album_id FROM tracks WHERE version = 'remix'")
    assert all(title.endswith(" Remix") for title, _ in remixes)
    # A remix names the album's first track: "Halo" and "Halo - DJ Nova Remix".
    orphans = _scalar(small_synthetic, """
        SELECT count(*) FROM tracks v WHERE v.version = 'remix' AND NOT EXISTS (
            SELECT 1 FROM tracks o WHERE o.album_id = v.album_id AND o.version IS NULL
              AND starts_with(v.title, split_part(o.title, ' (', 1)))""")
    assert orphans == 0


def test_genres_subgenres_moods_and_eras(small_synthetic):
    genres = _scalar(small_synthetic, "SELECT count(DISTINCT genre) FROM tracks")
    assert genres >= 10
    wrong_sub = _rows(small_synthetic, "SELECT DISTINCT genre, subgenre FROM tracks")
    for genre, subgenre in wrong_sub:
        assert subgenre in W.GENRES[genre][0]
    assert _scalar(small_synthetic, "SELECT count(DISTINCT mood) FROM tracks") == len(W.MOODS)
    decades = {r[0] for r in _rows(small_synthetic, "SELECT DISTINCT year(release_date) // 10 * 10 FROM tracks")}
    assert {1960, 1990, 2020} <= decades
    assert _scalar(small_synthetic, "SELECT max(release_date) FROM tracks") <= REFERENCE_DATE


def test_is_new_is_relative_to_the_reference_date(small_synthetic):
    cutoff = REFERENCE_DATE - dt.timedelta(days=NEW_RELEASE_DAYS)
    assert _scalar(small_synthetic, "SELECT count(*) FROM tracks WHERE is_new <> (release_date > ?)", [cutoff]) == 0
    share = _scalar(small_synthetic, "SELECT avg(is_new::INT) FROM tracks")
    assert 0.01 < share < 0.25


def test_audio_features_follow_genre_and_mood(small_synthetic):
    energy = dict(_rows(small_synthetic, "SELECT genre, avg(energy) FROM tracks GROUP BY 1"))
    assert energy["metal"] > energy["pop"] > energy["classical"]
    valence = dict(_rows(small_synthetic, "SELECT mood, avg(valence) FROM tracks GROUP BY 1"))
    assert valence["happy"] > valence["sad"] + 0.3
    assert _scalar(small_synthetic, """SELECT bool_and(danceability BETWEEN 0 AND 1 AND energy BETWEEN 0 AND 1
                                                  AND valence BETWEEN 0 AND 1 AND tempo BETWEEN 50 AND 220)
                                       FROM tracks""")
