"""Recognising a catalog file's columns: which column holds which field.

A header is matched against the known layouts (:data:`PRESETS`, compared
case-insensitively); a file in no known layout gets a guess by column name;
``--map FIELD=COLUMN`` overrides either. Only the title and artist are
required; every field is listed, with its meaning, in :data:`FIELDS`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ltrr.errors import CatalogImportError


# Every field the importer understands, with what it means (shown by the CLI
# when --map names an unknown field).
FIELDS: dict[str, str] = {
    "title": "track title (required)",
    "artist": "primary artist name (required)",
    "album": "album title",
    "release_date": "release date: YYYY-MM-DD, DD-MM-YYYY, YYYY-MM or YYYY",
    "popularity": "popularity 0-100",
    "genre": "genre of the track or of its playlist",
    "subgenre": "subgenre",
    "playlist": "name of a playlist the track belongs to",
    "duration_sec": "track length in seconds",
    "duration_ms": "track length in milliseconds",
    "explicit": "explicit lyrics flag (true/false, 1/0, yes/no)",
    "track_id": "native track id",
    "album_id": "native album id",
    "playlist_id": "native playlist id",
    "danceability": "audio feature 0-1",
    "energy": "audio feature 0-1",
    "valence": "audio feature 0-1",
    "tempo": "beats per minute",
}
REQUIRED_FIELDS = ("title", "artist")


@dataclass(frozen=True)
class Preset:
    """A known column layout: recognised when every `required` column is in
    the header; `optional` columns are used when present."""

    name: str
    required: dict[str, str]
    optional: dict[str, str] = field(default_factory=dict)
    curator: str | None = None

    def matches(self, by_lower: dict[str, str]) -> bool:
        """True when the header (lower-cased name -> actual name) has every required column."""
        return all(col in by_lower for col in self.required.values())

    def mapping(self, by_lower: dict[str, str]) -> dict[str, str]:
        """Field -> the header's actual column name, optional columns where present."""
        wanted = {**self.required, **self.optional}
        return {f: by_lower[c] for f, c in wanted.items() if c in by_lower}


SPOTIFY_30K = Preset(
    name="spotify-30000",
    required={"title": "track_name", "artist": "track_artist"},
    optional={
        "track_id": "track_id", "popularity": "track_popularity", "album_id": "track_album_id",
        "album": "track_album_name", "release_date": "track_album_release_date",
        "playlist": "playlist_name", "playlist_id": "playlist_id", "genre": "playlist_genre",
        "subgenre": "playlist_subgenre", "danceability": "danceability", "energy": "energy",
        "valence": "valence", "tempo": "tempo", "duration_ms": "duration_ms",
    },
    curator="Spotify",
)
SHARED_LAYOUT = Preset(
    name="ltrr-shared",
    required={"title": "track_name", "artist": "artist", "album": "album",
              "release_date": "album_release", "playlist": "playlist"},
    optional={"popularity": "popularity", "genre": "genres", "duration_sec": "duration_sec"},
    curator="Spotify",
)
PRESETS = (SPOTIFY_30K, SHARED_LAYOUT)

# Column names a generic file may use for a field, compared case-insensitively.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "title": ("title", "track_name", "track_title", "song", "song_name", "track", "name"),
    "artist": ("artist", "artist_name", "track_artist", "artists", "performer"),
    "album": ("album", "album_name", "album_title", "track_album_name"),
    "release_date": ("release_date", "album_release", "album_release_date", "released", "date", "year"),
    "popularity": ("popularity", "track_popularity"),
    "genre": ("genre", "genres", "playlist_genre"),
    "subgenre": ("subgenre", "playlist_subgenre"),
    "playlist": ("playlist", "playlist_name"),
    "duration_sec": ("duration_sec", "duration_s", "seconds"),
    "duration_ms": ("duration_ms",),
    "explicit": ("explicit",),
    "track_id": ("track_id",), "album_id": ("album_id", "track_album_id"),
    "playlist_id": ("playlist_id",),
    "danceability": ("danceability",), "energy": ("energy",), "valence": ("valence",),
    "tempo": ("tempo", "bpm"),
}


def resolve_mapping(columns: list[str], overrides: dict[str, str] | None = None,
                    ) -> tuple[dict[str, str], Preset | None]:
    """Field -> column for a header: a preset if one matches, else a guess by
    column name; `overrides` (from --map) win. Raise CatalogImportError for an
    unknown field, a missing column, or no title/artist column."""
    names = [str(c) for c in columns]
    exact = set(names)
    by_lower: dict[str, str] = {}
    for name in names:
        by_lower.setdefault(name.strip().lower(), name)

    preset = next((p for p in PRESETS if p.matches(by_lower)), None)
    if preset is not None:
        mapping = preset.mapping(by_lower)
    else:
        mapping = {}
        for fld, synonyms in _SYNONYMS.items():
            col = next((by_lower[s] for s in synonyms if s in by_lower), None)
            if col is not None and col not in mapping.values():
                mapping[fld] = col

    for fld, col in (overrides or {}).items():
        if fld not in FIELDS:
            raise CatalogImportError(
                f"unknown field {fld!r} in --map; fields are: {', '.join(FIELDS)}")
        if col in exact:
            mapping[fld] = col
        elif col.strip().lower() in by_lower:
            mapping[fld] = by_lower[col.strip().lower()]
        else:
            raise CatalogImportError(
                f"--map {fld}={col}: no column {col!r} in the file; columns are: {_preview(names)}")

    for fld in REQUIRED_FIELDS:
        if fld not in mapping:
            raise CatalogImportError(
                f"no recognisable {fld} column (columns: {_preview(names)}); "
                f"name it with --map {fld}=COLUMN")
    return mapping, preset


def _preview(names: list[str], limit: int = 12) -> str:
    shown = ", ".join(repr(n)[:40] for n in names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


def parse_map_args(items: list[str] | None) -> dict[str, str]:
    """``["title=Song", "artist=Band"]`` -> ``{"title": "Song", "artist": "Band"}``;
    raise CatalogImportError on a malformed item or an unknown field."""
    out: dict[str, str] = {}
    for item in items or []:
        fld, sep, col = item.partition("=")
        fld = fld.strip()
        if not sep or not fld or not col.strip():
            raise CatalogImportError(f"--map expects FIELD=COLUMN, got {item!r}")
        if fld not in FIELDS:
            raise CatalogImportError(f"unknown field {fld!r} in --map; fields are: {', '.join(FIELDS)}")
        out[fld] = col
    return out
