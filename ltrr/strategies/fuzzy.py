"""The fuzzy arm: typo- and accent-tolerant matching of entity names.

Every entity contributes its title ("Good Days") and, when it has a subtitle
(artist, curator, publisher, podcast), the combination "subtitle title"
("SZA Good Days"), so that a query naming both finds the entity by one
string. Word order does not matter (WRatio's token-sort/set comparisons), so
"good days sza" works too. Matching is :class:`ltrr.fuzzyindex.FuzzyIndex`:
an n-gram shortlist rescored with rapidfuzz, a few milliseconds a query on
the real catalog.

An entity's score is its best name's similarity (0..1) plus a tie-breaker of
at most 0.001 from popularity, so that among the many tracks called "Halo"
the popular one comes first without ever beating a closer spelling.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from ltrr import indexfiles
from ltrr.fuzzyindex import FuzzyIndex
from ltrr.query import Query
from ltrr.strategies.base import ArmResources, Candidate, Strategy, ranked

VERSION = 1
MIN_SCORE = 60.0            # rapidfuzz scale; below this a "match" is mostly noise
POPULARITY_TIE_BREAK = 0.001
_open_lock = threading.Lock()


def entity_names(titles, subtitles) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The strings to match and, for each, its entity row and whether it is a combo.

    Titles come first (name i is row i's title), then one "subtitle title"
    combination per row that has a subtitle.
    """
    titles = [t or "" for t in titles]
    subtitles = [s or "" for s in subtitles]
    n = len(titles)
    combo_rows = [i for i, s in enumerate(subtitles) if s.strip()]
    names = titles + [f"{subtitles[i]} {titles[i]}" for i in combo_rows]
    name_rows = np.concatenate([np.arange(n, dtype=np.int64), np.asarray(combo_rows, dtype=np.int64)])
    is_combo = np.concatenate([np.zeros(n, dtype=bool), np.ones(len(combo_rows), dtype=bool)])
    return names, name_rows, is_combo


class FuzzyStrategy(Strategy):
    """Approximate title and "artist title" matching that forgives typos and accents."""

    name = "fuzzy"
    description = "Typo- and accent-tolerant matching of titles and artist + title"

    def __init__(self, catalog, index: FuzzyIndex, name_rows: np.ndarray, is_combo: np.ndarray,
                 built_now: bool) -> None:
        self.catalog = catalog
        self.built_now = built_now          # True when this open (re)built the index
        self._index = index
        self._name_rows = name_rows
        self._is_combo = is_combo
        frame = catalog.entities.frame
        self._ids = catalog.entities.ids
        self._popularity = catalog.entities.popularity01
        # row -> its combo name (-1 when the row has no subtitle), for `score`.
        self._combo_of_row = np.full(len(frame), -1, dtype=np.int64)
        combos = np.flatnonzero(is_combo)
        self._combo_of_row[name_rows[combos]] = combos

    @staticmethod
    def index_paths(index_dir: Path) -> tuple[Path, Path]:
        return index_dir / "fuzzy.names.npz", index_dir / "fuzzy.rows.npz"

    @classmethod
    def open(cls, resources: ArmResources) -> "FuzzyStrategy":
        """Load the name index, building it first when missing or stale (about a second per 50k names)."""
        catalog = resources.catalog
        index_dir = resources.index_dir
        fingerprint = catalog.fingerprint()
        names_path, rows_path = cls.index_paths(index_dir)
        with _open_lock:
            built = False
            fresh = indexfiles.is_fresh(index_dir, cls.name, fingerprint, VERSION)
            if not (fresh and names_path.is_file() and rows_path.is_file()):
                frame = catalog.entities.frame
                resources.progress(0, 1, "fuzzy: indexing names")
                names, name_rows, is_combo = entity_names(frame["title"].tolist(), frame["subtitle"].tolist())
                FuzzyIndex(names).save(names_path)
                tmp = rows_path.with_name(f"{rows_path.name}.{os.getpid()}.tmp")
                with open(tmp, "wb") as fh:
                    np.savez(fh, name_rows=name_rows, is_combo=is_combo)
                os.replace(tmp, rows_path)
                indexfiles.mark_fresh(index_dir, cls.name, fingerprint, VERSION, names=len(names))
                resources.progress(1, 1, "fuzzy: indexing names")
                built = True
            index = FuzzyIndex.load(names_path)
            with np.load(rows_path, allow_pickle=False) as data:
                name_rows, is_combo = data["name_rows"], data["is_combo"]
        return cls(catalog, index, name_rows, is_combo, built_now=built)

    def retrieve(self, query: Query, budget: int) -> list[Candidate]:
        """Entities whose title or "subtitle title" is close to the query, best first."""
        if budget <= 0 or not query.text:
            return []
        # Ask for extra names: a title and its combo often both match one entity.
        hits = self._index.search(query, k=3 * budget + 10, min_score=MIN_SCORE)
        best: dict[int, tuple[float, bool]] = {}
        for name, similarity in hits:
            row = int(self._name_rows[name])
            if row not in best or similarity > best[row][0]:
                best[row] = (similarity, bool(self._is_combo[name]))
        out = [
            Candidate(
                entity_id=self._ids[row],
                score=float(similarity / 100.0 + POPULARITY_TIE_BREAK * self._popularity[row]),
                features={"fuzzy": float(similarity) / 100.0, "fuzzy_combo": float(combo)},
            )
            for row, (similarity, combo) in best.items()
        ]
        return ranked(out, budget)

    def score(self, query: Query, rows: np.ndarray) -> np.ndarray:
        """The score `retrieve` would give each row (similarity below MIN_SCORE included)."""
        rows = np.asarray(rows, dtype=np.int64)
        if not query.text or rows.size == 0:
            return np.zeros(rows.size, dtype=np.float64)
        title = self._index.score(query, rows).astype(np.float64)
        combo_names = self._combo_of_row[rows]
        has_combo = combo_names >= 0
        combo = np.zeros(rows.size, dtype=np.float64)
        if has_combo.any():
            combo[has_combo] = self._index.score(query, combo_names[has_combo])
        return np.maximum(title, combo) / 100.0 + POPULARITY_TIE_BREAK * self._popularity[rows]
