"""The synthetic catalog's artists: popularity, genre, career, country and a
distinct name each, with a few near-duplicate names.

Listening follows Zipf's law over a random ranking of the artists; the names
are drawn from templates, and about 2% are then renamed into look-alikes of
other artists ("The Weekend" / "The Weeknd", "DJ Nova" / "Nova"), the hard
case for name search.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ltrr.catalog import wordlists as W
from ltrr.catalog.synthetic_codes import GENRE_NAMES, REFERENCE_DATE, SUBGENRE_CODE, SUBGENRE_NAMES
from ltrr.catalog.synthetic_draws import pick, step_rng, zipf_weights

# About how many tracks an artist has on average: sets the number of artists.
TRACKS_PER_ARTIST = 12


@dataclass
class Artists:
    """Every artist, one array entry each, in artist-index order (the index is the id's number)."""

    ids: np.ndarray          # "artist:ar0000001"
    names: np.ndarray
    genre: np.ndarray        # genre code (index into GENRE_NAMES)
    subgenre: np.ndarray     # subgenre code (index into SUBGENRE_NAMES)
    start_year: np.ndarray
    career: np.ndarray       # years active
    popularity: np.ndarray
    weight: np.ndarray       # Zipf share of listening, sums to 1
    followers: np.ndarray
    country: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    def frame(self) -> pd.DataFrame:
        """The ``artists`` table's rows."""
        return pd.DataFrame({
            "artist_id": self.ids, "name": self.names,
            "genre": np.asarray(GENRE_NAMES, dtype=object)[self.genre],
            "subgenre": np.asarray(SUBGENRE_NAMES, dtype=object)[self.subgenre],
            "country": self.country, "popularity": self.popularity, "followers": self.followers,
        })


def make_artists(tracks: int, seed: int) -> Artists:
    """About one artist per :data:`TRACKS_PER_ARTIST` tracks (at least two), drawn from `seed`."""
    n = max(2, round(tracks / TRACKS_PER_ARTIST))
    rng = step_rng(seed, 1)
    rank = rng.permutation(n) + 1
    weight = 1.0 / rank
    weight /= weight.sum()
    # Popularity falls with the log of the listening rank, as Spotify's 0-100 score does.
    popularity = np.clip(100 - 18 * np.log10(rank) + rng.normal(0, 4, n), 0, 100).round(1)
    followers = (5e7 / rank ** 1.2 * rng.lognormal(0, 0.4, n)).astype(np.int64) + rng.integers(0, 500, n)

    shares = np.array([share for _, share in W.GENRES.values()])
    genre = rng.choice(len(GENRE_NAMES), size=n, p=shares / shares.sum())
    subgenre = np.empty(n, dtype=np.int16)
    start_year = np.empty(n, dtype=np.int16)
    for g, name in enumerate(GENRE_NAMES):
        idx = np.flatnonzero(genre == g)
        subs = W.GENRES[name][0]
        chosen = rng.choice(len(subs), len(idx), p=zipf_weights(len(subs), 0.7))
        subgenre[idx] = [SUBGENRE_CODE[subs[c]] for c in chosen]
        decades = np.asarray(W.GENRE_DECADES[name])
        start_year[idx] = np.asarray(W.DECADES)[rng.choice(len(decades), len(idx), p=decades / decades.sum())]
    # Debut year inside the decade, never after "today" (2020s debuts are 2020..2025).
    span = np.minimum(10, REFERENCE_DATE.year - start_year + 1)
    start_year = start_year + (rng.random(n) * span).astype(np.int16)
    career = np.maximum(1, rng.exponential(8, n)).astype(np.int16)
    country = pick(rng, W.COUNTRIES, n)
    names = _artist_names(rng, n)
    _near_duplicates(rng, names, rank)
    ids = np.array([f"artist:ar{i:07d}" for i in range(n)], dtype=object)
    return Artists(ids, names, genre.astype(np.int8), subgenre, start_year, career, popularity,
                    weight, followers, country)


def _artist_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` distinct artist names from the templates; rare collisions get a
    middle initial or a double-barrelled surname (a space of millions)."""
    seen: set[str] = set()
    out = np.empty(n, dtype=object)
    draws = rng.integers(0, 1 << 30, size=(n, 8))
    letters = "ABCDEFGHJKLMNPRSTVW"
    for i in range(n):
        d = draws[i]
        for attempt in range(4):
            tpl = W.ARTIST_TEMPLATES[(d[0] + attempt * 7) % len(W.ARTIST_TEMPLATES)]
            name = tpl.format(
                F=W.FIRST_NAMES[(d[1] + attempt) % len(W.FIRST_NAMES)],
                L=W.LAST_NAMES[(d[2] + attempt * 3) % len(W.LAST_NAMES)],
                S=W.STAGE_WORDS[(d[3] + attempt) % len(W.STAGE_WORDS)],
                X=W.STAGE_PREFIXES[d[4] % len(W.STAGE_PREFIXES)],
                BA=W.BAND_ADJECTIVES[(d[5] + attempt) % len(W.BAND_ADJECTIVES)],
                BN=W.BAND_NOUNS[(d[6] + attempt * 5) % len(W.BAND_NOUNS)])
            if name not in seen:
                break
        k = 0
        while name in seen:
            first = W.FIRST_NAMES[(d[1] + k) % len(W.FIRST_NAMES)]
            last = W.LAST_NAMES[(d[2] + k) % len(W.LAST_NAMES)]
            other = W.LAST_NAMES[(d[7] + k * 11) % len(W.LAST_NAMES)]
            initial = letters[(d[7] + k) % len(letters)]
            name = f"{first} {initial}. {last}" if k % 2 == 0 else f"{first} {last}-{other}"
            k += 1
        seen.add(name)
        out[i] = name
    return out


def _near_duplicates(rng: np.random.Generator, names: np.ndarray, rank: np.ndarray) -> None:
    """Rename about 2% of artists (never the top 50) into look-alikes of other
    artists, half of them popular ones: a dropped vowel ("The Weekend" ->
    "The Weeknd"), an added or removed "DJ"/"The", a doubled letter."""
    n = len(names)
    if n < 20:
        return
    taken = set(names.tolist())
    order = np.argsort(rank)                       # most popular first
    popular = order[: max(10, n // 50)]
    victims = rng.permutation(order[50:] if n > 100 else order[n // 2:])[: max(2, n // 50)]
    for i, victim in enumerate(victims):
        source = names[popular[i % len(popular)]] if i % 2 == 0 else names[rng.integers(0, n)]
        variant = _look_alike(source, int(rng.integers(0, 4)), rng)
        if variant and variant not in taken:
            taken.discard(names[victim])
            names[victim] = variant
            taken.add(variant)


def _look_alike(name: str, kind: int, rng: np.random.Generator) -> str | None:
    words = name.split(" ")
    if kind == 0:                                   # drop an inner vowel
        long_words = [i for i, w in enumerate(words) if len(w) >= 4]
        if not long_words:
            return None
        i = long_words[int(rng.integers(0, len(long_words)))]
        w = words[i]
        vowels = [j for j in range(1, len(w) - 1) if w[j] in "aeiou"]
        if not vowels:
            return None
        j = vowels[int(rng.integers(0, len(vowels)))]
        words[i] = w[:j] + w[j + 1:]
        return " ".join(words)
    if kind == 1:                                   # DJ Nova <-> Nova
        if words[0] in W.STAGE_PREFIXES and len(words) > 1:
            return " ".join(words[1:])
        return "DJ " + name if len(words) == 1 else None
    if kind == 2:                                   # The Keys <-> Keys
        return " ".join(words[1:]) if words[0] == "The" and len(words) > 1 else "The " + name
    w = words[-1]                                   # double a consonant: Stone -> Stonne
    cons = [j for j in range(1, len(w) - 1) if w[j].isalpha() and w[j].lower() not in "aeiou"]
    if not cons:
        return None
    j = cons[int(rng.integers(0, len(cons)))]
    words[-1] = w[:j] + w[j] + w[j:]
    return " ".join(words)
