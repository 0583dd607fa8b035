"""The related arm: entities linked to the query's best direct matches.

Direct matches ("seeds") come from query understanding (an artist the query
names) and from the lexical arm's top few results, or, when no lexical arm is
available, from a cheap exact/prefix title match. The arm then follows the
catalog's links from each seed and returns the neighbours, never the seeds
themselves (other arms find those):

    seed      ->  related (relation weight)
    artist    ->  its tracks (1.0), its albums (0.8)
    track     ->  its album (0.9), its artists (0.9), playlists holding it (0.6)
    album     ->  its tracks (1.0), its artist (0.8)
    playlist  ->  its tracks (0.8)
    podcast   ->  its episodes (1.0); episode -> its podcast (0.9)

A neighbour scores ``seed weight * relation weight * (0.5 + 0.5 * popularity)``,
its best link over all seeds, so "drake" gives Drake's most popular tracks.
The links are one CSR adjacency (numpy arrays), built once per catalog and
persisted.
"""
from __future__ import annotations

import bisect
import logging
import os
import threading
from pathlib import Path

import numpy as np
import pandas as pd

from ltrr import indexfiles
from ltrr.query import Query
from ltrr.strategies.base import ArmResources, Candidate, Strategy, ranked
from ltrr.strategies.scoped import understanding_of
from ltrr.text import tokenize
from ltrr.understanding import QueryUnderstander

log = logging.getLogger(__name__)

INDEX_NAME = "related"
INDEX_VERSION = 1
MAX_SEEDS = 5
LEXICAL_SEEDS = 3
LEXICAL_SEED_WEIGHTS = (0.9, 0.7, 0.5)
PREFIX_SCAN = 200          # prefix matches examined in the fallback (popular ones win)

# (source type, relation) -> weight; a relation's name says what it links to.
RELATIONS: dict[str, float] = {
    "artist_track": 1.0, "artist_album": 0.8,
    "track_album": 0.9, "track_artist": 0.9, "track_playlist": 0.6,
    "album_track": 1.0, "album_artist": 0.8,
    "playlist_track": 0.8,
    "podcast_episode": 1.0, "episode_podcast": 0.9,
}


