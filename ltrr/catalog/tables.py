"""Building the catalog's tables from clean rows.

Entity ids come first: the file's native ids where it has them, else stable
hashes of folded names, so that the same file gives the same ids in every
import. Then the rows are de-duplicated into tracks and grouped into
artists, albums (typed album, single or compilation), playlists, playlist
memberships and track credits: one DataFrame per catalog table.
"""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from ltrr.catalog import names
from ltrr.catalog.import_report import ImportReport
from ltrr.catalog.schema import NEW_RELEASE_DAYS
from ltrr.text import fold


def _hash_ids(prefix: str, keys: pd.Series) -> pd.Series:
    """Stable ids from normalised keys: the same key gives the same id in every import."""
    table = {k: f"{prefix}:{hashlib.blake2b(k.encode(), digest_size=6).hexdigest()}" for k in keys.unique()}
    return keys.map(table)


def _folded(series: pd.Series) -> pd.Series:
    table = {v: fold(v) for v in series.unique()}
    return series.map(table)


def _most_common(frame: pd.DataFrame, key: str, col: str) -> pd.Series:
    """Per `key`, the most frequent non-empty `col` (ties: first seen)."""
    rows = frame[[key, col]].dropna()
    rows = rows[rows[col].astype(str).ne("")]
    if rows.empty:
        return pd.Series(dtype=object)
    counts = rows.groupby([key, col], sort=False).size().reset_index(name="n")
    counts = counts.sort_values("n", ascending=False, kind="stable")
    return counts.drop_duplicates(key).set_index(key)[col]


def assign_ids(rows: pd.DataFrame) -> pd.DataFrame:
    """Entity ids: native ids where the file has them, else hashes of folded names.

    Adds ``artist_id`` and fills ``track_id``, ``album_id`` and ``playlist_id``
    of clean `rows` (from :func:`ltrr.catalog.cleaning.clean_rows`) in place,
    and returns them; a row with neither an album name nor a native album id
    gets None as its album id, and likewise for playlists.
    """
    artist_key = _folded(rows["artist"])
    title_key = _folded(rows["title"])
    album_key = _folded(rows["album"])
    rows["artist_id"] = _hash_ids("artist", artist_key)

    derived_album = _hash_ids("album", album_key + "\x1f" + artist_key)
    native_album = "album:" + rows["album_id"]
    rows["album_id"] = native_album.where(rows["album_id"].ne(""), derived_album)
    rows.loc[rows["album"].eq("") & rows["album_id"].eq(derived_album), "album_id"] = None

    derived_track = _hash_ids("track", title_key + "\x1f" + artist_key + "\x1f" + album_key)
    rows["track_id"] = ("track:" + rows["track_id"]).where(rows["track_id"].ne(""), derived_track)

    derived_playlist = _hash_ids("playlist", rows["playlist"])
    native_playlist = "playlist:" + rows["playlist_id"]
    rows["playlist_id"] = native_playlist.where(rows["playlist_id"].ne(""), derived_playlist)
    rows.loc[rows["playlist"].eq("") & rows["playlist_id"].eq(derived_playlist), "playlist_id"] = None
    return rows


def build_tables(rows: pd.DataFrame, curator: str | None, report: ImportReport) -> dict[str, pd.DataFrame]:
    """Clean rows with ids (from :func:`assign_ids`) -> one DataFrame per catalog table.

    `curator` is the playlists' curator (the preset's, if any). The rows that
    repeat a track or a playlist membership are counted in `report.merged`.
    """
    newest = rows["release_date"].max()
    # "New" is relative to the newest release in the file: the data may be years old.
    cutoff = newest - pd.Timedelta(days=NEW_RELEASE_DAYS) if pd.notna(newest) else None

    def is_new(dates: pd.Series) -> pd.Series:
        if cutoff is None:
            return pd.Series(False, index=dates.index)
        return dates.notna() & (dates > cutoff)

    tracks = _tracks(rows, report)
    tracks["is_new"] = is_new(tracks["release_date"])
    artists = _artists(tracks)
    albums = _albums(tracks)
    albums["is_new"] = is_new(albums["release_date"])
    playlists, playlist_tracks = _playlists(rows, tracks, curator, report)

    track_cols = ["track_id", "title", "artist_id", "album_id", "featured", "version", "release_date",
                  "genre", "subgenre", "popularity", "duration_sec", "explicit", "is_new",
                  "danceability", "energy", "valence", "tempo"]
    return {
        "artists": artists,
        "albums": albums,
        "tracks": tracks[[c for c in track_cols if c in tracks]],
        "track_artists": _track_artists(tracks, artists),
        "playlists": playlists,
        "playlist_tracks": playlist_tracks,
    }


def _tracks(rows: pd.DataFrame, report: ImportReport) -> pd.DataFrame:
    """One row per track id: the first row wins, except popularity which is
    the best seen (the same track listed twice carries two snapshots)."""
    tracks = rows.drop_duplicates("track_id").copy()
    report.merged["rows repeating a track already read"] = len(rows) - len(tracks)
    if "popularity" in rows:
        tracks["popularity"] = tracks["track_id"].map(rows.groupby("track_id")["popularity"].max())
    tracks["featured"] = names.featured(tracks["title"])
    tracks["version"] = names.version(tracks["title"])
    for col in ("genre", "subgenre"):
        tracks[col] = tracks[col].where(tracks[col].ne(""), None)
    return tracks


