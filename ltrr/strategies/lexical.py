"""The lexical arm: BM25 over every entity's words, on bm25s.

Field weights by repetition. Each entity is one BM25 document made of its
title tokens three times, its subtitle (artist, curator, publisher, podcast)
twice and its ``text`` once. ``text`` (the catalog's `entities` view) already
holds title, subtitle, album, featured artists, genre, mood, version and, for
playlists and podcasts, the description, so the effective weights are
title 4, subtitle 3, everything else 1. Repetition (a BM25F approximation)
keeps one index and one score per entity, which is what the ranker wants;
per-field indexes would need a second combination step with weights of its
own. Playlist membership is deliberately not copied into track documents:
one track sits in up to a dozen playlists, and their names would drown its
own words; playlists are found as entities of their own.

Scoring is textbook Okapi BM25 (Robertson idf, floored at 0 for words in more
than half the documents): bm25s ``method="robertson"`` leaves out the
``(k1 + 1)`` numerator factor, so scores are multiplied back by it and equal
``rank_bm25.BM25Okapi(epsilon=0)`` exactly (tests/strategies/test_lexical.py
checks this on the real catalog). A small popularity prior multiplies the
score by ``1 + popularity_prior * popularity / 100`` (default 0.05, i.e. at
most +5 %, enough to order equal matches by popularity, never enough to
lift a weak match over a strong one). An entity whose whole title is the
query gets ``exact_title_boost`` more (default +50 %): BM25 alone ranks the
track "Dirty" below the artist "Dirty Heads" with an album "Dirty Heads"
(the word is repeated in their fields), though someone typing a title
exactly most likely wants that title.
"""
from __future__ import annotations

import os
import shutil
import threading
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np

from ltrr import indexfiles
from ltrr.query import Query
from ltrr.strategies.base import ArmResources, Candidate, Strategy, ranked
from ltrr.text import tokenize

VERSION = 1
TITLE_REPEAT = 3
SUBTITLE_REPEAT = 2
K1 = 1.5
B = 0.75
_PROGRESS_EVERY = 2000
_open_lock = threading.Lock()
_EMPTY_MARKER = "EMPTY"


def entity_tokens(title: str, subtitle: str, text: str) -> list[str]:
    """The BM25 document of one entity (see the module docstring for the weights)."""
    return tokenize(title) * TITLE_REPEAT + tokenize(subtitle) * SUBTITLE_REPEAT + tokenize(text)


