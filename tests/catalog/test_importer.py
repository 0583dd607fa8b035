"""The importer: the shared CSV checked against independent DuckDB queries of
the same file, encodings, date formats, bad-row reporting, both Spotify
layouts (with and without ids), and files that are not catalogs at all."""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from ltrr.errors import CatalogImportError
from ltrr.catalog.importer import import_file
from ltrr.catalog.store import Catalog
from tests.catalog.sql import rows as _rows
from tests.catalog.sql import scalar as _scalar
from tests.conftest import SHARED_CSV


# ---------------------------------------------------------------- the shared CSV

# The importer's keys, restated in SQL: folded (lower case, no accents),
# single-spaced text. Artists are one per folded name, tracks one per folded
# (title, artist, album), playlists one per exact name.
_NORM = "lower(strip_accents(trim(regexp_replace({}, '\\s+', ' ', 'g'))))"


@pytest.fixture(scope="module")
def csv_facts() -> dict[str, int]:
    if not SHARED_CSV.is_file():
        pytest.skip("shared CSV absent")
    con = duckdb.connect()
    src = "read_csv(?, all_varchar = true, header = true)"
    t, a, al = (_NORM.format(c) for c in ("track_name", "artist", "album"))
    facts = con.execute(
        f"""SELECT count(*), count(DISTINCT ({t}, {a}, {al})), count(DISTINCT {a}),
                   count(DISTINCT playlist), count(DISTINCT ({al}, {a}))
            FROM {src}""", [str(SHARED_CSV)]).fetchone()
    memberships = con.execute(
        f"SELECT count(*) FROM (SELECT DISTINCT playlist, {t}, {a}, {al} FROM {src})",
        [str(SHARED_CSV)]).fetchone()[0]
    con.close()
    keys = ("rows", "tracks", "artists", "playlists", "albums")
    return {**dict(zip(keys, facts)), "memberships": memberships}


def test_shared_csv_counts_match_an_independent_query(shared_catalog_path, csv_facts):
    cat = Catalog.open(shared_catalog_path)
    try:
        counts = cat.counts()
        meta = cat.meta()
    finally:
        cat.close()
    assert counts["track"] == csv_facts["tracks"]
    assert counts["artist"] == csv_facts["artists"]
    assert counts["playlist"] == csv_facts["playlists"] == 449
    assert counts["album"] == csv_facts["albums"]
    assert _scalar(shared_catalog_path, "SELECT count(*) FROM playlist_tracks") == csv_facts["memberships"]
    assert meta["rows_read"] == meta["rows_imported"] == str(csv_facts["rows"])
    assert meta["layout"] == "ltrr-shared"


def test_shared_csv_membership_and_references_are_consistent(shared_catalog_path):
    orphans = _scalar(shared_catalog_path, """
        SELECT count(*) FROM playlist_tracks pt
        LEFT JOIN tracks t USING (track_id) LEFT JOIN playlists p USING (playlist_id)
        WHERE t.track_id IS NULL OR p.playlist_id IS NULL""")
    assert orphans == 0
    dangling_artist = _scalar(shared_catalog_path, """
        SELECT count(*) FROM tracks t LEFT JOIN artists a USING (artist_id) WHERE a.artist_id IS NULL""")
    assert dangling_artist == 0
    # Positions are 1..n within each playlist.
    bad_positions = _scalar(shared_catalog_path, """
        SELECT count(*) FROM (SELECT playlist_id, min(position) lo, max(position) hi, count(*) n
                              FROM playlist_tracks GROUP BY playlist_id) WHERE lo <> 1 OR hi <> n""")
    assert bad_positions == 0


def test_shared_csv_track_in_many_playlists_is_one_track(shared_catalog_path):
    # The track listed most often in the CSV becomes one track with that many memberships.
    con = duckdb.connect()
    title, artist, n = con.execute(
        """SELECT track_name, artist, count(DISTINCT playlist) n
           FROM read_csv(?, all_varchar = true) GROUP BY ALL ORDER BY n DESC, 1 LIMIT 1""",
        [str(SHARED_CSV)]).fetchone()
    con.close()
    rows = _rows(shared_catalog_path, """
        SELECT t.track_id, count(pt.playlist_id) FROM tracks t JOIN artists a USING (artist_id)
        JOIN playlist_tracks pt USING (track_id) WHERE t.title = ? AND a.name = ? GROUP BY 1""",
        [title, artist])
    assert sum(r[1] for r in rows) == n and n > 5


