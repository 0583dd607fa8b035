"""The synthetic catalog's podcasts and episodes."""
from __future__ import annotations

import datetime as dt

from ltrr.catalog.synthetic_artists import make_artists
from ltrr.catalog.synthetic_codes import REFERENCE_DATE
from ltrr.catalog.synthetic_podcasts import NEW_EPISODE_DAYS, make_podcasts
from tests.catalog.sql import scalar as _scalar


def test_episodes_are_new_relative_to_the_reference_date(small_synthetic):
    cutoff = REFERENCE_DATE - dt.timedelta(days=NEW_EPISODE_DAYS)
    assert _scalar(small_synthetic, "SELECT count(*) FROM episodes WHERE is_new <> (release_date > ?)",
                   [cutoff]) == 0
    assert _scalar(small_synthetic, "SELECT max(release_date) FROM episodes") <= REFERENCE_DATE
    assert _scalar(small_synthetic, "SELECT count(*) - count(DISTINCT title) FROM podcasts") == 0


def test_music_history_episodes_talk_about_the_catalogs_artists():
    artists = make_artists(20_000, seed=0)
    podcasts, episodes = make_podcasts(artists, 20_000, seed=0)
    assert len(podcasts) == 20_000 // 250
    music = episodes[episodes["podcast_id"].isin(podcasts.loc[podcasts["topic"] == "music history", "podcast_id"])]
    names = set(artists.names)
    assert any(any(name in title for name in names) for title in music["title"])
    # Episodes count down from the newest: "Ep. 11: ...", "Ep. 10: ...".
    first = episodes[episodes["podcast_id"] == podcasts["podcast_id"].iloc[0]]
    numbers = [int(t.split(":")[0].removeprefix("Ep. ")) for t in first["title"]]
    assert numbers == list(range(len(numbers), 0, -1))
