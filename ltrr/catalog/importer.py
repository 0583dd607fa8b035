"""Importing a real catalog from a CSV or Parquet file.

One row of the input is one track, possibly repeated once per playlist it
belongs to (the "30000 Spotify Songs" layouts are track x playlist
memberships). The importer decodes the file, maps its columns to the
catalog's fields (a preset recognised from the header, a generic guess, or
``--map FIELD=COLUMN``), cleans every field, de-duplicates tracks and builds
artists, albums, playlists and memberships, then publishes the catalog
atomically through :class:`CatalogWriter`.

Nothing is dropped silently: a row loses an optional field that cannot be
parsed (the field becomes NULL) and is dropped only when it has no title or
no artist; both are counted by reason in the :class:`ImportReport`.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ltrr.catalog.columns import resolve_mapping
from ltrr.catalog.import_report import ImportReport
from ltrr.catalog.reading import is_parquet, one_line, read_csv, read_parquet
from ltrr.catalog.schema import ENTITY_TYPES, NEW_RELEASE_DAYS
from ltrr.catalog.writer import CatalogWriter
from ltrr.errors import CatalogImportError
from ltrr.progress import ProgressFn, silent
from ltrr.text import fold


_NUMERIC_FIELDS = ("popularity", "duration_sec", "duration_ms", "danceability", "energy",
                   "valence", "tempo")
_TEXT_FIELDS = ("title", "artist", "album", "genre", "subgenre", "playlist",
                "track_id", "album_id", "playlist_id")
# Plausible ranges: a value outside is treated like an unparseable one.
_RANGES = {"popularity": (0, 100), "duration_sec": (0, 24 * 3600), "duration_ms": (0, 24 * 3600 * 1000),
           "danceability": (0, 1), "energy": (0, 1), "valence": (0, 1), "tempo": (0, 400)}


# --------------------------------------------------------------------------- destination


def check_replaceable(dest: Path, src: Path | None = None) -> None:
    """Refuse to write a catalog over the input or over a file that is not a
    DuckDB database: a slip in ``--catalog`` must not destroy someone's data."""
    if src is not None and dest.exists() and dest.resolve() == src.resolve():
        raise CatalogImportError(f"the catalog path {dest} is the file being imported")
    if dest.is_dir():
        raise CatalogImportError(f"the catalog path {dest} is a directory")
    if dest.exists() and dest.stat().st_size > 0:
        with dest.open("rb") as handle:
            if handle.read(12)[8:12] != b"DUCK":
                raise CatalogImportError(f"refusing to replace {dest}: it is not a DuckDB catalog")


# --------------------------------------------------------------------------- cleaning

_CONTROL_RE = r"[\x00-\x1f\x7f-\x9f]"
_FEAT_BRACKET_RE = r"[\(\[]\s*(?:feat\.?|ft\.?|featuring|with)\s+([^\)\]]+)[\)\]]"
_FEAT_BARE_RE = r"\s(?:feat\.|ft\.|featuring)\s+(.+?)(?=\s+-\s|\s*[\(\[]|$)"
_VERSION_PART_RE = r"(?:\s-\s([^\(\)\[\]]+)|[\(\[]([^\(\)\[\]]+)[\)\]])"
# Checked in order: "Live Remix" is a remix.
_VERSIONS = (("remix", r"\bremix\b|\bmix\b"), ("live", r"\blive\b"), ("acoustic", r"\bacoustic\b"),
             ("radio edit", r"\bradio edit\b"), ("remastered", r"\bremaster"))
_ERA_RE = r"\b((?:19|20)?\d0)'?s\b"


def _text(series: pd.Series) -> pd.Series:
    """NFC, control characters to spaces, single spaces, stripped; '' when missing."""
    s = series.astype("string").fillna("")
    s = s.str.normalize("NFC").str.replace(_CONTROL_RE, " ", regex=True)
    return s.str.replace(r"\s+", " ", regex=True).str.strip().astype(object)


def _number(series: pd.Series, name: str, report: ImportReport) -> pd.Series:
    """Floats; unparseable or out-of-range values become NaN and are counted."""
    if pd.api.types.is_bool_dtype(series):
        series = series.astype(float)
    if pd.api.types.is_numeric_dtype(series):
        values = series.astype(float)
        present = values.notna()
    else:
        raw = _text(series)
        present = raw.ne("")
        values = pd.to_numeric(raw.where(present, None), errors="coerce").astype(float)
    bad = present & values.isna()
    report.count(f"{name}: not a number (set to NULL)", bad.sum())
    low, high = _RANGES.get(name, (-np.inf, np.inf))
    out_of_range = values.notna() & ((values < low) | (values > high))
    report.count(f"{name}: outside {low:g}..{high:g} (set to NULL)", out_of_range.sum())
    return values.mask(out_of_range)


