"""A deterministic synthetic music catalog that scales to millions of tracks.

Built to exercise the hard cases of music search: Zipf popularity, "feat."
and "with" credits, remixes and live versions of the same song, common words
shared by titles, artists, playlists and podcasts ("love", "night", "fire"),
near-duplicate artist names ("The Weekend" / "The Weeknd", "DJ Nova" /
"Nova"), genres with subgenres, moods, eras from the 1960s to the 2020s, new
releases, and audio features that follow genre and mood. Playlists are built
from explicit constraints (genre, era, mood, activity, subgenre, artist, new)
and hold only tracks that satisfy them.

The same ``(tracks, seed)`` always gives the same table contents: every
random draw comes from a generator seeded by ``seed`` and the step it serves.
Tracks are generated and written in chunks of about ``CHUNK`` rows, so memory
stays bounded by a few small per-track arrays (used to fill playlists).

:func:`generate` runs the steps in this order, one module each:

* :mod:`ltrr.catalog.synthetic_artists`: the artists, their popularity and
  names, with near-duplicate look-alikes;
* :mod:`ltrr.catalog.synthetic_albums`: which tracks each artist has and how
  they group into singles, EPs and albums (the plan), and the albums' rows;
* :mod:`ltrr.catalog.synthetic_tracks`: tracks chunk by chunk, with titles,
  versions, credits and audio features;
* :mod:`ltrr.catalog.synthetic_playlists`: playlists filled from the tracks'
  recorded features;
* :mod:`ltrr.catalog.synthetic_podcasts`: podcasts and episodes.

They share :mod:`ltrr.catalog.synthetic_codes` (the reference date, genre and
subgenre codes) and :mod:`ltrr.catalog.synthetic_draws` (one random generator
per step, word picks); the words themselves are in
:mod:`ltrr.catalog.wordlists`.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ltrr.catalog.synthetic_albums import AlbumPlan, plan_albums
from ltrr.catalog.synthetic_artists import make_artists
from ltrr.catalog.synthetic_codes import REFERENCE_DATE
from ltrr.catalog.synthetic_playlists import make_playlists
from ltrr.catalog.synthetic_podcasts import make_podcasts
from ltrr.catalog.synthetic_tracks import TrackFeatures, make_chunk
from ltrr.catalog.writer import CatalogWriter
from ltrr.progress import ProgressFn, silent

# Tracks generated and written at a time: memory stays bounded however many tracks.
CHUNK = 100_000
# The size of the default catalog the app builds on a first start.
DEFAULT_TRACKS = 50_000


def generate(dest: str | Path, tracks: int = DEFAULT_TRACKS, seed: int = 0,
             progress: ProgressFn = silent) -> Path:
    """Write a synthetic catalog with about `tracks` tracks to `dest`; return its path.

    Deterministic in ``(tracks, seed)``. The file appears only when complete.
    """
    if isinstance(tracks, bool) or not isinstance(tracks, (int, np.integer)) or tracks < 1:
        raise ValueError(f"tracks must be a positive integer, got {tracks!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    tracks, seed = int(tracks), int(seed)

    artists = make_artists(tracks, seed)
    plan = plan_albums(artists, tracks, seed)
    features = TrackFeatures.empty(tracks)
    with CatalogWriter(dest) as writer:
        writer.append("artists", artists.frame())
        bounds = _chunk_bounds(plan, tracks)
        for number, (lo, hi) in enumerate(bounds):
            progress(lo, tracks, "generating tracks")
            album_frame, track_frame, credits = make_chunk(artists, plan, features, lo, hi, seed, number)
            writer.append("albums", album_frame)
            writer.append("tracks", track_frame)
            writer.append("track_artists", credits)
        progress(tracks, tracks, "generating tracks")

        playlists, members = make_playlists(artists, plan.track_artist, features, tracks, seed, progress)
        writer.append("playlists", playlists)
        writer.append("playlist_tracks", members)
        podcasts, episodes = make_podcasts(artists, tracks, seed)
        writer.append("podcasts", podcasts)
        writer.append("episodes", episodes)
        progress(0, 1, "publishing catalog")
        path = writer.finish(source="synthetic", seed=seed, tracks=tracks,
                             reference_date=REFERENCE_DATE.isoformat())
        progress(1, 1, "publishing catalog")
    return path


def _chunk_bounds(plan: AlbumPlan, tracks: int) -> list[tuple[int, int]]:
    """Track ranges of about CHUNK tracks that never split an album, so a
    remix can always name its original in the same chunk."""
    bounds, lo = [], 0
    while lo < tracks:
        target = lo + CHUNK
        if target >= tracks:
            hi = tracks
        else:
            a = int(np.searchsorted(plan.album_start, target, side="left"))
            hi = int(plan.album_start[a]) if a < len(plan.album_start) else tracks
            hi = max(hi, lo + 1)
        bounds.append((lo, hi))
        lo = hi
    return bounds


