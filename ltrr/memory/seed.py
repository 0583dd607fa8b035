"""The memory's catalog half: the queries each entity should answer, with a predicted score
(cold start, from metadata alone), stored as three sorted arrays that load memory-mapped."""
from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ltrr.indexfiles import load_or_build
from ltrr.memory.keys import key_hash, query_hash, query_key
from ltrr.progress import ProgressFn, silent
from ltrr.text import tokenize

if TYPE_CHECKING:
    from ltrr.catalog.store import Catalog, EntityTable

SEED_INDEX = "memory_seed"
SEED_VERSION = 1
# Most entities a seed keeps for one query (the most predicted win).
PER_QUERY = 30
CHUNK = 50_000

# Titles carry "- Remix", "(feat. X)", "[Live]": the part before is what people type.
_CORE_TITLE_RE = re.compile(r"\s+-\s+|\s*[\(\[]")
_FILLER = frozenset({"a", "an", "the", "of", "in", "on", "to", "and", "i", "my", "me", "you"})

# Predicted scores by how an entity relates to a query, before popularity scaling.
BASE = {
    "title": 0.55, "core_title": 0.5, "artist_title": 0.7, "title_artist": 0.6, "prefix": 0.25,
    "misspelt": 0.3, "artist_name": 0.8, "artist_first_word": 0.3, "artist_of_track": 0.12,
    "genre_era": 0.08, "genre_playlist": 0.2, "playlist_name": 0.6,
}



@lru_cache(maxsize=65_536)
def _words(text: str) -> str:
    """``normalize_query`` for catalog strings: names need no cleaning of control
    characters (tokenising drops them) and repeat a lot (artists), hence the cache."""
    return " ".join(tokenize(text))


def misspellings(text: str) -> list[str]:
    """A couple of deterministic typos of `text`: its longest word with a letter dropped,
    and with two letters swapped ("blinding lights" -> "blining lights", "blinidng lights").

    Accents need no variant: queries are folded before lookup.
    """
    words = text.split()
    if not words:
        return []
    i = max(range(len(words)), key=lambda j: (len(words[j]), -j))
    word = words[i]
    if len(word) < 5:
        return []
    mid = len(word) // 2
    variants = [word[:mid] + word[mid + 1:], word[:mid] + word[mid + 1] + word[mid] + word[mid + 2:]]
    out = []
    for variant in variants:
        candidate = " ".join(words[:i] + [variant] + words[i + 1:])
        if candidate != text and candidate not in out:
            out.append(candidate)
    return out


def _prefixes(text: str, most: int = 3) -> list[str]:
    """Leading words of a multi-word title ("save your tears" -> "save", "save your")."""
    words = text.split()
    out = []
    for k in range(1, min(len(words) - 1, most) + 1):
        head = words[:k]
        if all(w in _FILLER for w in head) or len(" ".join(head)) < 3:
            continue
        out.append(" ".join(head))
    return out


def seed_queries(entity_type: str, title: str, subtitle: str = "", popularity: float = 0.0,
                 genre: str = "", year: int | None = None) -> list[tuple[str, float]]:
    """The (normalised query, predicted score) pairs one entity should answer.

    ``subtitle`` is the artist for tracks and albums. Predicted scores are a
    base per relation (exact title high, partial or misspelt lower) scaled by
    popularity, so a popular entity's exact title predicts highest.
    """
    scale = 0.4 + 0.6 * min(max(float(popularity), 0.0), 100.0) / 100.0
    name = _words(title)
    if not name:
        return []
    pairs: dict[str, float] = {}

    def add(query: str, kind: str) -> None:
        if query:
            pairs[query] = max(pairs.get(query, 0.0), BASE[kind] * scale)

    if entity_type == "artist":
        add(name, "artist_name")
        for typo in misspellings(name):
            add(typo, "misspelt")
        first = name.split()[0]
        if len(name.split()) > 1 and len(first) >= 4 and first not in _FILLER:
            add(first, "artist_first_word")
        return list(pairs.items())

    core = _words(_CORE_TITLE_RE.split(title, maxsplit=1)[0])
    add(name, "playlist_name" if entity_type == "playlist" else "title")
    if core and core != name:
        add(core, "core_title")
    short = core or name
    for prefix in _prefixes(short):
        add(prefix, "prefix")
    for typo in misspellings(short):
        add(typo, "misspelt")
    artist = _words(subtitle) if entity_type in ("track", "album") else ""
    if artist:
        add(f"{artist} {short}", "artist_title")
        add(f"{short} {artist}", "title_artist")
        if entity_type == "track":
            add(artist, "artist_of_track")
    genre_words = " ".join(tokenize(genre)) if genre else ""
    if genre_words and entity_type in ("track", "playlist"):
        if year is not None and 1900 <= year <= 2099:
            add(f"{year // 10 % 10}0s {genre_words}", "genre_era")
        if entity_type == "playlist":
            add(f"{genre_words} playlist", "genre_playlist")
    return list(pairs.items())