def test_shared_csv_dates_is_new_and_credits(shared_catalog_path):
    assert _scalar(shared_catalog_path, "SELECT count(*) FROM tracks WHERE release_date IS NULL") == 0
    newest = _scalar(shared_catalog_path, "SELECT max(release_date) FROM tracks")
    assert newest == dt.date(2020, 1, 29)
    # "New" is relative to the newest release in the file, not to today.
    wrong = _scalar(shared_catalog_path, """
        SELECT count(*) FROM tracks
        WHERE is_new <> (release_date > (SELECT max(release_date) FROM tracks) - INTERVAL 365 DAY)""")
    assert wrong == 0
    assert _scalar(shared_catalog_path, "SELECT count(*) FROM tracks WHERE is_new") > 1000
    featured, version = _rows(shared_catalog_path, """
        SELECT featured, version FROM tracks
        WHERE title = 'Cross Me (feat. Chance the Rapper & PnB Rock) - M-22 Remix'""")[0]
    assert featured == "Chance the Rapper, PnB Rock"
    assert version == "remix"
    assert _scalar(shared_catalog_path,
                   "SELECT count(*) FROM track_artists WHERE role = 'featured'") > 100


def test_shared_csv_keeps_non_ascii_names(shared_catalog_path):
    assert _scalar(shared_catalog_path, "SELECT count(*) FROM artists WHERE name = 'Tiësto'") == 1


# ---------------------------------------------------------------- encodings

_HEADER = "track_name,artist,album,album_release,playlist,popularity"


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1", "utf-8-sig", "utf-8"])
def test_legacy_encodings_and_crlf_keep_accents(tmp_path, encoding):
    text = (f"{_HEADER}\r\nRed Lights,Tiësto,A Town Called Paradise,16-06-2014,Café Dance,80\r\n"
            "Halo,Beyoncé,I Am... Sasha Fierce,2008,Café Dance,70\r\n")
    src = tmp_path / "legacy.csv"
    src.write_bytes(text.encode(encoding))
    report = import_file(src, tmp_path / "cat.duckdb")
    assert report.rows_imported == 2 and not report.issues
    names = {r[0] for r in _rows(tmp_path / "cat.duckdb", "SELECT name FROM artists")}
    assert names == {"Tiësto", "Beyoncé"}
    # No stray carriage returns survive in the last column or anywhere else.
    assert _scalar(tmp_path / "cat.duckdb", "SELECT max(popularity) FROM tracks") == 80
    assert _rows(tmp_path / "cat.duckdb", "SELECT name FROM playlists") == [("Café Dance",)]


def test_cp1252_only_characters_decode(tmp_path):
    # "’" and "€" exist in cp1252 but not in latin-1.
    src = tmp_path / "quotes.csv"
    src.write_bytes(f"{_HEADER}\r\nDon’t Stop,Money € Band,X,2001,P,1\r\n".encode("cp1252"))
    report = import_file(src, tmp_path / "cat.duckdb")
    assert report.encoding == "cp1252"
    assert _rows(tmp_path / "cat.duckdb", "SELECT title FROM tracks") == [("Don’t Stop",)]


def test_utf8_file_with_one_cp1252_line_is_counted(tmp_path):
    good = f"{_HEADER}\nÜber,Mötley Crüe,X,2001,P,1\n".encode("utf-8")
    bad = "Red Lights,Tiësto,Y,2014,P,2\n".encode("cp1252")
    src = tmp_path / "mixed.csv"
    src.write_bytes(good + bad)
    report = import_file(src, tmp_path / "cat.duckdb")
    assert report.issues == {"broken encoding (line decoded as cp1252, kept)": 1}
    names = {r[0] for r in _rows(tmp_path / "cat.duckdb", "SELECT name FROM artists")}
    assert names == {"Mötley Crüe", "Tiësto"}


