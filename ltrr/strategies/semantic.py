"""The semantic arm: dense retrieval with all-MiniLM-L6-v2.

Each entity is embedded once from a short passage
(:mod:`ltrr.strategies.semantic_passages`).
Embeddings are cached on disk as float16 together with a hash of each
passage (:mod:`ltrr.strategies.semantic_files`), so a rebuild after a catalog
change re-embeds only passages that changed.

A build embeds in checkpointed chunks (:mod:`ltrr.strategies.semantic_job`), so
a build that is killed, or cancelled by a closing engine, resumes where it stopped.

Search is exact up to ``EXACT_MAX_ROWS`` entities and approximate (an HNSW
graph) above (:mod:`ltrr.strategies.semantic_search`).

**Serving before the build is complete.** Passages are embedded most popular
first. When the arm is opened in the background (the engine's opener thread,
or ``ArmResources.background`` where that exists), ``open`` returns as soon as
the ``SERVE_ROWS`` most popular entities (and whatever earlier builds left)
are embedded, or earlier on a busy machine, once ``SERVE_SECONDS`` of
embedding have passed and at least ``SERVE_MIN_ROWS`` are embedded: the arm
then serves exact search over the rows embedded so far while a background
thread embeds the rest, checkpointing as before, builds the HNSW graph, writes
the files and marks the index fresh, then swaps it in. Where the encoder has a
faster draft precision (int8 on ONNX Runtime, ~2.5x), the rows served first
and then every row get draft vectors before the fp32 pass replaces them: every
entity is searchable sooner (draft neighbours: recall@10 ~0.8 against fp32,
about as many relevant entities found), and the files hold fp32 vectors only.
Progress (done, total, message) keeps flowing through the same callback;
:meth:`SemanticStrategy.completeness` says how much the arm covers. A
foreground open (the simulator, benchmarks, the CLI's searches) still returns
only the complete index, so their results do not depend on timing.

Opening is slow the first time (``slow_to_open``): the engine opens this arm
in a background thread. ``open`` is thread-safe (two threads opening the same
catalog build once) and reports progress; :meth:`SemanticStrategy.is_built`
says, without building anything, whether the next open will be quick.
"""
from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from pathlib import Path

import numpy as np

from ltrr import indexfiles
from ltrr.progress import ProgressFn
from ltrr.query import Query
from ltrr.strategies import semantic_job, semantic_search
from ltrr.strategies.base import ArmResources, Candidate, Strategy, ranked
from ltrr.strategies.semantic_files import (DEFAULT_PASSAGES, NAME, PARTIAL_DIR, VERSION, Checkpoint, encoder_id,
                                            file_paths, manifest_facts)
from ltrr.strategies.semantic_job import Job
from ltrr.strategies.semantic_passages import catalog_passages, passage_key

# Cosine below this is unrelated text for MiniLM (random catalog titles score
# 0.0-0.2 against a query); returning them would only add noise to the pool.
MIN_SIMILARITY = 0.2
# Set to "0" to make background opens wait for the complete index as foreground ones do.
SERVE_EARLY_ENV = "LTRR_SEMANTIC_SERVE_EARLY"
# The engine's background opener names its threads so ("ltrr-open-<arm>").
_BACKGROUND_THREAD_PREFIX = "ltrr-open-"