class LexicalStrategy(Strategy):
    """Okapi BM25 over titles, artists, albums, genres, moods and descriptions."""

    name = "lexical"
    description = "BM25 keyword match over titles, artists, albums and descriptions"

    def __init__(self, catalog, bm25: bm25s.BM25 | None, built_now: bool,
                 popularity_prior: float = 0.05, exact_title_boost: float = 0.5) -> None:
        self.catalog = catalog
        self._bm25 = bm25
        self.built_now = built_now          # True when this open (re)built the index
        self.popularity_prior = float(popularity_prior)
        self.exact_title_boost = float(exact_title_boost)
        frame = catalog.entities.frame
        self._ids = catalog.entities.ids
        # Folded titles, for the exact-title boost and features (~0.2 s for 60k entities).
        self._title_texts = np.array([" ".join(tokenize(t)) for t in frame["title"].tolist()], dtype=object)
        # Integer hashes make the exact-title test a numeric comparison: comparing strings
        # over every row that shares a common word ("love") cost ~12 ms at 1M entities.
        self._title_hashes = np.array([hash(t) for t in self._title_texts.tolist()], dtype=np.int64)
        self._popularity = catalog.entities.popularity01
        # One search asks for the same query's scores up to three times (retrieve, the
        # related arm's seeds, the ranker's features); at 1M entities each costs ~20 ms.
        self._scores_for = lru_cache(maxsize=8)(self._compute_scores)

    # --- opening -----------------------------------------------------------

    @staticmethod
    def index_path(index_dir: Path) -> Path:
        return index_dir / "lexical.bm25s"

    @classmethod
    def open(cls, resources: ArmResources) -> "LexicalStrategy":
        """Load the BM25 index (memory-mapped), building it first when missing or stale."""
        catalog = resources.catalog
        index_dir = resources.index_dir
        fingerprint = catalog.fingerprint()
        path = cls.index_path(index_dir)
        with _open_lock:
            built = False
            if not indexfiles.is_fresh(index_dir, cls.name, fingerprint, VERSION) or not path.is_dir():
                cls._build(catalog, path, resources.progress)
                indexfiles.mark_fresh(index_dir, cls.name, fingerprint, VERSION, documents=len(catalog.entities))
                built = True
            # bm25s cannot index a corpus without a single word; such a catalog matches nothing.
            bm25 = None if (path / _EMPTY_MARKER).exists() else bm25s.BM25.load(
                str(path), mmap=True, show_progress=False)
        return cls(catalog, bm25, built_now=built)

    @staticmethod
    def _build(catalog, path: Path, progress) -> None:
        frame = catalog.entities.frame
        total = len(frame)
        docs: list[list[str]] = []
        progress(0, total, "lexical: tokenising")
        for i, (title, subtitle, text) in enumerate(zip(frame["title"], frame["subtitle"], frame["text"])):
            docs.append(entity_tokens(title, subtitle, text))
            if (i + 1) % _PROGRESS_EVERY == 0:
                progress(i + 1, total, "lexical: tokenising")
        progress(total, total, "lexical: tokenising")
        progress(0, 1, "lexical: indexing")
        # float64 scores: the index is small (one float per distinct word per entity) and
        # keeps scores identical to the rank_bm25 reference, not merely close.
        bm25 = bm25s.BM25(method="robertson", k1=K1, b=B, dtype="float64")
        # Written aside and swapped in, so a reader never sees half an index.
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")     # ".tmp": manifests ignore it
        shutil.rmtree(tmp, ignore_errors=True)
        if any(docs):
            bm25.index(docs, show_progress=False)
            bm25.save(str(tmp), show_progress=False)
        else:
            tmp.mkdir(parents=True)
            (tmp / _EMPTY_MARKER).touch()
        shutil.rmtree(path, ignore_errors=True)
        os.replace(tmp, path)
        progress(1, 1, "lexical: indexing")

    # --- querying ----------------------------------------------------------

    def bm25_scores(self, tokens: list[str] | tuple[str, ...]) -> np.ndarray:
        """Okapi BM25 of every entity row for these query tokens (0 where nothing matches).

        The array is cached and read-only: callers index it, never write to it.
        """
        return self._scores_for(tuple(tokens))

    def _compute_scores(self, tokens: tuple[str, ...]) -> np.ndarray:
        ids = self._bm25.get_tokens_ids(list(tokens)) if self._bm25 is not None else []
        scores = (np.zeros(len(self._ids), dtype=np.float64) if not ids
                  else self._bm25.get_scores_from_ids(ids) * (K1 + 1.0))
        scores.flags.writeable = False
        return scores

    def _final(self, query: Query, bm25: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """BM25 times the popularity prior and, for exact titles, the title boost."""
        out = bm25 * (1.0 + self.popularity_prior * self._popularity[rows])
        if self.exact_title_boost:
            exact = np.flatnonzero((self._title_hashes[rows] == hash(query.text)) & (bm25 > 0))
            exact = exact[self._title_texts[rows[exact]] == query.text]   # rule out hash collisions
            out[exact] *= 1.0 + self.exact_title_boost
        return out

    def count(self, query: Query) -> int:
        """How many entities share a word with the query: the exact length of its list at any
        depth (0: no word of it is indexed, and the arm has nothing to offer; see
        ``ArmSet.empty``). The scores are cached, so a retrieval after it costs nothing more."""
        if not query.tokens or self._bm25 is None or not self._bm25.get_tokens_ids(list(query.tokens)):
            return 0
        return int(np.count_nonzero(self.bm25_scores(query.tokens)))

    def retrieve(self, query: Query, budget: int) -> list[Candidate]:
        """Entities sharing words with the query, by BM25 (times the prior and title boost)."""
        if budget <= 0 or not query.tokens:
            return []
        bm25 = self.bm25_scores(query.tokens)
        hit = np.flatnonzero(bm25 > 0)
        if hit.size == 0:
            return []
        final = self._final(query, bm25[hit], hit)
        if hit.size > budget:
            # Keep every row tied at the cut so `ranked`'s id tie-break decides, not argpartition.
            cutoff = np.partition(final, hit.size - budget)[hit.size - budget]
            keep = final >= cutoff
            hit, final = hit[keep], final[keep]
        query_tokens = set(query.tokens)
        out = []
        for row, score in zip(hit.tolist(), final.tolist()):
            title_text = self._title_texts[row]
            out.append(Candidate(
                entity_id=self._ids[row], score=score,
                features={
                    "bm25": float(bm25[row]),
                    "title_match": float(title_text == query.text),
                    "title_coverage": len(query_tokens & set(title_text.split())) / len(query_tokens),
                },
            ))
        return ranked(out, budget)

    def score(self, query: Query, rows: np.ndarray) -> np.ndarray:
        """The same score `retrieve` gives, for any rows (0 where no query word matches)."""
        rows = np.asarray(rows, dtype=np.int64)
        if not query.tokens or rows.size == 0:
            return np.zeros(rows.size, dtype=np.float64)
        return self._final(query, self.bm25_scores(query.tokens)[rows], rows)

