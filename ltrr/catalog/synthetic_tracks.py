"""The synthetic catalog's tracks, one chunk at a time: titles, versions
(remixes, live, acoustic, radio edits, remasters of the album's first song),
"feat." and "with" credits, moods and audio features that follow genre and
mood, popularity, and the chunk's album rows.

Each chunk draws from its own generator (seeded by its number), and records
the few per-track facts playlists filter on in :class:`TrackFeatures`, the
only per-track state kept across chunks.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ltrr.catalog import wordlists as W
from ltrr.catalog.schema import NEW_RELEASE_DAYS
from ltrr.catalog.synthetic_albums import AlbumPlan, chunk_albums
from ltrr.catalog.synthetic_artists import Artists
from ltrr.catalog.synthetic_codes import GENRE_NAMES, REFERENCE_DAY, SUBGENRE_CODE, SUBGENRE_NAMES
from ltrr.catalog.synthetic_draws import pick, step_rng


@dataclass
class TrackFeatures:
    """Per-track facts playlists filter on: a few bytes per track."""

    genre: np.ndarray
    subgenre: np.ndarray
    mood: np.ndarray
    decade: np.ndarray
    energy: np.ndarray
    danceability: np.ndarray
    valence: np.ndarray
    popularity: np.ndarray
    is_new: np.ndarray
    is_original: np.ndarray

    @classmethod
    def empty(cls, n: int) -> "TrackFeatures":
        """Room for `n` tracks, all zero until their chunk fills them."""
        return cls(np.zeros(n, np.int8), np.zeros(n, np.int16), np.zeros(n, np.int8), np.zeros(n, np.int16),
                   np.zeros(n, np.float32), np.zeros(n, np.float32), np.zeros(n, np.float32),
                   np.zeros(n, np.float32), np.zeros(n, bool), np.zeros(n, bool))


def _titles(rng: np.random.Generator, mood: np.ndarray) -> np.ndarray:
    """Song titles from the templates; nouns half shared, half mood-specific."""
    n = len(mood)
    common = pick(rng, W.COMMON_WORDS, n, exponent=0.9)
    common2 = pick(rng, W.COMMON_WORDS, n, exponent=0.6)
    mood_noun = np.empty(n, dtype=object)
    for m, name in enumerate(W.MOODS):
        idx = np.flatnonzero(mood == m)
        mood_noun[idx] = pick(rng, W.MOOD_NOUNS[name], len(idx))
    use_common = rng.random(n) < 0.5
    noun = np.where(use_common, common, mood_noun)
    noun2 = np.where(use_common, mood_noun, common2)
    adj = pick(rng, W.ADJECTIVES, n, exponent=0.3)
    verb = pick(rng, W.VERBS, n, exponent=0.3)
    place = pick(rng, W.PLACES, n)
    pron = pick(rng, W.PRONOUNS, n, exponent=0.5)
    tpl = rng.integers(0, len(W.TITLE_TEMPLATES), n)
    return np.array([W.TITLE_TEMPLATES[t].format(A=a, N=x, N2=y, V=v, P=p, O=o)
                     for t, a, x, y, v, p, o in zip(tpl, adj, noun, noun2, verb, place, pron)], dtype=object)


def make_chunk(artists: Artists, plan: AlbumPlan, features: TrackFeatures, lo: int, hi: int,
               seed: int, number: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Albums, tracks and credits for tracks [lo, hi); fills `features` for them.

    Chunk `number` draws from its own generator, so a chunk's rows do not depend
    on the chunks before it.
    """
    rng = step_rng(seed, 3, number)
    n = hi - lo
    artist = plan.track_artist[lo:hi]
    album = plan.track_album[lo:hi]
    genre = artists.genre[artist]
    kind = plan.album_kind[album]
    first_in_album = plan.album_start[album] == np.arange(lo, hi)

    subgenre = artists.subgenre[artist].copy()
    stray = rng.random(n) < 0.2
    for g, name in enumerate(GENRE_NAMES):
        idx = np.flatnonzero(stray & (genre == g))
        subs = W.GENRES[name][0]
        subgenre[idx] = [SUBGENRE_CODE[s] for s in np.asarray(subs)[rng.integers(0, len(subs), len(idx))]]
    mood = np.empty(n, dtype=np.int8)
    u = rng.random(n)
    for g, name in enumerate(GENRE_NAMES):
        idx = np.flatnonzero(genre == g)
        cum = np.cumsum(W.GENRE_MOODS[name])
        mood[idx] = np.minimum(np.searchsorted(cum / cum[-1], u[idx], side="right"), len(W.MOODS) - 1)

    base = _titles(rng, mood)
    # Versions reuse the title of the album's first track: "Halo" and "Halo - Live".
    base_of_album_first = base[plan.album_start[album] - lo]
    version = np.full(n, None, dtype=object)
    v = rng.random(n)
    version[(v < 0.07)] = "remix"
    version[(v >= 0.07) & (v < 0.10)] = "live"
    version[(v >= 0.10) & (v < 0.12)] = "acoustic"
    version[(v >= 0.12) & (v < 0.14)] = "radio edit"
    day = plan.album_day[album]
    old = day < (2005 - 1970) * 365
    version[(v >= 0.14) & (v < 0.18) & old] = "remastered"
    version[first_in_album] = None
    version[kind == "live"] = "live"
    title_base = np.where(version != None, base_of_album_first, base)  # noqa: E711 (elementwise)

    # Credits: "feat." mostly in rap and pop, "with" for duets; same-genre partners.
    p_feat = np.where(genre == GENRE_NAMES.index("rap"), 0.30, np.where(genre == GENRE_NAMES.index("pop"), 0.15, 0.06))
    has_feat = rng.random(n) < p_feat
    two_feat = has_feat & (rng.random(n) < 0.2)
    style_with = rng.random(n) < 0.25
    partner = _partners(rng, artists, genre, artist)
    partner2 = _partners(rng, artists, genre, artist)
    two_feat &= partner2 != partner

    remixer = _remixers(rng, artists, n)
    live_place = pick(rng, W.LIVE_PLACES, n)
    live_style = rng.random(n) < 0.5

    titles = np.empty(n, dtype=object)
    featured = np.full(n, None, dtype=object)
    for i in range(n):
        t = title_base[i]
        if has_feat[i]:
            names = [artists.names[partner[i]]] + ([artists.names[partner2[i]]] if two_feat[i] else [])
            featured[i] = ", ".join(names)
            t = f"{t} ({'with' if style_with[i] else 'feat.'} {' & '.join(names)})"
        ver = version[i]
        if ver == "remix":
            t = f"{t} - {remixer[i]} Remix"
        elif ver == "live":
            t = f"{t} - Live at {live_place[i]}" if live_style[i] else f"{t} - Live"
        elif ver == "acoustic":
            t = f"{t} - Acoustic"
        elif ver == "radio edit":
            t = f"{t} - Radio Edit"
        elif ver == "remastered":
            t = f"{t} - Remastered {1990 + int(rng.integers(0, 35))}"
        titles[i] = t

    # Audio features: the genre's centre, shifted by mood, plus noise.
    centre = np.array([W.GENRE_AUDIO[g] for g in GENRE_NAMES])[genre]
    shift = np.array([W.MOOD_SHIFT[m] for m in W.MOODS])[mood]
    audio = centre + shift
    danceability = np.clip(audio[:, 0] + rng.normal(0, 0.08, n), 0, 1)
    energy = audio[:, 1] + rng.normal(0, 0.08, n)
    energy = np.clip(energy - 0.25 * (version == "acoustic") + 0.05 * (version == "live"), 0, 1)
    valence = np.clip(audio[:, 2] + rng.normal(0, 0.08, n), 0, 1)
    tempo = np.clip(audio[:, 3] + rng.normal(0, 10, n), 50, 220)

    classical = genre == GENRE_NAMES.index("classical")
    duration = np.where(classical, rng.normal(420, 160, n), rng.normal(215, 45, n))
    duration += 30 * (version == "live") - 35 * (version == "radio edit")
    duration = np.clip(duration, 45, 1800).round(1)

    pop = artists.popularity[artist] * rng.uniform(0.55, 1.0, n) + rng.normal(0, 5, n)
    pop += 6 * first_in_album - 8 * np.isin(version, ["live", "acoustic", "remastered"])
    popularity = np.clip(pop, 0, 100).round(1)
    explicit_p = np.array([W.GENRE_EXPLICIT.get(g, 0.03) for g in GENRE_NAMES])[genre]
    explicit = rng.random(n) < explicit_p
    is_new = day > REFERENCE_DAY - NEW_RELEASE_DAYS
    release = pd.to_datetime(day, unit="D")

    track_ids = np.array([f"track:tr{i:07d}" for i in range(lo, hi)], dtype=object)
    album_ids = np.array([f"album:al{a:07d}" for a in album], dtype=object)
    genre_names = np.asarray(GENRE_NAMES, dtype=object)[genre]
    tracks = pd.DataFrame({
        "track_id": track_ids, "title": titles, "artist_id": artists.ids[artist], "album_id": album_ids,
        "featured": featured, "version": version, "release_date": release, "genre": genre_names,
        "subgenre": np.asarray(SUBGENRE_NAMES, dtype=object)[subgenre], "mood": np.asarray(W.MOODS, dtype=object)[mood],
        "popularity": popularity, "duration_sec": duration, "explicit": explicit, "is_new": is_new,
        "danceability": danceability.round(3), "energy": energy.round(3), "valence": valence.round(3),
        "tempo": tempo.round(1),
    })

    credits = [pd.DataFrame({"track_id": track_ids, "artist_id": artists.ids[artist], "role": "primary"})]
    for mask, who in ((has_feat, partner), (two_feat, partner2)):
        credits.append(pd.DataFrame({"track_id": track_ids[mask], "artist_id": artists.ids[who[mask]],
                                     "role": "featured"}))

    albums = chunk_albums(rng, artists, plan, album, titles, popularity, lo)

    f = features
    sl = slice(lo, hi)
    f.genre[sl], f.subgenre[sl], f.mood[sl] = genre, subgenre, mood
    f.decade[sl] = (1970 + day / 365.25).astype(int) // 10 * 10
    f.energy[sl], f.danceability[sl], f.valence[sl] = energy, danceability, valence
    f.popularity[sl], f.is_new[sl], f.is_original[sl] = popularity, is_new, version == None  # noqa: E711
    return albums, tracks, pd.concat(credits, ignore_index=True)


def _partners(rng: np.random.Generator, artists: Artists, genre: np.ndarray, artist: np.ndarray) -> np.ndarray:
    """A featured artist per track: same genre, popular ones more often, never the track's own."""
    out = np.empty(len(genre), dtype=np.int64)
    for g in np.unique(genre):
        pool = np.flatnonzero(artists.genre == g)
        idx = np.flatnonzero(genre == g)
        w = artists.weight[pool] ** 0.5
        out[idx] = pool[rng.choice(len(pool), len(idx), p=w / w.sum())]
    clash = out == artist
    out[clash] = (out[clash] + 1) % len(artists)
    return out


def _remixers(rng: np.random.Generator, artists: Artists, n: int) -> np.ndarray:
    pool = np.flatnonzero(artists.genre == GENRE_NAMES.index("edm"))
    if len(pool) == 0:
        pool = np.arange(len(artists))
    return artists.names[pool[rng.integers(0, len(pool), n)]]