class MemorySeed:
    """Cold-start predictions: sorted (query hash, entity row, predicted) arrays.

    Rows index ``catalog.entities``. Entities per query are capped at
    ``PER_QUERY`` and sorted by predicted score, best first.
    """

    def __init__(self, hashes: np.ndarray, rows: np.ndarray, predicted: np.ndarray,
                 entities: "EntityTable") -> None:
        self.hashes = hashes
        self.rows = rows
        self.predicted_scores = predicted
        self.entities = entities

    def __len__(self) -> int:
        return int(self.hashes.size)

    @classmethod
    def open(cls, catalog: "Catalog", progress: ProgressFn = silent) -> "MemorySeed":
        """Load the catalog's seed (memory-mapped), building and persisting it when stale."""
        entities = catalog.entities

        def load(index_dir: Path) -> "MemorySeed":
            arrays = [np.load(index_dir / f"{SEED_INDEX}.{name}.npy", mmap_mode="r")
                      for name in ("hashes", "rows", "predicted")]
            return cls(*arrays, entities)

        def build(index_dir: Path) -> "MemorySeed":
            seed = cls.build(entities, progress)
            for name, array in (("hashes", seed.hashes), ("rows", seed.rows), ("predicted", seed.predicted_scores)):
                tmp = index_dir / f"{SEED_INDEX}.{name}.tmp.npy"
                np.save(tmp, array)
                os.replace(tmp, index_dir / f"{SEED_INDEX}.{name}.npy")
            return seed

        return load_or_build(catalog, SEED_INDEX, SEED_VERSION, load, build,
                             describe=lambda seed: {"pairs": len(seed)})

    @classmethod
    def build(cls, entities: "EntityTable", progress: ProgressFn = silent,
              per_query: int = PER_QUERY) -> "MemorySeed":
        """Generate every entity's seed queries, in chunks so memory stays bounded."""
        frame = entities.frame
        n = len(frame)
        years = pd.to_datetime(frame["release_date"], errors="coerce").dt.year
        columns = zip(frame["entity_type"].astype(str).tolist(), frame["title"].astype(str).tolist(),
                      frame["subtitle"].astype(str).tolist(), frame["popularity"].astype(float).tolist(),
                      frame["genre"].astype(str).tolist(),
                      [None if pd.isna(y) else int(y) for y in years.tolist()])
        parts_h, parts_r, parts_p = [], [], []
        queries: list[str] = []
        rows: list[int] = []
        preds: list[float] = []
        for row, (kind, title, subtitle, pop, genre, year) in enumerate(columns):
            for query, pred in seed_queries(kind, title, subtitle, pop, genre, year):
                queries.append(query)
                rows.append(row)
                preds.append(pred)
            if (row + 1) % CHUNK == 0 or row + 1 == n:
                parts_h.append(query_hash(queries))
                parts_r.append(np.asarray(rows, dtype=np.int32))
                parts_p.append(np.asarray(preds, dtype=np.float32))
                queries, rows, preds = [], [], []
                progress(row + 1, n, "memory seed: generating queries")
        if not parts_h:
            empty = np.empty(0)
            return cls(empty.astype(np.uint64), empty.astype(np.int32), empty.astype(np.float32), entities)
        h, r, p = np.concatenate(parts_h), np.concatenate(parts_r), np.concatenate(parts_p)
        # Best prediction first within each query, then keep the first `per_query`.
        order = np.lexsort((r, -p, h))
        h, r, p = h[order], r[order], p[order]
        starts = np.flatnonzero(np.r_[True, h[1:] != h[:-1]])
        group_start = np.repeat(starts, np.diff(np.r_[starts, h.size]))
        keep = (np.arange(h.size) - group_start) < per_query
        return cls(h[keep], r[keep], p[keep], entities)

    def lookup(self, query: str) -> tuple[np.ndarray, np.ndarray]:
        """(entity rows, predicted scores) for a query, best first; empty arrays when unknown."""
        key = query_key(query)
        if not key or self.hashes.size == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        h = key_hash(key)
        lo = int(np.searchsorted(self.hashes, h, side="left"))
        hi = int(np.searchsorted(self.hashes, h, side="right"))
        return np.asarray(self.rows[lo:hi], dtype=np.int64), np.asarray(self.predicted_scores[lo:hi])

    def predictions(self, query: str) -> dict[str, float]:
        """entity_id -> predicted score of every entity the seed predicts for a query."""
        rows, values = self.lookup(query)
        names = self.entities.ids
        return {str(names[r]): float(v) for r, v in zip(rows.tolist(), values.tolist())}

    def predicted(self, query: str, entity_id: str) -> float | None:
        """The seed's prediction for one pair, or None when the seed has no such pair."""
        row = self.entities.row_of.get(entity_id)
        if row is None:
            return None
        rows, preds = self.lookup(query)
        hit = np.flatnonzero(rows == row)
        return float(preds[hit[0]]) if hit.size else None