class Adjacency:
    """Weighted links between entity rows, as CSR arrays: row r links to
    ``dst[ptr[r]:ptr[r+1]]`` with weights ``weight[ptr[r]:ptr[r+1]]``."""

    def __init__(self, ptr: np.ndarray, dst: np.ndarray, weight: np.ndarray) -> None:
        self.ptr, self.dst, self.weight = ptr, dst, weight

    def neighbours(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = int(self.ptr[row]), int(self.ptr[row + 1])
        return self.dst[lo:hi], self.weight[lo:hi]

    @classmethod
    def build(cls, catalog) -> "Adjacency":
        """Read the link tables (tracks, track_artists, albums, playlist_tracks, episodes)."""
        row_of = pd.Series(catalog.entities.row_of, dtype="int64")
        n = len(catalog.entities)
        src_parts, dst_parts, w_parts = [], [], []

        def link(sql: str, forward: str, backward: str) -> None:
            pairs = catalog.query_df(sql).dropna()
            a = pairs.iloc[:, 0].map(row_of)
            b = pairs.iloc[:, 1].map(row_of)
            ok = a.notna() & b.notna()
            a, b = a[ok].to_numpy(dtype=np.int64), b[ok].to_numpy(dtype=np.int64)
            for s, d, rel in ((a, b, forward), (b, a, backward)):
                src_parts.append(s)
                dst_parts.append(d)
                w_parts.append(np.full(s.size, RELATIONS[rel], dtype=np.float32))

        link("SELECT track_id, artist_id FROM tracks", "track_artist", "artist_track")
        link("SELECT track_id, artist_id FROM track_artists", "track_artist", "artist_track")
        link("SELECT track_id, album_id FROM tracks", "track_album", "album_track")
        link("SELECT album_id, artist_id FROM albums", "album_artist", "artist_album")
        link("SELECT track_id, playlist_id FROM playlist_tracks", "track_playlist", "playlist_track")
        link("SELECT episode_id, podcast_id FROM episodes", "episode_podcast", "podcast_episode")
        src = np.concatenate(src_parts) if src_parts else np.empty(0, dtype=np.int64)
        dst = np.concatenate(dst_parts) if dst_parts else np.empty(0, dtype=np.int64)
        weight = np.concatenate(w_parts) if w_parts else np.empty(0, dtype=np.float32)
        # One link per (src, dst): a featured credit repeats the primary one; keep the strongest.
        order = np.lexsort((-weight, dst, src))
        src, dst, weight = src[order], dst[order], weight[order]
        first = np.r_[True, (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])] if src.size else np.empty(0, bool)
        src, dst, weight = src[first], dst[first], weight[first]
        ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(src, minlength=n), out=ptr[1:])
        return cls(ptr, dst.astype(np.int64), weight.astype(np.float32))

    @classmethod
    def open(cls, catalog) -> "Adjacency":
        """Load the persisted adjacency, or build and persist it when stale."""
        def load(index_dir: Path) -> "Adjacency":
            with np.load(index_dir / f"{INDEX_NAME}.npz") as data:
                return cls(data["ptr"], data["dst"], data["weight"])

        def build(index_dir: Path) -> "Adjacency":
            made = cls.build(catalog)
            path = index_dir / f"{INDEX_NAME}.npz"
            tmp = path.with_name(path.name + ".tmp.npz")
            np.savez(tmp, ptr=made.ptr, dst=made.dst, weight=made.weight)
            os.replace(tmp, path)
            return made

        return indexfiles.load_or_build(catalog, INDEX_NAME, INDEX_VERSION, load, build,
                                        describe=lambda made: {"links": int(made.dst.size)})


class TitleMatcher:
    """The fallback seed finder: exact folded title, else titles starting with the query."""

    def __init__(self, titles: list[str], popularity: np.ndarray) -> None:
        folded = [" ".join(tokenize(t)) for t in titles]
        order = sorted(range(len(folded)), key=lambda r: (folded[r], -popularity[r], r))
        self._sorted = [folded[r] for r in order]
        self._rows = np.asarray(order, dtype=np.int64)
        self._popularity = popularity

    def match(self, text: str, k: int) -> list[int]:
        """Up to `k` rows: exact title matches first, then prefix matches, popular first."""
        if not text or k <= 0:
            return []
        lo = bisect.bisect_left(self._sorted, text)
        hi = bisect.bisect_left(self._sorted, text + "\uffff", lo, min(lo + PREFIX_SCAN, len(self._sorted)))
        rows = self._rows[lo:hi]
        exact = np.array([self._sorted[i] == text for i in range(lo, hi)], dtype=bool)
        order = np.lexsort((rows, -self._popularity[rows], ~exact))
        return rows[order][:k].tolist()


