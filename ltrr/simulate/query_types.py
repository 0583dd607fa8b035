"""The query types simulated users type, and which of them a catalog can satisfy.

Query types favour different arms on purpose:

================== ================================== =====================================
type               example                            intent
================== ================================== =====================================
exact_title        ``blinding lights``                that track (or an identical copy)
misspelled_title   ``blindng lihgts``                 that track
misspelled_artist  ``the weeknf``                     that artist
partial_title      ``blinding``                       that track
artist_title       ``the weeknd blinding lights``     that track
artist_only        ``the weeknd``                     that artist
genre_era          ``hip-hop hits from the nineties`` genre=rap & 1990<=year<=1999
                                                      (tracks, albums; playlists of that
                                                      genre naming the decade)
mood_activity      ``tunes to unwind to``             tracks of that mood (catalog data),
                                                      playlists whose name says the mood
                                                      or activity, their tracks
playlist           ``sad trap playlist``              that playlist
podcast_topic      ``music history podcast``          podcasts and episodes on the topic
ambiguous          ``love``                           well-known titles with the word
new_releases       ``just dropped``                   a new release: the drift's newest
                                                      tracks, or an album out as recently
                                                      (only after the drift event)
playlist_tracks    ``rap workout songs``              the tracks of that playlist (asked
                                                      in the second world only: see
                                                      :mod:`ltrr.simulate.world`)
================== ================================== =====================================

Which of these a stream asks, and how often, is the world's
(:class:`~ltrr.simulate.world.World`): the default world never asks
``playlist_tracks``.

A type is generated only when the catalog can satisfy it
(:func:`available_query_types`): the real shared catalog has no podcasts, no
moods and no subgenres, so there ``podcast_topic`` is never drawn and mood
and activity queries are satisfied by playlists whose names say the mood or
activity ("Sad Trap", "Rap Workout") and by the tracks in them.

The broad intents a catalog supports (genre-decade pairs, mood and activity
asks, ambiguous words) are worked out here once per :class:`CatalogView` and
memoised on it; :mod:`ltrr.simulate.queries` draws from them.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ltrr.simulate import vocab
from ltrr.simulate.catalog_view import CatalogView

QUERY_TYPES: tuple[str, ...] = (
    "exact_title", "misspelled_title", "misspelled_artist", "partial_title", "artist_title",
    "artist_only", "genre_era", "mood_activity", "playlist", "podcast_topic", "ambiguous", "playlist_tracks",
)


# The query types a search for the trending set uses: they name a track or an artist.
DRIFT_TYPES: tuple[str, ...] = (
    "exact_title", "misspelled_title", "misspelled_artist", "partial_title", "artist_title", "artist_only",
)

MIN_RELEVANT = 3          # a broad intent needs at least this many satisfying entities
PLAYLIST_MIN_TRACKS = 2   # asking for a playlist's tracks needs a playlist of at least this many


def available_query_types(view: CatalogView) -> tuple[str, ...]:
    """The query types this catalog can satisfy, in :data:`QUERY_TYPES` order."""
    tracks, artists = len(view.rows_of("track")), len(view.rows_of("artist"))
    playlists = len(view.rows_of("playlist"))
    dated = int((view.years[view.rows_of("track")] > 0).sum()) if tracks else 0
    ok = {
        "exact_title": tracks > 0, "misspelled_title": tracks > 0, "partial_title": tracks > 0,
        "misspelled_artist": artists > 0, "artist_only": artists > 0,
        "artist_title": tracks > 0 and artists > 0,
        "genre_era": dated >= MIN_RELEVANT and bool(genre_eras(view)),
        "mood_activity": bool(mood_activity_options(view)),
        "playlist": playlists > 0,
        "podcast_topic": len(view.rows_of("podcast")) > 0,
        "ambiguous": bool(ambiguous_words(view)),
        "playlist_tracks": len(playlists_with_tracks(view)) > 0,
    }
    return tuple(t for t in QUERY_TYPES if ok[t])


def playlists_with_tracks(view: CatalogView) -> np.ndarray:
    """Playlist rows with at least :data:`PLAYLIST_MIN_TRACKS` member tracks (what a tracks ask wants)."""
    return view.memo("playlists_with_tracks", lambda: np.array(
        sorted(p for p, members in view.playlist_members.items() if len(members) >= PLAYLIST_MIN_TRACKS),
        dtype=np.int64))


def genre_eras(view: CatalogView) -> list[tuple[str, int, np.ndarray]]:
    """(genre, decade, satisfying rows) for every genre-decade pair with enough tracks."""
    return view.memo("genre_eras", lambda: _make_genre_eras(view))


def _make_genre_eras(view: CatalogView) -> list[tuple[str, int, np.ndarray]]:
    out = []
    typed = (view.types == "track") | (view.types == "album")
    for genre in view.track_genres:
        for decade in range(1950, 2030, 10):
            in_era = typed & (view.genres == genre) & (view.years >= decade) & (view.years <= decade + 9)
            if int(in_era.sum()) < MIN_RELEVANT:
                continue
            playlists = view.name_mask(vocab.era_markers(decade), "playlist") & (view.genres == genre)
            out.append((genre, decade, np.flatnonzero(in_era | playlists)))
    return out


def mood_activity_mask(view: CatalogView, kind: str, values: Sequence[str], genre: str) -> np.ndarray:
    """Entities satisfying a mood or activity (and genre): tagged tracks, playlists named so, their tracks."""
    return view.cached(("mood_activity", kind, tuple(values), genre),
                       lambda: _make_mood_activity_mask(view, kind, values, genre))


def _make_mood_activity_mask(view: CatalogView, kind: str, values: Sequence[str], genre: str) -> np.ndarray:
    markers: list[str] = []
    mask = np.zeros(len(view.ids), dtype=bool)
    for value in values:
        if kind == "mood":
            markers.extend(vocab.MOOD_MARKERS.get(value, (value,)))
            mask |= (view.moods == value) & (view.types == "track")
        else:
            markers.extend(vocab.ACTIVITY_MARKERS.get(value, (value,)))
    named = view.name_mask(tuple(markers), "playlist")
    mask = mask | view.with_members(named)
    if genre:
        mask &= view.genres == genre
    return mask


def mood_activity_options(view: CatalogView) -> list[tuple[str, str, str, str]]:
    """(kind, value, template, genre) the catalog can satisfy; genre "" for templates without {g}."""
    return view.memo("mood_activity_options", lambda: _make_mood_activity_options(view))


def _make_mood_activity_options(view: CatalogView) -> list[tuple[str, str, str, str]]:
    out = []
    for kind, asks in (("mood", vocab.MOOD_ASKS), ("activity", vocab.ACTIVITY_ASKS)):
        for value, templates in asks.items():
            for template in templates:
                genres = view.track_genres if "{g}" in template else [""]
                for genre in genres:
                    if mood_activity_mask(view, kind, (value,), genre).sum() >= MIN_RELEVANT:
                        out.append((kind, value, template, genre))
    return out


def ambiguous_words(view: CatalogView, limit: int = 40) -> list[str]:
    """Common title words that name things of several types ("love", "night"): the catalog decides."""
    # Ten titles make a word common in a real catalog; a toy catalog settles for two.
    least = max(2, min(10, len(view.ids) // 2000))

    def make() -> list[str]:
        counts = []
        for tok, rows in view.token_rows.items():
            if len(rows) >= least and len(tok) >= 3 and tok.isalpha() and tok not in vocab.STOPWORDS \
                    and len(set(view.types[rows].tolist())) >= 2:
                counts.append((-len(rows), tok))
        return sorted(tok for _, tok in sorted(counts)[:limit])
    return view.memo("ambiguous_words", make)
