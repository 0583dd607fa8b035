"""The semantic arm: dense retrieval with all-MiniLM-L6-v2.

Each entity is embedded once from a short passage
(:mod:`ltrr.strategies.semantic_passages`); the vectors and, on large
catalogs, an HNSW graph are kept in the catalog's index folder
(:mod:`ltrr.strategies.semantic_files`), built by
:mod:`ltrr.strategies.semantic_build` in checkpointed chunks, and searched
exactly or approximately (:mod:`ltrr.strategies.semantic_search`).

**Serving before the build is complete.** Passages are embedded most popular
first. When the arm is opened in the background (the engine's opener thread,
or ``ArmResources.background`` where that exists), ``open`` returns as soon as
the most popular entities (and whatever earlier builds left) are embedded
(see :mod:`ltrr.strategies.semantic_job`): the arm then serves exact search
over the rows embedded so far while a background thread completes the index
(:mod:`ltrr.strategies.semantic_live`), then swaps it in. Progress (done,
total, message) keeps flowing through the same callback;
:meth:`SemanticStrategy.completeness` says how much the arm covers. A
foreground open (the simulator, benchmarks, the CLI's searches) still returns
only the complete index, so their results do not depend on timing.

Opening is slow the first time (``slow_to_open``): the engine opens this arm
in a background thread. ``open`` is thread-safe (two threads opening the same
catalog build once) and reports progress; :meth:`SemanticStrategy.is_built`
says, without building anything, whether the next open will be quick.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from ltrr import indexfiles
from ltrr.query import Query
from ltrr.strategies import semantic_search
from ltrr.strategies.base import ArmResources, Candidate, Strategy, ranked
from ltrr.strategies.semantic_build import build
from ltrr.strategies.semantic_files import NAME, VERSION, file_paths
from ltrr.strategies.semantic_live import LIVE, LiveIndex

# Cosine below this is unrelated text for MiniLM (random catalog titles score
# 0.0-0.2 against a query); returning them would only add noise to the pool.
MIN_SIMILARITY = 0.2
# Set to "0" to make background opens wait for the complete index as foreground ones do.
SERVE_EARLY_ENV = "LTRR_SEMANTIC_SERVE_EARLY"
# The engine's background opener names its threads so ("ltrr-open-<arm>").
_BACKGROUND_THREAD_PREFIX = "ltrr-open-"

_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()


def _dir_lock(index_dir: Path) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(index_dir.resolve(), threading.Lock())


class SemanticStrategy(Strategy):
    """Nearest entities to the query in MiniLM embedding space."""

    name = NAME
    description = "Dense MiniLM embeddings: finds meaning without shared words"
    slow_to_open = True

    def __init__(self, catalog, encoder, vectors: np.ndarray, hnsw, built_now: bool,
                 live: "LiveIndex | None" = None) -> None:
        self.catalog = catalog
        self.built_now = built_now          # True when this open (re)built the index
        self._encoder = encoder
        self._vectors16 = vectors           # float16, memory-mapped: for `score`
        self._hnsw = hnsw                   # None: exact search over _vectors32
        self._vectors32 = None if hnsw is not None or live is not None else np.asarray(vectors, dtype=np.float32)
        self._live = live                   # set while (or after) the index completes in the background
        self._ids = catalog.entities.ids

    # --- opening -----------------------------------------------------------

    @classmethod
    def is_built(cls, catalog) -> bool:
        """True when the index on disk is fresh for `catalog`, so `open` only loads it."""
        index_dir = catalog.index_dir
        files = file_paths(index_dir)
        large = len(catalog.entities) > semantic_search.EXACT_MAX_ROWS
        needed = [files["vectors"]] + ([files["hnsw"]] if large else [])
        return (indexfiles.is_fresh(index_dir, cls.name, catalog.fingerprint(), VERSION)
                and all(p.is_file() for p in needed))

    @classmethod
    def open(cls, resources: ArmResources) -> "SemanticStrategy":
        """Load the embeddings (building missing or stale ones with progress); thread-safe.

        Opened in the background (see the module docstring), a build returns once
        the most popular entities are embedded (see ``semantic_job.SERVE_ROWS``, ``SERVE_SECONDS``)
        and completes behind the returned arm; otherwise it returns the complete index.
        """
        from ltrr.embedding import get_encoder

        catalog = resources.catalog
        index_dir = resources.index_dir
        encoder = get_encoder()
        early = serves_early(resources)
        with _dir_lock(index_dir):
            live = LIVE.get(index_dir.resolve())
            if live is not None and not live.finished():
                if live.fingerprint != catalog.fingerprint():
                    live.stop(None)          # the catalog changed under it: one build per folder
                elif early:
                    live.attach(resources.progress)
                    return cls(catalog, encoder, live.vectors16, None, built_now=True, live=live)
                else:
                    live.wait()      # a foreground open wants the complete index: the files follow
            LIVE.pop(index_dir.resolve(), None)     # finished: its files (or checkpoint) are on disk
            built = False
            if not cls.is_built(catalog):
                live = build(catalog, encoder, index_dir, resources.progress, serve_early=early)
                if live is not None:
                    return cls(catalog, encoder, live.vectors16, None, built_now=True, live=live)
                built = True
            files = file_paths(index_dir)
            vectors = np.load(files["vectors"], mmap_mode="r")
            hnsw = None
            if len(vectors) > semantic_search.EXACT_MAX_ROWS:
                from usearch.index import Index

                hnsw = Index.restore(str(files["hnsw"]), view=True)
        return cls(catalog, encoder, vectors, hnsw, built_now=built)

    # --- state -------------------------------------------------------------

    def completeness(self) -> dict:
        """How much of the catalog this arm searches: ``embedded`` of ``total`` entities have a
        vector, ``final`` of them at the encoder's passage precision (the others at the
        ``draft`` precision, e.g. "int8", None when there are none), and ``complete`` once
        the whole index is built and written (an arm opened from disk always is)."""
        if self._live is not None:
            return self._live.completeness()
        total = len(self._ids)
        return {"embedded": total, "total": total, "complete": True, "final": total, "draft": None}

    def wait_complete(self, timeout: float | None = None) -> bool:
        """Block until the index is complete (at once when it was opened complete); True when it is."""
        return True if self._live is None else self._live.wait(timeout)

    def stop(self, timeout: float | None = 30.0) -> None:
        """Stop a background build at its next progress report (its finished chunks stay
        checkpointed, so the next open resumes) and wait for it."""
        if self._live is not None:
            self._live.stop(timeout)

    # --- querying ----------------------------------------------------------

    def retrieve(self, query: Query, budget: int) -> list[Candidate]:
        """The `budget` entities closest in meaning (cosine >= MIN_SIMILARITY), best first."""
        if budget <= 0 or len(self._ids) == 0:
            return []
        vector = query_vector(self._encoder, query)
        if vector is None:
            return []
        if self._live is not None:
            rows, sims = self._live.search(vector, budget)
        elif self._hnsw is None:
            rows, sims = semantic_search.exact(self._vectors32, vector, budget)
        else:
            rows, sims = semantic_search.approximate(self._hnsw, vector, min(budget, len(self._ids)))
        return similar_candidates(self._ids, rows, sims, budget)

    def score(self, query: Query, rows: np.ndarray) -> np.ndarray:
        """Cosine similarity of the query to any rows (0 for an empty query, and for rows a
        background build has not embedded yet)."""
        rows = np.asarray(rows, dtype=np.int64)
        vector = query_vector(self._encoder, query)
        if vector is None or rows.size == 0:
            return np.zeros(rows.size, dtype=np.float64)
        return (np.asarray(self._vectors16[rows], dtype=np.float32) @ vector).astype(np.float64)


def serves_early(resources: ArmResources) -> bool:
    """Whether this open may serve before the index is complete: only in the background.

    ``resources.background`` decides where the engine passes it; otherwise an open
    in the engine's background opener thread serves early and any other waits
    for the complete index. ``$LTRR_SEMANTIC_SERVE_EARLY=0`` turns it off.
    """
    if os.environ.get(SERVE_EARLY_ENV, "1").strip() == "0":
        return False
    background = getattr(resources, "background", None)
    if background is not None:
        return bool(background)
    return threading.current_thread().name.startswith(_BACKGROUND_THREAD_PREFIX)


def query_vector(encoder, query: Query) -> np.ndarray | None:
    """The query's unit vector (None for an empty query): what every semantic search compares to."""
    if not query.text:
        return None
    return encoder.encode_queries([query.raw])[0]


def similar_candidates(ids, rows: np.ndarray, sims: np.ndarray, budget: int) -> list[Candidate]:
    """Nearest rows as candidates: cosine at least ``MIN_SIMILARITY``, best first, cut to ``budget``."""
    keep = sims >= MIN_SIMILARITY
    return ranked((Candidate(entity_id=ids[r], score=float(s), features={"semantic": float(s)})
                   for r, s in zip(rows[keep].tolist(), sims[keep].tolist())), budget)