def _artists(tracks: pd.DataFrame) -> pd.DataFrame:
    """One artist per folded name; genre is the most common of its tracks'."""
    artists = tracks.drop_duplicates("artist_id")[["artist_id", "artist"]].rename(columns={"artist": "name"})
    artists["genre"] = artists["artist_id"].map(_most_common(tracks, "artist_id", "genre"))
    artists["subgenre"] = artists["artist_id"].map(_most_common(tracks, "artist_id", "subgenre"))
    if "popularity" in tracks:
        artists["popularity"] = artists["artist_id"].map(tracks.groupby("artist_id")["popularity"].max())
    return artists


def _albums(tracks: pd.DataFrame) -> pd.DataFrame:
    """One album per album id, credited to its most common artist."""
    with_album = tracks[tracks["album_id"].notna()]
    columns = ["album_id", "title", "artist_id", "album_type", "release_date", "genre", "popularity"]
    if with_album.empty:
        return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c == "release_date" else object)
                             for c in columns})
    grouped = with_album.groupby("album_id")
    albums = with_album.drop_duplicates("album_id")[["album_id", "album"]].rename(columns={"album": "title"})
    albums["artist_id"] = albums["album_id"].map(_most_common(with_album, "album_id", "artist_id"))
    albums["release_date"] = albums["album_id"].map(grouped["release_date"].min())
    albums["genre"] = albums["album_id"].map(_most_common(with_album, "album_id", "genre"))
    if "popularity" in with_album:
        albums["popularity"] = albums["album_id"].map(grouped["popularity"].max())
    # A single is a one-track album named after its track; several artists make a compilation.
    first = with_album.drop_duplicates("album_id").set_index("album_id")
    is_single = (grouped.size() == 1) & (_folded(first["title"]) == _folded(first["album"]))
    many_artists = grouped["artist_id"].nunique() > 1
    albums["album_type"] = np.where(albums["album_id"].map(many_artists), "compilation",
                                    np.where(albums["album_id"].map(is_single), "single", "album"))
    return albums


def _playlists(rows: pd.DataFrame, tracks: pd.DataFrame, curator: str | None,
               report: ImportReport) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Playlists and their memberships (positions in file order, from 1)."""
    member_rows = rows[rows["playlist_id"].notna()]
    playlists = member_rows.drop_duplicates("playlist_id")[["playlist_id", "playlist"]].rename(
        columns={"playlist": "name"})
    playlists["genre"] = playlists["playlist_id"].map(_most_common(member_rows, "playlist_id", "genre"))
    playlists["subgenre"] = playlists["playlist_id"].map(_most_common(member_rows, "playlist_id", "subgenre"))
    playlists["curator"] = curator
    playlists["description"] = [_describe(g, s) for g, s in zip(playlists["genre"], playlists["subgenre"])]
    playlists["era"] = names.era(playlists["name"])

    membership = member_rows[["playlist_id", "track_id"]]
    playlist_tracks = membership.drop_duplicates().copy()
    report.merged["rows repeating a playlist membership"] = len(membership) - len(playlist_tracks)
    playlist_tracks["position"] = playlist_tracks.groupby("playlist_id").cumcount() + 1
    if "popularity" in tracks and not playlist_tracks.empty:
        pop = playlist_tracks["track_id"].map(tracks.set_index("track_id")["popularity"])
        playlists["popularity"] = playlists["playlist_id"].map(pop.groupby(playlist_tracks["playlist_id"]).mean())
    return playlists, playlist_tracks


def _describe(genre: object, subgenre: object) -> str | None:
    genre = genre if isinstance(genre, str) and genre else None
    subgenre = subgenre if isinstance(subgenre, str) and subgenre else None
    if genre and subgenre:
        return f"A {genre} playlist: {subgenre}"
    if genre or subgenre:
        return f"A {genre or subgenre} playlist"
    return None


def _track_artists(tracks: pd.DataFrame, artists: pd.DataFrame) -> pd.DataFrame:
    """Primary credits for every track, featured credits for names that are
    artists of this catalog (the importer invents no artists)."""
    primary = tracks[["track_id", "artist_id"]].assign(role="primary")
    credited = tracks[["track_id", "artist_id", "featured"]].dropna(subset=["featured"])
    credited = credited.assign(name=credited["featured"].str.split(", ")).explode("name")
    id_of = dict(zip(_folded(artists["name"]), artists["artist_id"]))
    credited["featured_id"] = _folded(credited["name"].astype(str)).map(id_of)
    credited = credited[credited["featured_id"].notna() & credited["featured_id"].ne(credited["artist_id"])]
    featured = credited[["track_id", "featured_id"]].rename(columns={"featured_id": "artist_id"})
    featured = featured.drop_duplicates().assign(role="featured")
    return pd.concat([primary, featured], ignore_index=True)
