"""Shared fixtures: a tiny catalog whose right answers are obvious, and the
real shared catalog imported once per test session."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from ltrr.catalog.store import Catalog
from ltrr.catalog.writer import CatalogWriter

ROOT = Path(__file__).resolve().parents[1]
SHARED_CSV = ROOT.parent / "shared" / "data" / "spotify_songs.csv"


def _d(year: int, month: int = 1, day: int = 1) -> dt.date:
    return dt.date(year, month, day)


def write_tiny_catalog(path: Path) -> Path:
    """Twelve tracks, five artists, a few albums, playlists and podcasts."""
    artists = pd.DataFrame([
        ("artist:taylor", "Taylor Swift", "pop", 95.0),
        ("artist:weeknd", "The Weeknd", "r&b", 93.0),
        ("artist:beyonce", "Beyoncé", "r&b", 90.0),
        ("artist:sza", "SZA", "r&b", 85.0),
        ("artist:nas", "Nas", "rap", 70.0),
    ], columns=["artist_id", "name", "genre", "popularity"])
    albums = pd.DataFrame([
        ("album:1989", "1989", "artist:taylor", "album", _d(2014, 10, 27), "pop", 88.0),
        ("album:afterhours", "After Hours", "artist:weeknd", "album", _d(2020, 3, 20), "r&b", 90.0),
        ("album:illmatic", "Illmatic", "artist:nas", "album", _d(1994, 4, 19), "rap", 75.0),
        ("album:sos", "SOS", "artist:sza", "album", _d(2022, 12, 9), "r&b", 86.0),
    ], columns=["album_id", "title", "artist_id", "album_type", "release_date", "genre", "popularity"])
    tracks = pd.DataFrame([
        ("track:blank", "Blank Space", "artist:taylor", "album:1989", _d(2014, 10, 27), "pop", "happy", 85.0),
        ("track:shake", "Shake It Off", "artist:taylor", "album:1989", _d(2014, 10, 27), "pop", "happy", 84.0),
        ("track:lovestory", "Love Story", "artist:taylor", None, _d(2008, 9, 12), "pop", "romantic", 80.0),
        ("track:blinding", "Blinding Lights", "artist:weeknd", "album:afterhours", _d(2019, 11, 29), "r&b", "energetic", 95.0),
        ("track:savetears", "Save Your Tears", "artist:weeknd", "album:afterhours", _d(2020, 3, 20), "r&b", "sad", 88.0),
        ("track:halo", "Halo", "artist:beyonce", None, _d(2008, 1, 20), "r&b", "romantic", 82.0),
        ("track:crazy", "Crazy in Love", "artist:beyonce", None, _d(2003, 5, 18), "r&b", "energetic", 83.0),
        ("track:gooddays", "Good Days", "artist:sza", "album:sos", _d(2020, 12, 25), "r&b", "chill", 81.0),
        ("track:kill", "Kill Bill", "artist:sza", "album:sos", _d(2022, 12, 9), "r&b", "dark", 90.0),
        ("track:nystate", "N.Y. State of Mind", "artist:nas", "album:illmatic", _d(1994, 4, 19), "rap", "dark", 65.0),
        ("track:theworld", "The World Is Yours", "artist:nas", "album:illmatic", _d(1994, 4, 19), "rap", "chill", 60.0),
        ("track:rainy", "Rainy Day Blues", "artist:nas", None, _d(2024, 6, 1), "rap", "sad", 20.0),
    ], columns=["track_id", "title", "artist_id", "album_id", "release_date", "genre", "mood", "popularity"])
    tracks["is_new"] = tracks["track_id"].eq("track:rainy")
    tracks["duration_sec"] = 200.0
    playlists = pd.DataFrame([
        ("playlist:90srap", "90s Rap Classics", "ltrr", "Golden era hip hop", "rap", "1990s", 70.0),
        ("playlist:sad", "Sad Songs for a Breakup", "ltrr", "Tears and heartbreak", "pop", None, 60.0),
    ], columns=["playlist_id", "name", "curator", "description", "genre", "era", "popularity"])
    playlist_tracks = pd.DataFrame([
        ("playlist:90srap", "track:nystate", 1), ("playlist:90srap", "track:theworld", 2),
        ("playlist:sad", "track:savetears", 1), ("playlist:sad", "track:rainy", 2),
    ], columns=["playlist_id", "track_id", "position"])
    podcasts = pd.DataFrame([
        ("podcast:history", "Hip Hop History", "Pod Co", "The story of rap music", "music history", 50.0),
    ], columns=["podcast_id", "title", "publisher", "description", "topic", "popularity"])
    episodes = pd.DataFrame([
        ("episode:nas", "podcast:history", "Illmatic at 30", "How Nas changed rap", _d(2024, 4, 19), 40.0),
    ], columns=["episode_id", "podcast_id", "title", "description", "release_date", "popularity"])
    with CatalogWriter(path) as writer:
        for table, frame in [("artists", artists), ("albums", albums), ("tracks", tracks),
                             ("playlists", playlists), ("playlist_tracks", playlist_tracks),
                             ("podcasts", podcasts), ("episodes", episodes)]:
            writer.append(table, frame)
        writer.finish(source="tiny-fixture")
    return path


@pytest.fixture(scope="session")
def tiny_catalog_path(tmp_path_factory) -> Path:
    return write_tiny_catalog(tmp_path_factory.mktemp("tiny") / "tiny.duckdb")


@pytest.fixture()
def tiny_catalog(tiny_catalog_path) -> Catalog:
    cat = Catalog.open(tiny_catalog_path)
    yield cat
    cat.close()


def import_shared_slice(folder: Path, step: int = 160) -> Path:
    """Every ``step``-th row of the real shared CSV (its header kept), imported into
    ``folder``: a small catalog with every genre. Skips the test when ../shared is absent."""
    if not SHARED_CSV.is_file():
        pytest.skip(f"shared catalog not found at {SHARED_CSV}")
    from ltrr.catalog.importer import import_file

    lines = SHARED_CSV.read_text(encoding="utf-8").splitlines(keepends=True)
    (folder / "subset.csv").write_text("".join(lines[:1] + lines[1::step]), encoding="utf-8")
    import_file(folder / "subset.csv", folder / "subset.duckdb")
    return folder / "subset.duckdb"


@pytest.fixture(scope="session")
def shared_catalog_path(tmp_path_factory) -> Path:
    """The real shared CSV imported once; tests skip when ../shared is absent."""
    if not SHARED_CSV.is_file():
        pytest.skip(f"shared catalog not found at {SHARED_CSV}")
    from ltrr.catalog.importer import import_file

    path = tmp_path_factory.mktemp("shared") / "shared.duckdb"
    import_file(SHARED_CSV, path)
    return path


@pytest.fixture(scope="session")
def shared_catalog(shared_catalog_path) -> Catalog:
    cat = Catalog.open(shared_catalog_path)
    yield cat
    cat.close()