def _boolean(series: pd.Series, report: ImportReport) -> pd.Series:
    raw = _text(series).str.lower()
    truth = {"true": True, "1": True, "yes": True, "y": True, "t": True,
             "false": False, "0": False, "no": False, "n": False, "f": False}
    values = raw.map(truth)
    report.count("explicit: not a boolean (set to NULL)", (raw.ne("") & values.isna()).sum())
    return values.astype(object).where(values.notna(), None)


def parse_dates(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse release dates; returns (datetime64 series, mask of unparseable values).

    Accepted: ``YYYY-MM-DD``, ``DD-MM-YYYY`` (``-``, ``/`` or ``.``), ``YYYY-MM``
    and a bare year (``2012`` -> 2012-01-01); a trailing time is ignored.
    Years outside 1000..2999 are unparseable.
    """
    if pd.api.types.is_datetime64_any_dtype(series):
        values = pd.to_datetime(series, errors="coerce")
        if values.dt.tz is not None:
            values = values.dt.tz_localize(None)
        return values.astype("datetime64[ns]"), pd.Series(False, index=series.index)
    s = _text(series)
    present = s.ne("")
    parts = pd.DataFrame(index=s.index, columns=["year", "month", "day"], dtype=object)
    patterns = (
        (r"^(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})(?:[ T].*)?$", None),
        (r"^(?P<day>\d{1,2})[-/.](?P<month>\d{1,2})[-/.](?P<year>\d{4})(?:[ T].*)?$", None),
        (r"^(?P<year>\d{4})[-/.](?P<month>\d{1,2})$", {"day": "1"}),
        (r"^(?P<year>\d{4})(?:\.0)?$", {"month": "1", "day": "1"}),
    )
    for pattern, defaults in patterns:
        todo = parts["year"].isna() & present
        if not todo.any():
            break
        found = s[todo].str.extract(pattern)
        found = found.dropna(subset=["year"])
        for col, value in (defaults or {}).items():
            found[col] = value
        parts.loc[found.index, ["year", "month", "day"]] = found[["year", "month", "day"]].to_numpy()
    numbers = parts.apply(pd.to_numeric, errors="coerce")
    numbers = numbers.where((numbers["year"] >= 1000) & (numbers["year"] <= 2999))
    values = pd.to_datetime(numbers, errors="coerce")
    return values.astype("datetime64[ns]"), present & values.isna()


def _featured(titles: pd.Series) -> pd.Series:
    """'Song (feat. A & B) - X Remix' -> 'A, B'; None without credits."""
    bracketed = titles.str.findall(_FEAT_BRACKET_RE, flags=re.IGNORECASE)
    bare = titles.str.findall(_FEAT_BARE_RE, flags=re.IGNORECASE)

    def join(names: list[str]) -> str | None:
        split = [n.strip() for raw in names for n in re.split(r"\s*(?:,|&)\s*", raw)]
        split = list(dict.fromkeys(n for n in split if n))
        return ", ".join(split) or None

    return (bracketed + bare).map(join)


def _version(titles: pd.Series) -> pd.Series:
    """The version a title names in its suffix (" - Live", "(Remix)"), else None.

    Only the dash/bracket suffix is read so that "Live Forever" stays an original.
    """
    suffix = titles.str.findall(_VERSION_PART_RE).map(
        lambda groups: " ".join(a or b for a, b in groups).lower())
    out = pd.Series(None, index=titles.index, dtype=object)
    for name, pattern in _VERSIONS:
        hit = out.isna() & suffix.str.contains(pattern, regex=True)
        out[hit] = name
    return out


def _era(names: pd.Series) -> pd.Series:
    """'90s Rap' -> '1990s', "2000's Hits" -> '2000s'; None without an era."""
    found = names.str.extract(_ERA_RE, flags=re.IGNORECASE)[0]

    def full(decade: object) -> str | None:
        if not isinstance(decade, str):
            return None
        year = int(decade)
        if year < 100:
            year += 1900 if year >= 30 else 2000
        return f"{year}s"

    return found.map(full)


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


# --------------------------------------------------------------------------- building


def _clean_rows(frame: pd.DataFrame, mapping: dict[str, str], report: ImportReport) -> pd.DataFrame:
    """Input rows -> one clean row per input row that has a title and an artist."""
    try:
        return _clean_fields(frame, mapping, report)
    except (TypeError, ValueError, ArithmeticError) as exc:
        # Parquet can hold nested or binary columns that no field can use.
        raise CatalogImportError(f"a mapped column cannot be read: {one_line(exc)}") from None


def _clean_fields(frame: pd.DataFrame, mapping: dict[str, str], report: ImportReport) -> pd.DataFrame:
    rows = pd.DataFrame(index=frame.index)
    for fld in _TEXT_FIELDS:
        rows[fld] = _text(frame[mapping[fld]]) if fld in mapping else ""
    for fld in _NUMERIC_FIELDS:
        if fld in mapping:
            rows[fld] = _number(frame[mapping[fld]], fld, report)
    if "duration_ms" in rows:
        seconds = rows["duration_ms"] / 1000.0
        rows["duration_sec"] = rows["duration_sec"].fillna(seconds) if "duration_sec" in rows else seconds
        rows = rows.drop(columns="duration_ms")
    rows["explicit"] = _boolean(frame[mapping["explicit"]], report) if "explicit" in mapping else None
    if "release_date" in mapping:
        rows["release_date"], bad = parse_dates(frame[mapping["release_date"]])
        report.count("release_date: unparseable (set to NULL)", bad.sum())
    else:
        rows["release_date"] = pd.Series(pd.NaT, index=rows.index, dtype="datetime64[ns]")

    damaged = pd.Series(False, index=rows.index)
    for fld in ("title", "artist", "album", "playlist"):
        damaged |= rows[fld].str.contains("\ufffd", regex=False)
    report.count("text damaged before import (U+FFFD replacement characters, kept)", damaged.sum())

    no_title = rows["title"].eq("")
    no_artist = rows["artist"].eq("") & ~no_title
    report.count("missing title (row dropped)", no_title.sum())
    report.count("missing artist (row dropped)", no_artist.sum())
    return rows[~(no_title | no_artist)].reset_index(drop=True)


def _assign_ids(rows: pd.DataFrame) -> pd.DataFrame:
    """Entity ids: native ids where the file has them, else hashes of folded names."""
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


def _build_tables(rows: pd.DataFrame, curator: str | None, report: ImportReport) -> dict[str, pd.DataFrame]:
    """Clean rows -> one DataFrame per catalog table."""
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
    tracks["featured"] = _featured(tracks["title"])
    tracks["version"] = _version(tracks["title"])
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
    playlists["era"] = _era(playlists["name"])

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


# --------------------------------------------------------------------------- entry point


def import_file(src: str | Path, dest: str | Path, mapping: dict[str, str] | None = None,
                progress: ProgressFn = silent) -> ImportReport:
    """Import a CSV or Parquet catalog file into a new catalog at `dest`.

    `mapping` (field -> column) overrides or supplies the column mapping; see
    FIELDS. Raise CatalogImportError, with a one-line message, when the file
    cannot be imported at all; row-level problems are counted in the report.
    The catalog at `dest` is replaced only when the import succeeds.
    """
    src, dest = Path(src), Path(dest)
    if not src.is_file():
        raise CatalogImportError(f"no such file: {src}")
    check_replaceable(dest, src)
    steps = 5
    label = f"importing {src.name}"
    progress(0, steps, label)

    if is_parquet(src):
        frame, encoding, broken, malformed = read_parquet(src), "parquet", 0, 0
    else:
        frame, encoding, broken, malformed = read_csv(src)
    frame.columns = [str(c) for c in frame.columns]
    progress(1, steps, label)

    try:
        fields, preset = resolve_mapping(list(frame.columns), mapping)
    except CatalogImportError as exc:
        raise CatalogImportError(f"{src}: {exc}") from None
    report = ImportReport(source=src, dest=dest, layout=preset.name if preset else "generic",
                          encoding=encoding, mapping=fields)
    report.rows_read = len(frame) + malformed
    report.count("wrong number of fields (row dropped)", malformed)
    report.count("broken encoding (line decoded as cp1252, kept)", broken)
    if len(frame) == 0:
        raise CatalogImportError(f"{src} has a header but no rows")

    rows = _clean_rows(frame, fields, report)
    if rows.empty:
        raise CatalogImportError(f"{src}: none of its {len(frame):,} rows has both a title and an artist")
    rows = _assign_ids(rows)
    report.rows_imported = len(rows)
    progress(2, steps, label)

    tables = _build_tables(rows, preset.curator if preset else None, report)
    progress(3, steps, label)

    with CatalogWriter(dest) as writer:
        for table, data in tables.items():
            writer.append(table, data)
        writer.finish(source=f"import:{src.name}", layout=report.layout, encoding=encoding,
                      rows_read=report.rows_read, rows_imported=report.rows_imported)
    progress(4, steps, label)

    counts = {"track": len(tables["tracks"]), "artist": len(tables["artists"]),
              "album": len(tables["albums"]), "playlist": len(tables["playlists"])}
    report.entities = {t: counts.get(t, 0) for t in ENTITY_TYPES}
    report.memberships = len(tables["playlist_tracks"])
    progress(steps, steps, label)
    return report

