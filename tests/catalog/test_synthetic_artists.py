"""The synthetic catalog's artists: Zipf popularity and near-duplicate names."""
from __future__ import annotations

import numpy as np

from ltrr.catalog.synthetic import generate
from ltrr.catalog.synthetic_artists import TRACKS_PER_ARTIST, make_artists
from ltrr.catalog.synthetic_codes import REFERENCE_DATE
from tests.catalog.sql import rows as _rows
from tests.catalog.sql import scalar as _scalar


def test_artists_are_reproducible_distinct_and_debut_by_today():
    artists = make_artists(6_000, seed=4)
    again = make_artists(6_000, seed=4)
    assert len(artists) == 6_000 // TRACKS_PER_ARTIST
    assert list(artists.names) == list(again.names) and np.array_equal(artists.popularity, again.popularity)
    assert len(set(artists.names)) == len(artists)
    assert artists.start_year.max() <= REFERENCE_DATE.year
    assert np.isclose(artists.weight.sum(), 1.0)


def test_popularity_is_heavy_tailed(small_synthetic):
    # Zipf listening: followers span orders of magnitude; the 0-100 popularity
    # score is its log, so the top sits far above the bottom.
    top, bottom, most, typical = _rows(small_synthetic, """SELECT max(popularity), min(popularity),
                                                           max(followers), median(followers) FROM artists""")[0]
    assert top > 90 and bottom < 75
    assert most > 50 * typical
    # Popular artists have more tracks.
    hits = _rows(small_synthetic, """SELECT corr(a.popularity, n) FROM artists a
                                     JOIN (SELECT artist_id, count(*) n FROM tracks GROUP BY 1) USING (artist_id)""")
    assert hits[0][0] > 0.3
    assert _scalar(small_synthetic, "SELECT min(popularity) >= 0 AND max(popularity) <= 100 FROM tracks")


def test_near_duplicate_artist_names(tmp_path):
    path = generate(tmp_path / "names.duckdb", tracks=12_000, seed=0)
    names = {r[0] for r in _rows(path, "SELECT name FROM artists")}

    def one_edit_apart(a: str, b: str) -> bool:
        if abs(len(a) - len(b)) != 1:
            return False
        longer, shorter = (a, b) if len(a) > len(b) else (b, a)
        return any(longer[:i] + longer[i + 1:] == shorter for i in range(len(longer)))

    prefixed = [n for n in names if n.startswith(("DJ ", "The ")) and n.split(" ", 1)[1] in names]
    by_length: dict[int, list[str]] = {}
    for n in names:
        by_length.setdefault(len(n), []).append(n)
    typos = [(a, b) for a in names for b in by_length.get(len(a) - 1, []) if one_edit_apart(a, b)]
    assert prefixed, "expected 'DJ Nova' / 'Nova' style pairs"
    assert typos, "expected 'The Weekend' / 'The Weeknd' style pairs"
