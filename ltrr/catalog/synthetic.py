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
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from ltrr.catalog import wordlists as W
from ltrr.catalog.synthetic_albums import AlbumPlan, plan_albums
from ltrr.catalog.synthetic_artists import Artists, make_artists
from ltrr.catalog.synthetic_codes import GENRE_NAMES, REFERENCE_DATE, REFERENCE_DAY, era_label
from ltrr.catalog.synthetic_draws import choice, step_rng
from ltrr.catalog.synthetic_playlists import make_playlists
from ltrr.catalog.synthetic_tracks import TrackFeatures, make_chunk
from ltrr.catalog.writer import CatalogWriter
from ltrr.progress import ProgressFn, silent

NEW_EPISODE_DAYS = 30
CHUNK = 100_000
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
        podcasts, episodes = _make_podcasts(artists, tracks, seed)
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


# --------------------------------------------------------------------------- podcasts


def _make_podcasts(artists: Artists, tracks: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Podcasts on topics, with weekly-ish episodes; music podcasts talk about
    the catalog's artists (a title like "How Nova Changed EDM" is an episode)."""
    rng = step_rng(seed, 5)
    n = int(np.clip(tracks // 250, 12, 4000))
    topics = tuple(W.PODCAST_TOPICS)
    rank = rng.permutation(n) + 1
    popularity = np.clip(90 - 20 * np.log10(rank) + rng.normal(0, 5, n), 0, 100).round(1)
    top_artists = np.argsort(-artists.popularity)[: max(5, len(artists) // 10)]
    pods, eps = [], []
    seen: dict[str, int] = {}
    episode_no = 0
    for i in range(n):
        topic = topics[int(rng.integers(0, len(topics)))]
        word = choice(rng, W.PODCAST_TOPICS[topic])
        title = choice(rng, W.PODCAST_TEMPLATES).format(
            T=word, A=choice(rng, W.ADJECTIVES), F=choice(rng, W.FIRST_NAMES), L=choice(rng, W.LAST_NAMES))
        count = seen.get(title, 0)
        seen[title] = count + 1
        if count:
            title = f"{title} {count + 1}"
        publisher = choice(rng, (f"{choice(rng, W.LAST_NAMES)} Media", "ltrr Audio",
                                  f"{choice(rng, W.BAND_ADJECTIVES)} {choice(rng, W.BAND_NOUNS)} Studios"))
        podcast_id = f"podcast:pc{i:07d}"
        pods.append({"podcast_id": podcast_id, "title": title, "publisher": publisher,
                     "description": f"A {topic} podcast: {word.lower()}, conversations and stories.",
                     "topic": topic, "popularity": popularity[i]})
        n_eps = int(rng.integers(4, 41))
        last = REFERENCE_DAY - int(rng.exponential(60))
        for k in range(n_eps):
            if topic == "music history" and rng.random() < 0.6:
                a = int(top_artists[rng.integers(0, len(top_artists))])
                decade = int(rng.choice(W.DECADES))
                ep_title = choice(rng, W.MUSIC_EPISODE_TEMPLATES).format(
                    AR=artists.names[a], G=W.GENRE_DISPLAY[GENRE_NAMES[artists.genre[a]]], E=era_label(decade))
            else:
                ep_title = choice(rng, W.EPISODE_TEMPLATES).format(
                    N=choice(rng, W.COMMON_WORDS), N2=choice(rng, W.MOOD_NOUNS[choice(rng, W.MOODS)]),
                    A=choice(rng, W.ADJECTIVES))
            day = last - 7 * k - int(rng.integers(0, 3))
            eps.append({"episode_id": f"episode:ep{episode_no:07d}", "podcast_id": podcast_id,
                        "title": f"Ep. {n_eps - k}: {ep_title}",
                        "description": f"{title} on {ep_title.lower()}.",
                        "release_date": dt.date(1970, 1, 1) + dt.timedelta(days=day),
                        "duration_sec": float(round(rng.uniform(15, 110) * 60)),
                        "popularity": round(float(np.clip(popularity[i] - 2 * k + rng.normal(0, 5), 0, 100)), 1),
                        "is_new": day > REFERENCE_DAY - NEW_EPISODE_DAYS})
            episode_no += 1
    return pd.DataFrame(pods), pd.DataFrame(eps)
