"""The synthetic catalog's albums: which tracks each artist has, how they
group into singles, EPs and albums released over the artist's career, and the
albums' rows and titles.

The plan is made once, for the whole catalog, before any track is drawn, so a
chunk of tracks knows its albums (chunks never split one).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ltrr.catalog import wordlists as W
from ltrr.catalog.schema import NEW_RELEASE_DAYS
from ltrr.catalog.synthetic_artists import Artists
from ltrr.catalog.synthetic_codes import GENRE_NAMES, REFERENCE_DAY
from ltrr.catalog.synthetic_draws import pick, step_rng


@dataclass
class AlbumPlan:
    """Every track's artist and album, and every album's tracks, kind and release day.

    Tracks are numbered artist by artist and album by album, so an album's
    tracks are the range ``album_start`` to ``album_start + album_size``.
    """

    track_artist: np.ndarray   # artist index of every track (tracks grouped by artist)
    track_album: np.ndarray    # album index of every track
    album_start: np.ndarray    # first track of each album
    album_size: np.ndarray
    album_artist: np.ndarray
    album_kind: np.ndarray     # object: single, ep, album, live, compilation
    album_day: np.ndarray      # release date, days since 1970-01-01


def plan_albums(artists: Artists, tracks: int, seed: int) -> AlbumPlan:
    """How many tracks each artist has (Zipf-ish, at least one) and how they
    group into singles, EPs and albums released over the artist's career."""
    rng = step_rng(seed, 2)
    n = len(artists)
    counts = np.ones(n, dtype=np.int64)
    if tracks > n:
        share = artists.weight ** 0.3
        counts += rng.multinomial(tracks - n, share / share.sum())
    else:
        counts = np.zeros(n, dtype=np.int64)
        counts[rng.choice(n, tracks, replace=False)] = 1
    track_artist = np.repeat(np.arange(n, dtype=np.int32), counts)

    sizes, owners, kinds = [], [], []
    kind_draw = rng.random(int(counts.sum()) + n)
    size_draw = rng.integers(0, 1 << 30, int(counts.sum()) + n)
    k = 0
    for artist, count in enumerate(counts):
        left = int(count)
        while left > 0:
            u, s = kind_draw[k], size_draw[k]
            k += 1
            if u < 0.35 or left == 1:
                size, kind = 1, "single"
            elif u < 0.55:
                size, kind = 3 + s % 4, "ep"
            else:
                size = 8 + s % 7
                kind = "live" if u > 0.96 else "compilation" if u > 0.93 else "album"
            size = min(size, left)
            if size == 1:
                kind = "single"
            sizes.append(size)
            owners.append(artist)
            kinds.append(kind)
            left -= size
    album_size = np.asarray(sizes, dtype=np.int64)
    album_artist = np.asarray(owners, dtype=np.int32)
    album_start = np.concatenate([[0], np.cumsum(album_size)[:-1]])
    track_album = np.repeat(np.arange(len(album_size), dtype=np.int32), album_size)

    # Albums come out in order over the career: the k-th of m sits at (k + u) / m.
    first_of_artist = np.concatenate([[0], np.flatnonzero(np.diff(album_artist)) + 1])
    albums_of_artist = np.diff(np.concatenate([first_of_artist, [len(album_artist)]]))
    position = np.arange(len(album_artist)) - np.repeat(first_of_artist, albums_of_artist)
    per_artist = np.repeat(albums_of_artist, albums_of_artist)
    frac = (position + rng.random(len(album_artist))) / per_artist
    start = artists.start_year[album_artist].astype(float)
    # Careers running past "today" are squeezed to end today.
    today = 1970 + REFERENCE_DAY / 365.25
    end = np.minimum(start + artists.career[album_artist], today)
    year = start + frac * np.maximum(end - start, 0.0)
    day = np.minimum(((year - 1970) * 365.25).astype(np.int64), REFERENCE_DAY)
    return AlbumPlan(track_artist, track_album, album_start, album_size, album_artist,
                     np.asarray(kinds, dtype=object), day)


def chunk_albums(rng: np.random.Generator, artists: Artists, plan: AlbumPlan, album: np.ndarray,
                 titles: np.ndarray, popularity: np.ndarray, lo: int) -> pd.DataFrame:
    """The ``albums`` rows of a chunk of tracks starting at track `lo` (chunks never split an album).

    `album`, `titles` and `popularity` are the chunk's tracks' album index, title
    and popularity: a single is titled after its track, an album is as popular as
    its most popular track.
    """
    ids = np.unique(album)
    m = len(ids)
    kind = plan.album_kind[ids]
    owner = plan.album_artist[ids]
    first_title = titles[plan.album_start[ids] - lo]
    adj = pick(rng, W.ADJECTIVES, m)
    noun = pick(rng, W.COMMON_WORDS, m, exponent=0.8)
    noun2 = pick(rng, W.COMMON_WORDS, m)
    place = pick(rng, W.PLACES, m)
    live_place = pick(rng, W.LIVE_PLACES, m)
    tpl = rng.integers(0, len(W.ALBUM_TEMPLATES), m)
    roman = pick(rng, W.ROMAN, m)
    out = np.empty(m, dtype=object)
    for i in range(m):
        if kind[i] == "single":
            out[i] = first_title[i]
        elif kind[i] == "live":
            out[i] = f"Live at {live_place[i]}"
        elif kind[i] == "compilation":
            name = artists.names[owner[i]]
            out[i] = ("Greatest Hits", f"The Best of {name}", "Anthology", "The Collection")[tpl[i] % 4]
        else:
            out[i] = W.ALBUM_TEMPLATES[tpl[i]].format(A=adj[i], N=noun[i], N2=noun2[i], P=place[i], R=roman[i])
    best = pd.Series(popularity).groupby(album - ids[0]).max().to_numpy()
    day = plan.album_day[ids]
    return pd.DataFrame({
        "album_id": [f"album:al{a:07d}" for a in ids], "title": out, "artist_id": artists.ids[owner],
        "album_type": kind, "release_date": pd.to_datetime(day, unit="D"),
        "genre": np.asarray(GENRE_NAMES, dtype=object)[artists.genre[owner]],
        "popularity": best, "is_new": day > REFERENCE_DAY - NEW_RELEASE_DAYS,
    })