# ---------------------------------------------------------------- dates


def test_date_formats_mixed_in_one_file(tmp_path):
    src = tmp_path / "dates.csv"
    src.write_text(f"{_HEADER}\nA,X,AA,2019-06-14,P,1\nB,X,BB,14-06-2019,P,1\nC,X,CC,2012,P,1\n")
    import_file(src, tmp_path / "cat.duckdb")
    got = dict(_rows(tmp_path / "cat.duckdb", "SELECT title, release_date FROM tracks"))
    assert got == {"A": dt.date(2019, 6, 14), "B": dt.date(2019, 6, 14), "C": dt.date(2012, 1, 1)}


# ---------------------------------------------------------------- bad rows


def test_bad_rows_are_counted_by_reason(tmp_path):
    src = tmp_path / "bad.csv"
    src.write_text(
        f"{_HEADER}\n"
        "Good,Artist,Al,2019-01-01,P,50\n"
        "Bad Pop,Artist,Al,2019-01-01,P,abc\n"        # popularity nulled, row kept
        "Bad Date,Artist,Al,someday,P,40\n"           # date nulled, row kept
        "Too Popular,Artist,Al,2019,P,250\n"          # out of range, row kept
        ",Artist,Al,2019,P,10\n"                      # no title: dropped
        "No Artist,,Al,2019,P,10\n"                   # no artist: dropped
        "Extra,Artist,Al,2019,P,10,surplus,fields\n"  # malformed line: dropped
    )
    report = import_file(src, tmp_path / "cat.duckdb")
    assert report.rows_read == 7
    assert report.rows_imported == 4
    assert report.rows_dropped == 3
    assert report.issues == {
        "popularity: not a number (set to NULL)": 1,
        "popularity: outside 0..100 (set to NULL)": 1,
        "release_date: unparseable (set to NULL)": 1,
        "missing title (row dropped)": 1,
        "missing artist (row dropped)": 1,
        "wrong number of fields (row dropped)": 1,
    }
    got = dict(_rows(tmp_path / "cat.duckdb", "SELECT title, popularity FROM tracks"))
    assert got == {"Good": 50, "Bad Pop": None, "Bad Date": 40, "Too Popular": None}
    summary = report.summary()
    assert "missing title (row dropped): 1 rows" in summary and "dropped 3" in summary


