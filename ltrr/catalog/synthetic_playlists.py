"""The synthetic catalog's playlists, each defined by a constraint (a genre
and an era, activity, mood, subgenre, new releases, or one artist) and filled
only with tracks that meet it.

They are drawn after every track, from the per-track facts the chunks left in
:class:`~ltrr.catalog.synthetic_tracks.TrackFeatures`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ltrr.catalog import wordlists as W
from ltrr.catalog.synthetic_artists import Artists
from ltrr.catalog.synthetic_codes import GENRE_NAMES, SUBGENRE_CODE, era_label
from ltrr.catalog.synthetic_draws import choice, step_rng
from ltrr.catalog.synthetic_tracks import TrackFeatures
from ltrr.progress import ProgressFn


_ACTIVITY_PHRASE = {"workout": "to power your workout", "study": "to help you focus",
                    "party": "to get the party started", "sleep": "to drift off to",
                    "driving": "for the open road", "cooking": "to cook along to"}


def make_playlists(artists: Artists, track_artist: np.ndarray, f: TrackFeatures, tracks: int,
                   seed: int, progress: ProgressFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Playlists defined by constraints, each filled only with tracks that meet them.

    About one playlist per 100 tracks (30 to 10,000); returns the ``playlists``
    and ``playlist_tracks`` tables.
    """
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
