"""Building the semantic index: reuse what earlier builds embedded, embed the rest.

A build reuses, by passage key, the vectors of the index files already there
and of a killed build's checkpoint, then embeds what is missing (a
:class:`~ltrr.strategies.semantic_job.Job`): all of it here, or, serving
early, the most popular here and the rest behind a
:class:`~ltrr.strategies.semantic_live.LiveIndex`.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ltrr.progress import ProgressFn
from ltrr.strategies import semantic_job
from ltrr.strategies.semantic_files import (DEFAULT_PASSAGES, PARTIAL_DIR, Checkpoint, encoder_id, file_paths,
                                            manifest_facts)
from ltrr.strategies.semantic_job import Job
from ltrr.strategies.semantic_live import LIVE, LiveIndex
from ltrr.strategies.semantic_passages import catalog_passages, passage_key


def build(catalog, encoder, index_dir: Path, progress: ProgressFn,
          serve_early: bool = False) -> "LiveIndex | None":
    """Embed what is missing, most popular first, and write the index.

    With ``serve_early`` and more than ``SERVE_MIN_ROWS`` passages to embed, embed
    the most popular here until it is time to serve, then return a
    :class:`LiveIndex` that finishes in a background thread; otherwise finish
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
    live = LiveIndex(job, progress)
    LIVE[index_dir.resolve()] = live
    live.start()
    return live


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