class RelatedStrategy(Strategy):
    """Neighbours (tracks of an artist, album of a track, playlists holding it...) of the direct matches."""

    name = "related"
    index_names = ("related", "lexical", "qu")
    description = "Entities linked to the best direct matches: an artist's tracks, a track's album and playlists"

    def __init__(self, catalog, adjacency: Adjacency, understander: QueryUnderstander,
                 arm_opener=None) -> None:
        self.catalog = catalog
        self.adjacency = adjacency
        self.understander = understander
        frame = catalog.entities.frame
        self._ids = catalog.entities.ids
        self._popularity = catalog.entities.popularity01
        self._titles = TitleMatcher(frame["title"].astype(str).tolist(), self._popularity)
        self._arm_opener = arm_opener
        self._lexical = None
        self._lexical_tried = False
        self._lock = threading.Lock()

    @classmethod
    def open(cls, resources: ArmResources) -> "RelatedStrategy":
        catalog = resources.catalog
        return cls(catalog, Adjacency.open(catalog), QueryUnderstander.open(catalog, resources.progress),
                   resources.arm)

    def _lexical_arm(self):
        """The lexical arm, opened on first use; None when there is none (standalone use)."""
        with self._lock:
            if not self._lexical_tried:
                self._lexical_tried = True
                if self._arm_opener is not None:
                    try:
                        self._lexical = self._arm_opener("lexical")
                    except Exception as exc:   # any failure of another arm degrades to the title fallback
                        log.warning("related arm: lexical arm unavailable (%s); using title matches", exc)
            return self._lexical

    def seeds(self, query: Query) -> dict[int, float]:
        """Direct matches: entity row -> weight (0..1)."""
        seeds: dict[int, float] = {}
        for interp in understanding_of(query, self.understander).interpretations:
            for artist_id in interp.artist_ids:
                row = self.catalog.entities.row_of.get(artist_id)
                if row is not None:
                    seeds[row] = seeds.get(row, 0.0) + interp.likelihood
        lexical = self._lexical_arm()
        if lexical is not None:
            direct = [self.catalog.entities.row_of.get(c.entity_id) for c in lexical.retrieve(query, LEXICAL_SEEDS)]
        else:
            direct = self._titles.match(query.text, LEXICAL_SEEDS)
        for row, weight in zip(direct, LEXICAL_SEED_WEIGHTS):
            if row is not None:
                seeds[row] = max(seeds.get(row, 0.0), weight)
        top = sorted(seeds.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_SEEDS]
        return {row: min(weight, 1.0) for row, weight in top}

    def _neighbour_scores(self, seeds: dict[int, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, best link strength, number of seed links) of every neighbour, seeds excluded."""
        rows, strength = [], []
        for seed, weight in seeds.items():
            dst, w = self.adjacency.neighbours(seed)
            rows.append(dst)
            strength.append(weight * w.astype(np.float64))
        if not rows:
            return np.empty(0, np.int64), np.empty(0), np.empty(0)
        rows, strength = np.concatenate(rows), np.concatenate(strength)
        keep = ~np.isin(rows, list(seeds))
        rows, strength = rows[keep], strength[keep]
        if rows.size == 0:
            return rows, strength, strength
        uniq, inv = np.unique(rows, return_inverse=True)
        best = np.zeros(uniq.size)
        np.maximum.at(best, inv, strength)
        return uniq, best, np.bincount(inv, minlength=uniq.size).astype(np.float64)

    def count(self, query: Query) -> int:
        """How many entities link to the query's direct matches: the exact length of its list at
        any depth (0: no seed, or seeds without links; see ``ArmSet.empty``). Cheap: the seeds are
        query understanding's artists and the lexical arm's top three, whose scores its own probe
        has just computed."""
        if not query.text:
            return 0
        return int(self._neighbour_scores(self.seeds(query))[0].size)

    def retrieve(self, query: Query, budget: int) -> list[Candidate]:
        if budget <= 0 or not query.text:
            return []
        rows, strength, paths = self._neighbour_scores(self.seeds(query))
        if rows.size == 0:
            return []
        score = strength * (0.5 + 0.5 * self._popularity[rows])
        top = np.lexsort((rows, -score))[:budget]
        return ranked([
            Candidate(str(self._ids[rows[i]]), round(float(score[i]), 6),
                      features={"related_link": float(strength[i]), "related_paths": float(paths[i])})
            for i in top
        ], budget)

    def score(self, query: Query, rows: np.ndarray) -> np.ndarray | None:
        """The same score for arbitrary rows (0 for rows not linked to a seed)."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.zeros(rows.size)
        if rows.size == 0 or not query.text:
            return out
        linked, strength, _ = self._neighbour_scores(self.seeds(query))
        if linked.size == 0:
            return out
        pos = np.minimum(np.searchsorted(linked, rows), linked.size - 1)   # `linked` is sorted (np.unique)
        hit = linked[pos] == rows
        out[hit] = strength[pos[hit]] * (0.5 + 0.5 * self._popularity[rows[hit]])
        return out