def test_a_failed_import_leaves_the_existing_catalog(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(f"{_HEADER}\nSong,Artist,Al,2019,P,5\n")
    dest = tmp_path / "cat.duckdb"
    import_file(good, dest)
    before = dest.read_bytes()
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(CatalogImportError):
        import_file(empty, dest)
    assert dest.read_bytes() == before


# ---------------------------------------------------------------- "30000 Spotify Songs" layout

_SPOTIFY_COLUMNS = [
    "track_id", "track_name", "track_artist", "track_popularity", "track_album_id",
    "track_album_name", "track_album_release_date", "playlist_name", "playlist_id",
    "playlist_genre", "playlist_subgenre", "danceability", "energy", "key", "loudness", "mode",
    "speechiness", "acousticness", "instrumentalness", "liveness", "valence", "tempo", "duration_ms",
]
_SPOTIFY_ROWS = [
    # the same track in two playlists
    ["6f807x0ima9a1j3VPbc7VN", "I Don't Care (with Justin Bieber) - Loud Luxury Remix", "Ed Sheeran", 66,
     "2oCs0DGTsRO98Gh5ZSl2Cx", "I Don't Care (with Justin Bieber) [Loud Luxury Remix]", "2019-06-14",
     "Pop Remix", "37i9dQZF1DXcZDD7cfEKhW", "pop", "dance pop", 0.748, 0.916, 6, -2.634, 1, 0.0583,
     0.102, 0.0, 0.0653, 0.518, 122.036, 194754],
    ["6f807x0ima9a1j3VPbc7VN", "I Don't Care (with Justin Bieber) - Loud Luxury Remix", "Ed Sheeran", 66,
     "2oCs0DGTsRO98Gh5ZSl2Cx", "I Don't Care (with Justin Bieber) [Loud Luxury Remix]", "2019-06-14",
     "Dance Pop", "37i9dQZF1DWZQaaqNMbbXa", "pop", "dance pop", 0.748, 0.916, 6, -2.634, 1, 0.0583,
     0.102, 0.0, 0.0653, 0.518, 122.036, 194754],
    ["0r7CVbZTWZgbTCYdfa2P31", "Memories - Dillon Francis Remix", "Maroon 5", 67,
     "63rPSO264uRjW1X5E6cWv6", "Memories (Dillon Francis Remix)", "2019-12-13",
     "Pop Remix", "37i9dQZF1DXcZDD7cfEKhW", "pop", "dance pop", 0.726, 0.815, 11, -4.969, 1, 0.0373,
     0.0724, 0.00421, 0.357, 0.693, 99.972, 162600],
    ["1z1Hg7Vb0AhHDiEmnDE79l", "Smells Like Teen Spirit", "Nirvana", 80,
     "2guirTSEqLizK7j9i1MTTZ", "Nevermind", "1991",
     "Grunge", "pl0000000000000000grunge", "rock", "hard rock", 0.502, 0.912, 1, -4.556, 1, 0.0564,
     2.5e-05, 0.000173, 0.106, 0.72, 116.761, 301920],
    ["4iJyoBOLtHqaGxP12qzhQI", "Lithium", "Nirvana", 70,
     "2guirTSEqLizK7j9i1MTTZ", "Nevermind", "1991",
     "Grunge", "pl0000000000000000grunge", "rock", "hard rock", 0.5, 0.7, 1, -5.0, 1, 0.05,
     0.1, 0.0, 0.1, 0.4, 120.0, 257000],
]


def _spotify_csv(tmp_path, drop: tuple[str, ...] = ()) -> "pd.DataFrame":
    frame = pd.DataFrame(_SPOTIFY_ROWS, columns=_SPOTIFY_COLUMNS).drop(columns=list(drop))
    frame.to_csv(tmp_path / "spotify.csv", index=False)
    return frame


def test_spotify_layout_with_ids(tmp_path):
    _spotify_csv(tmp_path)
    report = import_file(tmp_path / "spotify.csv", tmp_path / "cat.duckdb")
    cat = tmp_path / "cat.duckdb"
    assert report.layout == "spotify-30000"
    assert report.entities["track"] == 4 and report.entities["album"] == 3
    assert report.entities["artist"] == 3 and report.entities["playlist"] == 3
    assert _scalar(cat, "SELECT count(*) FROM playlist_tracks") == 5
    track = _rows(cat, """SELECT track_id, duration_sec, tempo, danceability, genre, subgenre, featured
                          FROM tracks WHERE title LIKE 'I Don''t Care%'""")[0]
    assert track == ("track:6f807x0ima9a1j3VPbc7VN", pytest.approx(194.754), pytest.approx(122.036),
                     pytest.approx(0.748), "pop", "dance pop", "Justin Bieber")
    assert _rows(cat, "SELECT album_id, release_date FROM albums WHERE title = 'Nevermind'") == [
        ("album:2guirTSEqLizK7j9i1MTTZ", dt.date(1991, 1, 1))]
    assert _rows(cat, "SELECT name, curator, genre, subgenre FROM playlists WHERE playlist_id = ?",
                 ["playlist:pl0000000000000000grunge"]) == [("Grunge", "Spotify", "rock", "hard rock")]
    # Nirvana's popularity is that of its best track; is_new is relative to 2019-12-13.
    assert _scalar(cat, "SELECT popularity FROM artists WHERE name = 'Nirvana'") == 80
    assert dict(_rows(cat, "SELECT title, is_new FROM albums")) == {
        "I Don't Care (with Justin Bieber) [Loud Luxury Remix]": True,
        "Memories (Dillon Francis Remix)": True, "Nevermind": False}


def test_spotify_layout_without_id_columns_derives_stable_ids(tmp_path):
    _spotify_csv(tmp_path, drop=("track_id", "track_album_id", "playlist_id"))
    first = import_file(tmp_path / "spotify.csv", tmp_path / "a.duckdb")
    second = import_file(tmp_path / "spotify.csv", tmp_path / "b.duckdb")
    assert first.layout == "spotify-30000"
    assert first.entities == second.entities
    assert first.entities["track"] == 4 and first.entities["album"] == 3
    assert first.entities["playlist"] == 3
    ids_a = _rows(tmp_path / "a.duckdb", "SELECT track_id, title FROM tracks ORDER BY 1")
    ids_b = _rows(tmp_path / "b.duckdb", "SELECT track_id, title FROM tracks ORDER BY 1")
    assert ids_a == ids_b
    assert all(track_id.startswith("track:") for track_id, _ in ids_a)
    assert _scalar(tmp_path / "a.duckdb", "SELECT count(*) FROM playlist_tracks") == 5


def test_parquet_import(tmp_path):
    frame = pd.DataFrame(_SPOTIFY_ROWS, columns=_SPOTIFY_COLUMNS)
    frame.to_parquet(tmp_path / "spotify.parquet")
    report = import_file(tmp_path / "spotify.parquet", tmp_path / "cat.duckdb")
    assert report.encoding == "parquet" and report.entities["track"] == 4
    assert _scalar(tmp_path / "cat.duckdb", "SELECT max(popularity) FROM tracks") == 80


# ---------------------------------------------------------------- not a catalog


def _truncated_parquet(tmp_path):
    pd.DataFrame({"title": ["a"] * 500, "artist": ["b"] * 500}).to_parquet(tmp_path / "full.parquet")
    data = (tmp_path / "full.parquet").read_bytes()
    return data[: len(data) // 2]


@pytest.mark.parametrize("name, content, message", [
    ("empty.csv", b"", "is empty"),
    ("blank.csv", b"\n\n  \n", "is empty"),
    ("garbage.csv", bytes(range(256)) * 40, "binary"),
    ("columns.csv", b"a,b,c\n1,2,3\n", "no recognisable title column"),
    ("header_only.csv", b"title,artist\n", "no rows"),
    ("no_titles.csv", b"title,artist\n,x\n,y\n", "has both a title and an artist"),
    ("truncated.parquet", None, "not a readable Parquet"),
])
def test_not_a_catalog_raises_one_clear_error(tmp_path, name, content, message):
    src = tmp_path / name
    src.write_bytes(_truncated_parquet(tmp_path) if content is None else content)
    with pytest.raises(CatalogImportError, match=message) as info:
        import_file(src, tmp_path / "cat.duckdb")
    assert "\n" not in str(info.value)
    assert not (tmp_path / "cat.duckdb").exists()


def test_missing_file(tmp_path):
    with pytest.raises(CatalogImportError, match="no such file"):
        import_file(tmp_path / "nope.csv", tmp_path / "cat.duckdb")


def test_never_overwrites_the_input_or_a_non_catalog(tmp_path):
    src = tmp_path / "songs.csv"
    src.write_text(f"{_HEADER}\nSong,Artist,Al,2019,P,5\n")
    before = src.read_bytes()
    with pytest.raises(CatalogImportError, match="is the file being imported"):
        import_file(src, src)
    notes = tmp_path / "notes.txt"
    notes.write_text("my precious notes")
    with pytest.raises(CatalogImportError, match="not a DuckDB catalog"):
        import_file(src, notes)
    assert src.read_bytes() == before and notes.read_text() == "my precious notes"
    # An existing catalog is replaced.
    dest = tmp_path / "cat.duckdb"
    import_file(src, dest)
    src.write_text(f"{_HEADER}\nOther,Artist,Al,2019,P,5\nThird,Artist,Al,2019,P,5\n")
    assert import_file(src, dest).entities["track"] == 2


def test_utf16_with_bom(tmp_path):
    src = tmp_path / "utf16.csv"
    src.write_bytes(f"{_HEADER}\r\nRed Lights,Tiësto,X,2014,P,1\r\n".encode("utf-16"))
    report = import_file(src, tmp_path / "cat.duckdb")
    assert report.encoding == "utf-16"
    assert _rows(tmp_path / "cat.duckdb", "SELECT name FROM artists") == [("Tiësto",)]
