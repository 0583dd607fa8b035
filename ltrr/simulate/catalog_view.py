"""The catalog as simulated users see it: entity arrays the query generator samples from
and checks intents against.

**An independent instrument.** The simulated users read the catalog's *data*
(titles, artists, genres, release dates, playlist names and memberships,
popularity) to know what is relevant, but none of the system's vocabularies:
their phrasings live in :mod:`ltrr.simulate.vocab`, and no simulator module
imports ``ltrr.vocabulary``, ``ltrr.understanding``, ``ltrr.lexicon`` or
``ltrr.catalog.wordlists`` (tests/simulate/test_sim_independence.py checks it).
:class:`CatalogView` is built once per stream from ``catalog.entities.frame``
and the playlist membership table: reading the catalog is reading data, not
the engine.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np
import pandas as pd

from ltrr.simulate.vocab import words

if TYPE_CHECKING:
    from ltrr.catalog.store import Catalog

# Bracketed parts and dash suffixes of titles ("(feat. X)", "[Remastered]", "- Radio Edit"),
# which nobody types.
_BRACKETS_RE = re.compile(r"\s*[\(\[][^\)\]]*[\)\]]")
_DASH_RE = re.compile(r"\s+-\s+.*$")
_FEAT_RE = re.compile(r"\s+(feat\.?|ft\.?|featuring|with)\s+.*$", re.IGNORECASE)


def query_title(title: str) -> str:
    """A title as people type it: no "(feat. ...)", "[Remastered]" or "- Radio Edit" parts.

    >>> query_title("Pumped up Kicks (feat. Joy Corporation) - Remix")
    'Pumped up Kicks'
    """
    text = _BRACKETS_RE.sub("", title)
    text = _DASH_RE.sub("", text)
    text = _FEAT_RE.sub("", text)
    text = " ".join(text.split())
    return text or " ".join(title.split())


class CatalogView:
    """The catalog's entities as arrays the generator samples from and intents are checked against.

    Built once per stream from ``catalog.entities.frame`` and the playlist
    membership table (reading the catalog is reading data, not the engine).
    """

    def __init__(self, frame: pd.DataFrame, playlist_tracks: pd.DataFrame | None = None) -> None:
        frame = frame.reset_index(drop=True)
        self.frame = frame
        self.ids = frame["entity_id"].astype(str).to_numpy()
        self.types = frame["entity_type"].astype(str).to_numpy()
        self.titles = frame["title"].fillna("").astype(str).to_numpy()
        self.subtitles = frame["subtitle"].fillna("").astype(str).to_numpy()
        self.genres = frame["genre"].fillna("").astype(str).to_numpy()
        self.moods = frame["mood"].fillna("").astype(str).to_numpy() if "mood" in frame else \
            np.full(len(frame), "", dtype=object)
        pop = pd.to_numeric(frame["popularity"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
        self.popularity = np.clip(pop, 0.0, None)
        dates = pd.to_datetime(frame["release_date"], errors="coerce") if "release_date" in frame else \
            pd.Series(pd.NaT, index=frame.index)
        self.years = dates.dt.year.fillna(0).to_numpy(dtype=int)
        # Days since 1970 (-1 when unknown): the drift event's "newest releases".
        self.release_days = np.where(dates.isna(), -1,
                                     (dates - pd.Timestamp("1970-01-01")).dt.days.fillna(-1)).astype(np.int64)
        self.artist_ids = frame["artist_id"].fillna("").astype(str).to_numpy() if "artist_id" in frame else \
            np.full(len(frame), "", dtype=object)
        self.row_of = {e: i for i, e in enumerate(self.ids)}
        self.query_titles = np.array([query_title(t) for t in self.titles], dtype=object)
        self.title_tokens = [words(t) for t in self.titles]
        token_rows: dict[str, list[int]] = {}
        for i, toks in enumerate(self.title_tokens):
            for tok in set(toks):
                token_rows.setdefault(tok, []).append(i)
        self.token_rows = {t: np.array(r, dtype=np.int64) for t, r in token_rows.items()}
        # Identical copies (same type, typed title and subtitle) satisfy a target intent too:
        # the real catalog repeats a song on several albums.
        keys = [f"{t}|{' '.join(words(q))}|{' '.join(words(s))}"
                for t, q, s in zip(self.types, self.query_titles, self.subtitles)]
        groups: dict[str, list[int]] = {}
        for i, key in enumerate(keys):
            groups.setdefault(key, []).append(i)
        self._copies = {i: rows for rows in groups.values() if len(rows) > 1 for i in rows}
        self.playlist_members: dict[int, np.ndarray] = {}
        if playlist_tracks is not None and len(playlist_tracks):
            for pid, tids in playlist_tracks.groupby("playlist_id")["track_id"]:
                prow = self.row_of.get(str(pid))
                rows = [self.row_of[t] for t in tids.astype(str) if t in self.row_of]
                if prow is not None and rows:
                    self.playlist_members[prow] = np.array(rows, dtype=np.int64)
        self.rows_by_type = {t: np.flatnonzero(self.types == t) for t in np.unique(self.types)}
        self.track_genres = [g for g, _ in Counter(self.genres[self.rows_of("track")]).most_common() if g]
        self._cache: dict[object, Any] = {}

    @classmethod
    def from_catalog(cls, catalog: "Catalog") -> "CatalogView":
        """Read a catalog's entities and playlist membership."""
        members = catalog.query_df("SELECT playlist_id, track_id FROM playlist_tracks")
        return cls(catalog.entities.frame, members)

    def rows_of(self, entity_type: str) -> np.ndarray:
        """Row numbers of one entity type (empty when the catalog has none)."""
        return self.rows_by_type.get(entity_type, np.zeros(0, dtype=np.int64))

    def copies(self, row: int) -> list[int]:
        """The row and its identical copies."""
        return self._copies.get(row, [row])

    def spelled_out(self, entity_id: str) -> str | None:
        """The entity's name as the catalog spells it, lower case; a track's with its artist
        (``"blinding lights the weeknd"``); None for an unknown id."""
        row = self.row_of.get(entity_id)
        if row is None:
            return None
        if self.types[row] == "track":
            return f"{self.query_titles[row]} {self.subtitles[row]}".strip().lower()
        return str(self.titles[row]).strip().lower() or None

    def describe(self, row: int) -> str:
        """``"track:abc (Blinding Lights - The Weeknd)"``."""
        sub = f" - {self.subtitles[row]}" if self.subtitles[row] else ""
        return f"{self.ids[row]} ({self.titles[row]}{sub})"

    def ids_of(self, rows: np.ndarray | list[int]) -> frozenset[str]:
        """The ids of `rows`, as a set (what an interaction's ``relevant`` holds)."""
        return frozenset(self.ids[np.asarray(rows, dtype=np.int64)].tolist())

    def cached(self, key: tuple, make: Callable[[], np.ndarray]) -> np.ndarray:
        """Memoise a boolean mask or row array (broad intents repeat)."""
        return self.memo(key, make)

    def memo(self, key: object, make: Callable[[], Any]) -> Any:
        """Compute once per view whatever derives only from the catalog."""
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def name_mask(self, phrases: Sequence[str], entity_type: str = "playlist") -> np.ndarray:
        """Entities of a type whose title contains one of `phrases` as whole words."""
        def make() -> np.ndarray:
            mask = np.zeros(len(self.ids), dtype=bool)
            for phrase in phrases:
                parts = words(phrase)
                if not parts:
                    continue
                rows = self.token_rows.get(parts[0], np.zeros(0, dtype=np.int64))
                rows = rows[self.types[rows] == entity_type]
                if len(parts) > 1:
                    n = len(parts)
                    rows = np.array([r for r in rows if any(
                        self.title_tokens[r][j:j + n] == parts for j in range(len(self.title_tokens[r]) - n + 1))],
                        dtype=np.int64)
                mask[rows] = True
            return mask
        return self.cached(("name", entity_type, tuple(phrases)), make)

    def with_members(self, mask: np.ndarray) -> np.ndarray:
        """`mask` plus the tracks of every playlist it holds."""
        out = mask.copy()
        for prow in np.flatnonzero(mask & (self.types == "playlist")):
            members = self.playlist_members.get(int(prow))
            if members is not None:
                out[members] = True
        return out
