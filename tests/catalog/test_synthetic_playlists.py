"""The synthetic catalog's playlists: each holds only tracks that meet its constraint."""
from __future__ import annotations

from ltrr.catalog.synthetic import generate
from tests.catalog.sql import rows as _rows
from tests.catalog.sql import scalar as _scalar


def test_playlists_respect_their_constraints(tmp_path):
    path = generate(tmp_path / "pl.duckdb", tracks=8_000, seed=2)
    checks = {
        "genre": "p.genre IS NOT NULL AND t.genre <> p.genre",
        "subgenre": "p.subgenre IS NOT NULL AND t.subgenre <> p.subgenre",
        "mood": "p.mood IS NOT NULL AND t.mood <> p.mood",
        "era": "p.era IS NOT NULL AND (year(t.release_date) // 10 * 10)::VARCHAR || 's' <> p.era",
        "workout": "p.activity = 'workout' AND t.energy < 0.7",
        "sleep": "p.activity = 'sleep' AND t.energy > 0.38",
        "party": "p.activity = 'party' AND t.danceability < 0.68",
        "new": "p.name LIKE '%New%Releases%' AND NOT t.is_new",
    }
    for name, violation in checks.items():
        bad = _scalar(path, f"""SELECT count(*) FROM playlists p JOIN playlist_tracks pt USING (playlist_id)
                                JOIN tracks t USING (track_id) WHERE {violation}""")
        assert bad == 0, name
    kinds = _rows(path, """SELECT count(*) FILTER (era IS NOT NULL), count(*) FILTER (activity IS NOT NULL),
                                  count(*) FILTER (mood IS NOT NULL), count(*) FILTER (subgenre IS NOT NULL),
                                  count(*) FILTER (name LIKE 'This Is %' OR name LIKE '% Radio'
                                                   OR name LIKE 'Best of %')
                           FROM playlists""")[0]
    assert all(k > 0 for k in kinds), kinds
    sizes = _rows(path, "SELECT min(n), max(n) FROM (SELECT count(*) n FROM playlist_tracks GROUP BY playlist_id)")
    assert sizes[0][0] >= 5 and sizes[0][1] <= 80
    dupes = _scalar(path, "SELECT count(*) - count(DISTINCT (playlist_id, track_id)) FROM playlist_tracks")
    assert dupes == 0


def test_artist_playlists_hold_that_artist(small_synthetic):
    bad = _scalar(small_synthetic, """
        SELECT count(*) FROM playlists p JOIN playlist_tracks pt USING (playlist_id)
        JOIN tracks t USING (track_id) JOIN artists a ON a.artist_id = t.artist_id
        WHERE p.name LIKE 'This Is %' AND p.name <> 'This Is ' || a.name
          AND p.name NOT LIKE 'This Is ' || a.name || ' Vol. %'""")
    assert bad == 0