log = logging.getLogger(__name__)

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
                 live: "_LiveIndex | None" = None) -> None:
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
        the most popular entities are embedded (see ``SERVE_ROWS``, ``SERVE_SECONDS``)
        and completes behind the returned arm; otherwise it returns the complete index.
        """
        from ltrr.embedding import get_encoder

        catalog = resources.catalog
        index_dir = resources.index_dir
        encoder = get_encoder()
        early = serves_early(resources)
        with _dir_lock(index_dir):
            live = _LIVE.get(index_dir.resolve())
            if live is not None and not live.finished():
                if live.fingerprint != catalog.fingerprint():
                    live.stop(None)          # the catalog changed under it: one build per folder
                elif early:
                    live.attach(resources.progress)
                    return cls(catalog, encoder, live.vectors16, None, built_now=True, live=live)
                else:
                    live.wait()      # a foreground open wants the complete index: the files follow
            _LIVE.pop(index_dir.resolve(), None)     # finished: its files (or checkpoint) are on disk
            built = False
            if not cls.is_built(catalog):
                live = cls._build(catalog, encoder, index_dir, resources.progress, serve_early=early)
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

    @staticmethod
    def _build(catalog, encoder, index_dir: Path, progress: ProgressFn,
               serve_early: bool = False) -> "_LiveIndex | None":
        """Embed what is missing, most popular first, and write the index.

        With ``serve_early`` and more than ``SERVE_MIN_ROWS`` passages to embed, embed
        the most popular here until it is time to serve, then return a
        :class:`_LiveIndex` that finishes in a background thread; otherwise finish
        here and return None.
        """
        frame = catalog.entities.frame
        texts = catalog_passages(frame)
        keys = np.fromiter((passage_key(t) for t in texts), dtype=np.int64, count=len(texts))
        files = file_paths(index_dir)
        made_by = encoder_id(encoder)
        vectors = np.zeros((len(texts), encoder.dim), dtype=np.float16)
        todo = np.ones(len(texts), dtype=bool)
        # Reuse what an earlier build embedded (a re-import changes the fingerprint, rarely the
        # text), if the same model at the same precision made it.
        try:
            if manifest_facts(index_dir).get("passages", DEFAULT_PASSAGES) == made_by:
                old_vectors = np.load(files["vectors"], mmap_mode="r")
                _reuse(keys, vectors, todo, np.load(files["keys"]), old_vectors)
                del old_vectors
        except (OSError, ValueError):
            pass
        # Then what a killed build of this (or an earlier) catalog had finished.
        checkpoint = Checkpoint(index_dir / PARTIAL_DIR, made_by, encoder.dim)
        before = int(todo.sum())
        for chunk_keys, chunk_vectors in checkpoint.chunks():
            _reuse(keys, vectors, todo, chunk_keys, chunk_vectors)
        job = Job(catalog, encoder, index_dir, texts, keys, vectors, todo, checkpoint,
                  resumed=before - int(todo.sum()))
        if not serve_early or job.missing.size <= semantic_job.SERVE_MIN_ROWS:
            job.embed(job.missing, progress)
            job.finish(progress)
            return None
        draft = getattr(encoder, "draft_precision", None)
        job.draft = draft() if draft is not None else None
        job.embed_until_serving(progress)
        if job.final == job.total:     # all of it fitted in the time: nothing to finish behind
            job.finish(progress)
            return None
        live = _LiveIndex(job, progress)
        _LIVE[index_dir.resolve()] = live
        live.start()
        return live

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


class _Stopped(Exception):
    """Raised inside a background build asked to stop."""


# Index folder -> the build completing there in the background in this process: every arm
# opened there meanwhile shares it; the first open after it has finished forgets it.
_LIVE: dict[Path, "_LiveIndex"] = {}


class _LiveIndex:
    """An index that serves while a background thread completes it.

    Readers search ``matrix[:ready]`` (float32 rows in embedding order) mapped back
    through ``order``; the builder only writes rows past ``ready`` before moving
    it, so readers never see a half-written row. A refining pass (final vectors
    over draft ones) rewrites served rows in place: a reader may then mix the two
    versions of one row, which differ by about 1% in cosine. Once complete, search
    goes to the HNSW graph (or stays exact up to ``EXACT_MAX_ROWS``) and the
    float32 matrix is dropped.
    """

    def __init__(self, job: Job, progress: ProgressFn) -> None:
        self.job = job
        self.fingerprint = job.fingerprint
        self.vectors16 = job.vectors
        self.order = job.order
        self.position = np.empty(job.total, dtype=np.int64)     # row -> place in `order`
        self.position[job.order] = np.arange(job.total)
        self.matrix: np.ndarray | None = np.zeros((job.total, job.vectors.shape[1]), dtype=np.float32)
        self.ready = 0
        self._publish(job.done)
        self.hnsw = None
        self.exact: np.ndarray | None = None
        self.error: BaseException | None = None
        self.covered_at: float | None = None     # when every row had a vector (draft or final)
        self.complete = threading.Event()
        self._finished = threading.Event()
        self._stop = threading.Event()
        self._listeners: list[ProgressFn] = [progress]
        self._listeners_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="ltrr-semantic-complete", daemon=True)

    def start(self) -> None:
        with _RUNNING_LOCK:
            _RUNNING.add(self)
        self._thread.start()

    def _publish(self, done: int) -> None:
        rows = self.order[self.ready:done]
        self.matrix[self.ready:done] = self.vectors16[rows]
        self.ready = done                                # readers see the new rows from here on

    def _update(self, rows: np.ndarray) -> None:
        self.matrix[self.position[rows]] = self.vectors16[rows]

    def attach(self, progress: ProgressFn) -> None:
        """Report this build's progress to another opener too."""
        with self._listeners_lock:
            self._listeners.append(progress)

    def _report(self, done: int, total: int, message: str = "") -> None:
        """Tell every opener; one whose callback raises (an engine that closed) is told no more,
        and the build stops when none is left."""
        if self._stop.is_set():
            raise _Stopped
        with self._listeners_lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(done, total, message)
            except Exception:
                with self._listeners_lock:
                    self._listeners.remove(listener)
        with self._listeners_lock:
            if not self._listeners:
                raise _Stopped

    def _run(self) -> None:
        job = self.job
        try:
            if job.draft is None:
                job.embed(job.left(), self._report, published=self._publish)
            else:
                job.embed_draft(job.left(), self._report, published=self._publish)
                self.covered_at = time.monotonic()
                job.refine(self._report, updated=self._update)
            job.finish(self._report)
            if job.total > semantic_search.EXACT_MAX_ROWS:
                from usearch.index import Index

                self.hnsw = Index.restore(str(file_paths(job.index_dir)["hnsw"]), view=True)
            else:
                self.exact = self.vectors16.astype(np.float32)
            self.matrix = None
            self.complete.set()
            # The engine marked the arm "ready" when it started serving; the reports since then
            # (drafts, the graph) ran over that message, so say so again now that it is complete.
            try:
                self._report(job.total, job.total, "ready")
            except _Stopped:
                pass
        except BaseException as exc:   # the engine closing (its progress raises), a stop, or a failure
            self.error = exc
            if not isinstance(exc, _Stopped):
                log.exception("semantic index build failed in the background; serving %d of %d entities",
                              self.ready, job.total)
        finally:
            self._finished.set()
            with _RUNNING_LOCK:
                _RUNNING.discard(self)

    def search(self, vector: np.ndarray, budget: int) -> tuple[np.ndarray, np.ndarray]:
        """Best rows (catalog row numbers) and cosines among the rows embedded so far."""
        hnsw, exact = self.hnsw, self.exact
        if hnsw is not None:
            return semantic_search.approximate(hnsw, vector, min(budget, self.job.total))
        if exact is not None:
            return semantic_search.exact(exact, vector, budget)
        ready, matrix = self.ready, self.matrix
        if matrix is None:       # completed between the reads above
            return self.search(vector, budget)
        positions, sims = semantic_search.exact(matrix[:ready], vector, budget)
        return self.order[positions], sims

    def completeness(self) -> dict:
        total, complete = self.job.total, self.complete.is_set()
        return {"embedded": total if complete else int(self.ready), "total": total, "complete": complete,
                "final": total if complete else int(self.job.final),
                "draft": None if complete else self.job.draft}

    def finished(self) -> bool:
        """True once the background thread has ended (complete, stopped or failed)."""
        return self._finished.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        self._finished.wait(timeout)
        return self.complete.is_set()

    def stop(self, timeout: float | None = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout)


_RUNNING: set[_LiveIndex] = set()
_RUNNING_LOCK = threading.Lock()


@atexit.register
def _stop_running_builds() -> None:
    # A daemon thread still inside ONNX Runtime when the interpreter tears down can abort
    # the process; stopped at its next progress report, its finished chunks stay checkpointed.
    with _RUNNING_LOCK:
        running = list(_RUNNING)
    for live in running:
        live.stop(timeout=30)


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


def _reuse(keys: np.ndarray, vectors: np.ndarray, todo: np.ndarray, old_keys: np.ndarray,
           old_vectors: np.ndarray) -> None:
    """Copy into `vectors` (and clear in `todo`) every row whose passage key has an old vector."""
    old_keys = np.asarray(old_keys, dtype=np.int64)
    if not len(old_keys) or len(old_keys) != len(old_vectors) or old_vectors.shape[1:] != vectors.shape[1:]:
        return
    order = np.argsort(old_keys)
    pos = np.minimum(np.searchsorted(old_keys[order], keys), len(order) - 1)
    same = (old_keys[order][pos] == keys) & todo
    vectors[same] = old_vectors[order[pos[same]]]
    todo &= ~same
