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
from ltrr.catalog.synthetic_codes import GENRE_NAMES, REFERENCE_DATE, REFERENCE_DAY, SUBGENRE_CODE, era_label
from ltrr.catalog.synthetic_draws import choice, step_rng
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

        playlists, members = _make_playlists(artists, plan.track_artist, features, tracks, seed, progress)
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


# --------------------------------------------------------------------------- playlists


_ACTIVITY_PHRASE = {"workout": "to power your workout", "study": "to help you focus",
                    "party": "to get the party started", "sleep": "to drift off to",
                    "driving": "for the open road", "cooking": "to cook along to"}


def _make_playlists(artists: Artists, track_artist: np.ndarray, f: TrackFeatures, tracks: int,
                    seed: int, progress: ProgressFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Playlists defined by constraints, each filled only with tracks that meet them."""
    rng = step_rng(seed, 4)
    n_playlists = int(np.clip(tracks // 100, 30, 10_000))
    genre_p = np.array([share for _, share in W.GENRES.values()])
    genre_p /= genre_p.sum()
    group_genre_decade = _groups(f.genre.astype(np.int64) * 10_000 + f.decade)
    group_genre_mood = _groups(f.genre.astype(np.int64) * 100 + f.mood)
    group_mood = _groups(f.mood)
    group_genre = _groups(f.genre)
    group_sub = _groups(f.subgenre)
    # Tracks are grouped by artist, so an artist's tracks are one range.
    artist_start = np.searchsorted(track_artist, np.arange(len(artists) + 1))
    top_artists = np.argsort(-artists.popularity)[: max(5, len(artists) // 20)]

    rows, members, names_seen = [], [], {}
    kinds = ("era", "activity", "mood", "subgenre", "new", "artist")
    kind_p = np.array([0.25, 0.2, 0.25, 0.1, 0.08, 0.12])
    empty = np.empty(0, dtype=np.int64)
    pid = 0
    attempts = 0
    while pid < n_playlists and attempts < n_playlists * 20:
        attempts += 1
        if pid % 200 == 0:
            progress(pid, n_playlists, "generating playlists")
        kind = kinds[rng.choice(len(kinds), p=kind_p)]
        g = int(rng.choice(len(GENRE_NAMES), p=genre_p))
        gname, gshow = GENRE_NAMES[g], W.GENRE_DISPLAY[GENRE_NAMES[g]]
        row = {"genre": gname, "subgenre": None, "mood": None, "era": None, "activity": None}
        if kind == "era":
            decades = np.asarray(W.GENRE_DECADES[gname])
            decade = int(W.DECADES[rng.choice(len(decades), p=decades / decades.sum())])
            cand = group_genre_decade.get(g * 10_000 + decade, empty)
            row["era"] = f"{decade}s"
            name = choice(rng, W.ERA_PLAYLISTS).format(E=era_label(decade), G=gshow)
            desc = f"The biggest {gshow} songs of the {era_label(decade)}."
        elif kind == "activity":
            activity = choice(rng, W.ACTIVITIES)
            words, (feature, low, high) = W.ACTIVITY_RULES[activity]
            cand = group_genre.get(g, empty)
            values = getattr(f, feature)[cand]
            cand = cand[(values >= low) & (values <= high)]
            row["activity"] = activity
            name = choice(rng, W.ACTIVITY_PLAYLISTS).format(W=choice(rng, words), G=gshow)
            desc = f"{gshow} tracks {_ACTIVITY_PHRASE[activity]}."
        elif kind == "mood":
            m = int(rng.integers(0, len(W.MOODS)))
            template = choice(rng, W.MOOD_PLAYLISTS[W.MOODS[m]])
            if "{G}" in template:
                cand = group_genre_mood.get(g * 100 + m, empty)
            else:
                cand, row["genre"] = group_mood.get(m, empty), None
            row["mood"] = W.MOODS[m]
            name = template.format(G=gshow)
            desc = f"{W.MOODS[m].capitalize()} {gshow + ' ' if row['genre'] else ''}songs for the moment."
        elif kind == "subgenre":
            subs = W.GENRES[gname][0]
            sub = subs[int(rng.integers(0, len(subs)))]
            cand = group_sub.get(SUBGENRE_CODE[sub], empty)
            cand = cand[f.genre[cand] == g]
            row["subgenre"] = sub
            name = choice(rng, W.SUBGENRE_PLAYLISTS).format(S=sub.title())
            desc = f"The essential {sub} tracks."
        elif kind == "new":
            cand = group_genre.get(g, empty)
            cand = cand[f.is_new[cand]]
            name = choice(rng, W.NEW_PLAYLISTS).format(G=gshow)
            desc = f"The newest {gshow} releases, updated every Friday."
        else:
            a = int(top_artists[rng.integers(0, len(top_artists))])
            cand = np.arange(artist_start[a], artist_start[a + 1])
            row["genre"] = GENRE_NAMES[artists.genre[a]]
            name = choice(rng, W.ARTIST_PLAYLISTS).format(AR=artists.names[a])
            desc = f"All the essential tracks by {artists.names[a]}, in one place."
        if len(cand) < 5:
            continue
        picked = _sample_tracks(rng, cand, f)
        count = names_seen.get(name, 0)
        names_seen[name] = count + 1
        if count:
            name = f"{name} Vol. {count + 1}"
        playlist_id = f"playlist:pl{pid:07d}"
        rows.append({"playlist_id": playlist_id, "name": name, "curator": choice(rng, W.CURATORS),
                     "description": desc, **row,
                     "popularity": round(float(f.popularity[picked].mean() * rng.uniform(0.8, 1.1)), 1)})
        members.append(picked)
        pid += 1
    progress(n_playlists, n_playlists, "generating playlists")
    playlists = pd.DataFrame(rows, columns=["playlist_id", "name", "curator", "description", "genre",
                                            "subgenre", "mood", "era", "activity", "popularity"])
    sizes = np.array([len(m) for m in members], dtype=np.int64)
    picked_all = np.concatenate(members) if members else np.empty(0, dtype=np.int64)
    owner = np.repeat(playlists["playlist_id"].to_numpy(), sizes)
    first = np.repeat(np.cumsum(sizes) - sizes, sizes)
    membership = pd.DataFrame({
        "playlist_id": owner,
        "track_id": [f"track:tr{t:07d}" for t in picked_all],
        "position": (np.arange(len(picked_all)) - first + 1).astype(np.int32),
    })
    return playlists, membership


def _groups(keys: np.ndarray) -> dict[int, np.ndarray]:
    """key -> sorted track indices with that key."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    cuts = np.flatnonzero(np.diff(sorted_keys)) + 1
    return {int(k[0]): idx for k, idx in zip(np.split(sorted_keys, cuts), np.split(order, cuts)) if len(k)}


def _sample_tracks(rng: np.random.Generator, cand: np.ndarray, f: TrackFeatures) -> np.ndarray:
    """20-80 tracks, popular originals more likely, most popular first-ish."""
    if len(cand) > 5000:  # bound the work per playlist on huge catalogs
        cand = rng.choice(cand, 5000, replace=False)
    size = min(len(cand), int(rng.integers(20, 81)))
    w = (f.popularity[cand].astype(float) + 1.0) ** 1.5 * np.where(f.is_original[cand], 1.0, 0.3)
    return rng.choice(cand, size, replace=False, p=w / w.sum())


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
