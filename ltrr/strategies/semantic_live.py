"""A semantic index that serves while a background thread completes it.

When the arm is opened in the background (see :func:`ltrr.strategies.semantic.serves_early`),
the build embeds the most popular entities first and then returns a
:class:`LiveIndex`: the arm serves exact search over the rows embedded so far
while a background thread embeds the rest, checkpointing as before, builds the
HNSW graph, writes the files and marks the index fresh, then swaps it in.
Progress (done, total, message) keeps flowing through the opener's callback.

A build runs once per index folder in this process (``LIVE``); every build
still running is stopped at interpreter exit, its finished chunks checkpointed.
"""
from __future__ import annotations

import atexit
import logging
import threading
import time
from pathlib import Path

import numpy as np

from ltrr.progress import ProgressFn
from ltrr.strategies import semantic_search
from ltrr.strategies.semantic_files import file_paths
from ltrr.strategies.semantic_job import Job

# One logger for the whole semantic arm, whichever of its modules reports.
log = logging.getLogger("ltrr.strategies.semantic")


class _Stopped(Exception):
    """Raised inside a background build asked to stop."""


# Index folder -> the build completing there in the background in this process: every arm
# opened there meanwhile shares it; the first open after it has finished forgets it.
LIVE: dict[Path, "LiveIndex"] = {}


class LiveIndex:
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
        """Complete the index in the background thread (stopped at interpreter exit if still running)."""
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
        """How much of the catalog this index searches (see ``SemanticStrategy.completeness``)."""
        total, complete = self.job.total, self.complete.is_set()
        return {"embedded": total if complete else int(self.ready), "total": total, "complete": complete,
                "final": total if complete else int(self.job.final),
                "draft": None if complete else self.job.draft}

    def finished(self) -> bool:
        """True once the background thread has ended (complete, stopped or failed)."""
        return self._finished.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the background thread ends (or `timeout` passes); True when the index is complete."""
        self._finished.wait(timeout)
        return self.complete.is_set()

    def stop(self, timeout: float | None = 30.0) -> None:
        """Stop the build at its next progress report and wait up to `timeout` for its thread."""
        self._stop.set()
        self._thread.join(timeout)


_RUNNING: set[LiveIndex] = set()
_RUNNING_LOCK = threading.Lock()


@atexit.register
def _stop_running_builds() -> None:
    # A daemon thread still inside ONNX Runtime when the interpreter tears down can abort
    # the process; stopped at its next progress report, its finished chunks stay checkpointed.
    with _RUNNING_LOCK:
        running = list(_RUNNING)
    for live in running:
        live.stop(timeout=30)
