"""The synthetic generator end to end: determinism, chunking, argument checks,
structure across tables, progress. Each step's own tests (artists, albums,
tracks, playlists, podcasts) are in test_synthetic_<step>.py. Small catalogs
(2,000 tracks) keep it fast."""
from __future__ import annotations

import pytest

from ltrr.catalog import synthetic
from ltrr.catalog.schema import ENTITY_TYPES
from ltrr.catalog.store import Catalog
from ltrr.catalog.synthetic import generate
from tests.catalog.conftest import SMALL_TRACKS as N
from tests.catalog.sql import rows as _rows
from tests.catalog.sql import scalar as _scalar

TABLES = ("artists", "albums", "tracks", "track_artists", "playlists", "playlist_tracks",
          "podcasts", "episodes")

def _content(path) -> dict[str, list[tuple]]:
    """Every table's rows in a canonical order (catalog_meta holds build time and uid)."""
    return {t: sorted(_rows(path, f"SELECT * FROM {t}"), key=repr) for t in TABLES}


# ---------------------------------------------------------------- determinism


def test_same_seed_same_content(small_synthetic, tmp_path):
    again = generate(tmp_path / "again.duckdb", tracks=N, seed=0)
    assert _content(small_synthetic) == _content(again)


def test_different_seed_different_content(small_synthetic, tmp_path):
    other = generate(tmp_path / "other.duckdb", tracks=N, seed=1)
    a, b = _content(small_synthetic), _content(other)
    assert len(a["tracks"]) == len(b["tracks"]) == N
    assert [r[1] for r in a["tracks"]] != [r[1] for r in b["tracks"]]
    assert {r[1] for r in a["artists"]} != {r[1] for r in b["artists"]}


def test_chunking_does_not_change_content(small_synthetic, tmp_path, monkeypatch):
    # Chunks are cut at album boundaries and seeded by their number: a chunk
    # size smaller than the catalog must still give a valid, complete catalog.
    monkeypatch.setattr(synthetic, "CHUNK", 300)
    path = generate(tmp_path / "chunked.duckdb", tracks=N, seed=0)
    assert _scalar(path, "SELECT count(*) FROM tracks") == N
    assert _scalar(path, "SELECT count(DISTINCT album_id) FROM tracks") == _scalar(
        path, "SELECT count(*) FROM albums")
    assert _scalar(path, """SELECT count(*) FROM tracks t LEFT JOIN albums a USING (album_id)
                            WHERE a.album_id IS NULL""") == 0


@pytest.mark.parametrize("bad", [0, -5, 2.5, "100", True])
def test_bad_track_counts_are_rejected(tmp_path, bad):
    with pytest.raises(ValueError, match="tracks must be a positive integer"):
        generate(tmp_path / "x.duckdb", tracks=bad)
    assert not (tmp_path / "x.duckdb").exists()


def test_tiny_catalogs_work(tmp_path):
    path = generate(tmp_path / "one.duckdb", tracks=1, seed=3)
    assert _scalar(path, "SELECT count(*) FROM tracks") == 1


# ---------------------------------------------------------------- structure


def test_every_entity_type_present_and_counts_plausible(small_synthetic):
    cat = Catalog.open(small_synthetic)
    try:
        counts = cat.counts()
        meta = cat.meta()
    finally:
        cat.close()
    assert set(counts) == set(ENTITY_TYPES) and all(counts[t] > 0 for t in ENTITY_TYPES)
    assert counts["track"] == N
    assert counts["artist"] == round(N / 12)
    assert N / 12 < counts["album"] < N
    assert meta["source"] == "synthetic" and meta["seed"] == "0" and meta["tracks"] == str(N)


def test_references_resolve(small_synthetic):
    for sql in (
        "SELECT count(*) FROM tracks t LEFT JOIN artists a USING (artist_id) WHERE a.artist_id IS NULL",
        "SELECT count(*) FROM albums al LEFT JOIN artists a USING (artist_id) WHERE a.artist_id IS NULL",
        "SELECT count(*) FROM track_artists ta LEFT JOIN artists a USING (artist_id) WHERE a.artist_id IS NULL",
        "SELECT count(*) FROM playlist_tracks pt LEFT JOIN tracks t USING (track_id) WHERE t.track_id IS NULL",
        "SELECT count(*) FROM episodes e LEFT JOIN podcasts p USING (podcast_id) WHERE p.podcast_id IS NULL",
    ):
        assert _scalar(small_synthetic, sql) == 0, sql


def test_names_are_unique_per_type(small_synthetic):
    assert _scalar(small_synthetic, "SELECT count(*) - count(DISTINCT name) FROM artists") == 0
    assert _scalar(small_synthetic, "SELECT count(*) - count(DISTINCT name) FROM playlists") == 0


def test_common_words_cross_entity_types(small_synthetic):
    for word in ("love", "night", "fire"):
        where = "lower({}) LIKE '%' || ? || '%'"
        in_tracks = _scalar(small_synthetic, f"SELECT count(*) FROM tracks WHERE {where.format('title')}", [word])
        in_others = _scalar(small_synthetic, f"""
            SELECT (SELECT count(*) FROM albums WHERE {where.format('title')})
                 + (SELECT count(*) FROM playlists WHERE {where.format('name')})
                 + (SELECT count(*) FROM podcasts WHERE {where.format('title')})
                 + (SELECT count(*) FROM episodes WHERE {where.format('title')})
                 + (SELECT count(*) FROM artists WHERE {where.format('name')})""",
                            [word] * 5)
        assert in_tracks > 10 and in_others > 0, word


# ---------------------------------------------------------------- progress


def test_progress_is_reported(tmp_path):
    calls = []
    generate(tmp_path / "p.duckdb", tracks=500, progress=lambda d, t, m: calls.append((d, t, m)))
    messages = {m for _, _, m in calls}
    assert {"generating tracks", "generating playlists", "publishing catalog"} <= messages
    assert (500, 500, "generating tracks") in calls
