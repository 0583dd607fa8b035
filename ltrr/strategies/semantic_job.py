"""One build of the semantic index: embed what is missing, most popular first, then write the files.

A build embeds in chunks of ``CHUNK_ROWS`` passages and checkpoints each
finished chunk (:class:`~ltrr.strategies.semantic_files.Checkpoint`, in
``semantic_partial/``), so a build that is killed, or cancelled by a closing
engine, resumes where it stopped; progress counts the resumed passages as done.

Passages are embedded most popular first. A build that serves early (see
:mod:`ltrr.strategies.semantic_live`) first embeds the ``SERVE_ROWS`` most
popular entities, or on a busy machine stops once ``SERVE_SECONDS`` of
embedding have passed and at least ``SERVE_MIN_ROWS`` are embedded. Where the
encoder has a faster draft precision (int8 on ONNX Runtime, ~2.5x), the rows
served first and then every row get draft vectors before the fp32 pass
replaces them: every entity is searchable sooner (draft neighbours: recall@10
~0.8 against fp32, about as many relevant entities found), and the files hold
fp32 vectors only.

``CHUNK_ROWS`` and the ``SERVE_*`` settings are read through this module at
call time, so one setting, or a test's monkeypatch, reaches every reader.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ltrr import indexfiles
from ltrr.progress import ProgressFn
from ltrr.strategies import semantic_search
from ltrr.strategies.semantic_files import NAME, VERSION, Checkpoint, build_hnsw, encoder_id, file_paths, save_npy

# Passages embedded between checkpoints while building: a killed build loses at most
# one chunk (~10-25 s of embedding on two cores).
CHUNK_ROWS = 8192
# When a background open serves (exact search over what is embedded) and finishes the rest
# behind it: once the SERVE_ROWS most popular entities are embedded (~10 s on two quiet
# cores), or sooner on a busy machine, after SERVE_SECONDS of embedding, if at least
# SERVE_MIN_ROWS are. What a partial index costs in recall: docs/speed.md.
SERVE_ROWS = 8192
SERVE_SECONDS = 20.0
SERVE_MIN_ROWS = 1024
# Passages per encoder call before serving: how often the clock above is read.
SERVE_BLOCK = 512


class Job:
    """One build's inputs and bookkeeping: the passages, their vectors (float16, in row order,
    zero until embedded), what is still to embed (most popular first) and the checkpoint.

    ``done`` counts rows with a vector (what a live index serves), ``final`` rows with a
    vector at the encoder's passage precision (what the index files hold). They differ
    only while a draft pass (``draft``: a faster precision, see
    :meth:`ltrr.embedding.Encoder.draft_precision`) is ahead of the final one.
    """

    def __init__(self, catalog, encoder, index_dir: Path, texts: list[str], keys: np.ndarray,
                 vectors: np.ndarray, todo: np.ndarray, checkpoint: "Checkpoint", resumed: int) -> None:
        self.catalog, self.encoder, self.index_dir = catalog, encoder, index_dir
        self.texts, self.keys, self.vectors, self.checkpoint = texts, keys, vectors, checkpoint
        self.resumed = resumed
        self.fingerprint = catalog.fingerprint()
        self.total = len(texts)
        missing = np.flatnonzero(todo)
        # Most popular first: a build that serves early serves the entities searched most,
        # and one that is stopped has embedded those.
        popularity = np.nan_to_num(np.asarray(catalog.entities.frame["popularity"], dtype=np.float64)
                                   if "popularity" in catalog.entities.frame else np.zeros(self.total))
        self.missing = missing[np.argsort(-popularity[missing], kind="stable")]
        self.done = self.final = self.total - self.missing.size
        self.draft: str | None = None
        # Embedding order: rows that needed no embedding, then the embedded ones as they finish.
        self.order = np.concatenate([np.flatnonzero(~todo), self.missing]).astype(np.int64)

    def left(self) -> np.ndarray:
        """The rows with no vector yet, most popular first."""
        return self.missing[self.done - (self.total - self.missing.size):]

    def _encode(self, rows: np.ndarray, progress: ProgressFn, base: int, draft: bool) -> None:
        label = f"semantic: embedding ({self.draft} draft)" if draft else ""

        def rows_progress(d: int, t: int, message: str = "") -> None:
            progress(base + d, self.total, label or message)

        texts = [self.texts[i] for i in rows]
        if draft:
            self.vectors[rows] = self.encoder.encode_passages(texts, progress=rows_progress, precision=self.draft)
        else:
            self.vectors[rows] = self.encoder.encode_passages(texts, progress=rows_progress)

    def embed(self, rows: np.ndarray, progress: ProgressFn, published=None) -> None:
        """Give `rows` (none of which has a vector) their final vectors, in checkpointed chunks
        of ``CHUNK_ROWS``; ``published(done)`` after each chunk."""
        for start in range(0, rows.size, CHUNK_ROWS):
            chunk = rows[start:start + CHUNK_ROWS]
            self._encode(chunk, progress, self.done, draft=False)
            # Written before the next chunk starts: a build killed from here on resumes after it.
            self.checkpoint.add(self.keys[chunk], self.vectors[chunk])
            self.done += chunk.size
            self.final += chunk.size
            if published is not None:
                published(self.done)

    def embed_draft(self, rows: np.ndarray, progress: ProgressFn, published=None) -> None:
        """Give `rows` draft vectors in chunks of ``CHUNK_ROWS`` (never checkpointed: the index
        files hold final vectors only); ``published(done)`` after each chunk."""
        for start in range(0, rows.size, CHUNK_ROWS):
            chunk = rows[start:start + CHUNK_ROWS]
            self._encode(chunk, progress, self.done, draft=True)
            self.done += chunk.size
            if published is not None:
                published(self.done)

    def refine(self, progress: ProgressFn, updated=None) -> None:
        """Replace every draft vector by its final one, in checkpointed chunks, most popular
        first; ``updated(rows)`` after each chunk."""
        rows = self.missing[self.final - (self.total - self.missing.size):]
        for start in range(0, rows.size, CHUNK_ROWS):
            chunk = rows[start:start + CHUNK_ROWS]
            self._encode(chunk, progress, self.final, draft=False)
            self.checkpoint.add(self.keys[chunk], self.vectors[chunk])
            self.final += chunk.size
            if updated is not None:
                updated(chunk)

    def embed_until_serving(self, progress: ProgressFn) -> None:
        """Embed the most popular rows (draft vectors when there is a draft precision) in blocks
        of ``SERVE_BLOCK`` until ``SERVE_ROWS`` are done, or ``SERVE_SECONDS`` have passed with
        ``SERVE_MIN_ROWS`` done; final vectors are checkpointed as one chunk."""
        start, first = time.monotonic(), self.done
        rows = self.missing[:SERVE_ROWS]
        for offset in range(0, rows.size, SERVE_BLOCK):
            block = rows[offset:offset + SERVE_BLOCK]
            self._encode(block, progress, self.done, draft=self.draft is not None)
            self.done += block.size
            if self.done - first >= SERVE_MIN_ROWS and time.monotonic() - start >= SERVE_SECONDS:
                break
        if self.draft is None:
            served = self.missing[:self.done - first]
            self.checkpoint.add(self.keys[served], self.vectors[served])
            self.final = self.done

    def finish(self, progress: ProgressFn) -> None:
        """Write the vectors, keys and (above ``EXACT_MAX_ROWS``) the HNSW graph, then the manifest."""
        files = file_paths(self.index_dir)
        progress(self.total, self.total, "semantic: embedding")
        save_npy(files["vectors"], self.vectors)
        save_npy(files["keys"], self.keys)
        if self.total > semantic_search.EXACT_MAX_ROWS:
            build_hnsw(files["hnsw"], self.vectors, progress)
        indexfiles.mark_fresh(self.index_dir, NAME, self.fingerprint, VERSION,
                              entities=self.total, embedded=int(self.missing.size), resumed=self.resumed,
                              model=self.encoder.name, passages=encoder_id(self.encoder))
        self.checkpoint.clear()
