"""The semantic arm: dense retrieval with all-MiniLM-L6-v2.

Each entity is embedded once from a short passage (title, subtitle, genre,
mood; for playlists and podcasts the start of their description too): short
passages keep embedding the real catalog to a few minutes on two cores.
Embeddings are cached on disk as float16 (``semantic.f16.npy``) together with
a hash of each passage, so a rebuild after a catalog change re-embeds only
passages that changed.

A build embeds in chunks of ``CHUNK_ROWS`` passages and checkpoints each
finished chunk (:class:`Checkpoint`, in ``semantic_partial/``), so a build
that is killed, or cancelled by a closing engine, resumes where it stopped;
progress counts the resumed passages as done.

Search is exact (a float32 matrix product) up to ``EXACT_MAX_ROWS`` entities
and approximate (a usearch HNSW graph, memory-mapped on load) above.
Measured on this machine (2 cores, 384 dims, top 10): exact costs 0.04 ms at
1k rows, 0.3 ms at 10k, 1.7 ms at 20k and 4.4 ms at 60k; HNSW costs
0.1-0.6 ms over the same range but takes seconds to build and is
approximate. They cross at about 10k rows, hence the threshold.

Opening is slow the first time (``slow_to_open``): the engine opens this arm
in a background thread. ``open`` is thread-safe (two threads opening the same
catalog build once) and reports progress; :meth:`SemanticStrategy.is_built`
says, without building anything, whether the next open will be quick.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from pathlib import Path

import numpy as np

from ltrr import indexfiles
from ltrr.progress import ProgressFn
from ltrr.query import Query
from ltrr.strategies.base import ArmResources, Candidate, Strategy, ranked

VERSION = 1
EXACT_MAX_ROWS = 10_000
# Cosine below this is unrelated text for MiniLM (random catalog titles score
# 0.0-0.2 against a query); returning them would only add noise to the pool.
MIN_SIMILARITY = 0.2
_DESCRIPTION_CHARS = 160
# Passages embedded between checkpoints while building: a killed build loses at most
# one chunk (~10-25 s of embedding on two cores).
CHUNK_ROWS = 8192
PARTIAL_DIR = "semantic_partial"
# What made the vectors of a manifest written before precisions were recorded.
DEFAULT_PASSAGES = "all-MiniLM-L6-v2/fp32"

_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()


def _dir_lock(index_dir: Path) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(index_dir.resolve(), threading.Lock())


def passage(entity_type: str, title: str, subtitle: str, genre: str, mood: str, text: str) -> str:
    """The short text an entity is embedded from."""
    parts = [title]
    if subtitle and subtitle != genre:
        parts.append(f"by {subtitle}" if entity_type in ("track", "album") else subtitle)
    parts.extend(p for p in (genre, mood) if p)
    out = ", ".join(p for p in parts if p)
    if entity_type in ("playlist", "podcast", "episode"):
        # `text` is "title subtitle description ...": keep what follows the names.
        rest = text
        for name in (title, subtitle):
            if name and rest.startswith(name):
                rest = rest[len(name):].strip()
        if rest:
            out = f"{out}. {rest[:_DESCRIPTION_CHARS]}"
    return out


def passage_key(text: str) -> int:
    """A stable 63-bit hash of a passage, for reusing embeddings across rebuilds."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little") >> 1


def _files(index_dir: Path) -> dict[str, Path]:
    return {"vectors": index_dir / "semantic.f16.npy", "keys": index_dir / "semantic.keys.npy",
            "hnsw": index_dir / "semantic.usearch"}


class SemanticStrategy(Strategy):
    """Nearest entities to the query in MiniLM embedding space."""

    name = "semantic"
    description = "Dense MiniLM embeddings: finds meaning without shared words"
    slow_to_open = True

    def __init__(self, catalog, encoder, vectors: np.ndarray, hnsw, built_now: bool) -> None:
        self.catalog = catalog
        self.built_now = built_now          # True when this open (re)built the index
        self._encoder = encoder
        self._vectors16 = vectors           # float16, memory-mapped: for `score`
        self._hnsw = hnsw                   # None: exact search over _vectors32
        self._vectors32 = None if hnsw is not None else np.asarray(vectors, dtype=np.float32)
        self._ids = catalog.entities.ids

    # --- opening -----------------------------------------------------------

    @classmethod
    def is_built(cls, catalog) -> bool:
        """True when the index on disk is fresh for `catalog`, so `open` only loads it."""
        index_dir = catalog.index_dir
        files = _files(index_dir)
        needed = [files["vectors"]] + ([files["hnsw"]] if len(catalog.entities) > EXACT_MAX_ROWS else [])
        return (indexfiles.is_fresh(index_dir, cls.name, catalog.fingerprint(), VERSION)
                and all(p.is_file() for p in needed))

    @classmethod
    def open(cls, resources: ArmResources) -> "SemanticStrategy":
        """Load the embeddings (building missing or stale ones with progress); thread-safe."""
        from ltrr.embedding import get_encoder

        catalog = resources.catalog
        index_dir = resources.index_dir
        encoder = get_encoder()
        with _dir_lock(index_dir):
            built = False
            if not cls.is_built(catalog):
                cls._build(catalog, encoder, index_dir, resources.progress)
                built = True
            files = _files(index_dir)
            vectors = np.load(files["vectors"], mmap_mode="r")
            hnsw = None
            if len(vectors) > EXACT_MAX_ROWS:
                from usearch.index import Index

                hnsw = Index.restore(str(files["hnsw"]), view=True)
        return cls(catalog, encoder, vectors, hnsw, built_now=built)

    @staticmethod
    def _build(catalog, encoder, index_dir: Path, progress: ProgressFn) -> None:
        frame = catalog.entities.frame
        texts = catalog_passages(frame)
        keys = np.fromiter((passage_key(t) for t in texts), dtype=np.int64, count=len(texts))
        files = _files(index_dir)
        made_by = encoder_id(encoder)
        vectors = np.zeros((len(texts), encoder.dim), dtype=np.float16)
        todo = np.ones(len(texts), dtype=bool)
        # Reuse what an earlier build embedded (a re-import changes the fingerprint, rarely the
        # text), if the same model at the same precision made it.
        try:
            if _manifest_facts(index_dir).get("passages", DEFAULT_PASSAGES) == made_by:
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
        resumed = before - int(todo.sum())
        missing = np.flatnonzero(todo)
        total = len(texts)
        done = total - missing.size
        for start in range(0, missing.size, CHUNK_ROWS):
            rows = missing[start:start + CHUNK_ROWS]
            base = done

            def chunk_progress(d: int, t: int, message: str = "", base: int = base) -> None:
                progress(base + d, total, message)

            vectors[rows] = encoder.encode_passages([texts[i] for i in rows], progress=chunk_progress)
            # Written before the next chunk starts: a build killed from here on resumes after it.
            checkpoint.add(keys[rows], vectors[rows])
            done += rows.size
        progress(total, total, "semantic: embedding")
        _save_npy(files["vectors"], vectors)
        _save_npy(files["keys"], keys)
        if len(texts) > EXACT_MAX_ROWS:
            _build_hnsw(files["hnsw"], vectors, progress)
        indexfiles.mark_fresh(index_dir, SemanticStrategy.name, catalog.fingerprint(), VERSION,
                              entities=len(texts), embedded=int(missing.size), resumed=resumed,
                              model=encoder.name, passages=made_by)
        checkpoint.clear()

    # --- querying ----------------------------------------------------------

    def retrieve(self, query: Query, budget: int) -> list[Candidate]:
        """The `budget` entities closest in meaning (cosine >= MIN_SIMILARITY), best first."""
        if budget <= 0 or len(self._ids) == 0:
            return []
        vector = query_vector(self._encoder, query)
        if vector is None:
            return []
        if self._hnsw is None:
            sims = self._vectors32 @ vector
            k = min(budget, sims.size)
            rows = np.argpartition(-sims, k - 1)[:k]
            sims = sims[rows]
        else:
            matches = self._hnsw.search(vector, min(budget, len(self._ids)))
            rows = np.asarray(matches.keys, dtype=np.int64)
            sims = 1.0 - np.asarray(matches.distances, dtype=np.float64)   # usearch "cos" is 1 - cosine
        return similar_candidates(self._ids, rows, sims, budget)

    def score(self, query: Query, rows: np.ndarray) -> np.ndarray:
        """Cosine similarity of the query to any rows (0 for an empty query)."""
        rows = np.asarray(rows, dtype=np.int64)
        vector = query_vector(self._encoder, query)
        if vector is None or rows.size == 0:
            return np.zeros(rows.size, dtype=np.float64)
        return (np.asarray(self._vectors16[rows], dtype=np.float32) @ vector).astype(np.float64)


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


def catalog_passages(frame) -> list[str]:
    """The passage of every entity of a catalog's entity frame, in row order."""
    return [passage(*row) for row in zip(frame["entity_type"], frame["title"], frame["subtitle"],
                                         frame["genre"], frame["mood"], frame["text"])]


def encoder_id(encoder) -> str:
    """What made a passage vector (model and precision): vectors of different ids never mix."""
    return str(getattr(encoder, "passage_id", None) or f"{encoder.name}/fp32")


def _manifest_facts(index_dir: Path) -> dict:
    try:
        data = json.loads(indexfiles.manifest_path(index_dir, SemanticStrategy.name).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


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


class Checkpoint:
    """The finished chunks of an unfinished build, so a killed build resumes where it stopped.

    A folder of ``chunk-NNNNNN.npz`` files (passage keys and float16 vectors)
    and ``progress.json`` listing the chunks that are complete and what encoder
    made them. Each chunk is written under a temporary name and renamed, then
    listed (also atomically): a chunk that is on disk but not listed is ignored.
    The folder is not named ``semantic.*``, so the index manifest never lists it,
    and it is deleted once the index is complete. Chunks are matched by passage
    key, so they are reused even when the catalog changed in between.
    """

    def __init__(self, folder: Path, encoder: str, dim: int) -> None:
        self.folder, self.encoder, self.dim = folder, encoder, int(dim)

    def _listed(self) -> list[dict]:
        try:
            data = json.loads((self.folder / "progress.json").read_text())
        except (OSError, ValueError):
            return []
        if not isinstance(data, dict) or data.get("encoder") != self.encoder or data.get("dim") != self.dim:
            return []   # another model or precision made these: they must not mix
        return [c for c in data.get("chunks", []) if isinstance(c, dict) and "file" in c]

    def chunks(self):
        """Yield (keys, vectors) of every complete chunk; skip damaged ones."""
        for chunk in self._listed():
            try:
                with np.load(self.folder / chunk["file"]) as data:
                    yield data["keys"], data["vectors"]
            except (OSError, ValueError, KeyError):
                continue

    def rows(self) -> int:
        """How many passages the complete chunks hold."""
        return sum(int(c.get("rows", 0)) for c in self._listed())

    def add(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Persist one finished chunk, then list it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        listed = self._listed()
        name = f"chunk-{len(listed):06d}.npz"
        tmp = self.folder / f"{name}.{os.getpid()}.tmp"
        with open(tmp, "wb") as fh:
            np.savez(fh, keys=np.asarray(keys, dtype=np.int64), vectors=np.asarray(vectors, dtype=np.float16))
        os.replace(tmp, self.folder / name)
        record = {"encoder": self.encoder, "dim": self.dim,
                  "chunks": listed + [{"file": name, "rows": int(len(keys))}]}
        tmp = self.folder / f"progress.json.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(record))
        os.replace(tmp, self.folder / "progress.json")

    def clear(self) -> None:
        """Forget the chunks (the index they fed is complete)."""
        shutil.rmtree(self.folder, ignore_errors=True)


def _save_npy(path: Path, array: np.ndarray) -> None:
    # Temp names end in ".tmp" (index manifests ignore them); a file handle keeps numpy
    # from appending ".npy".
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        np.save(fh, array)
    os.replace(tmp, path)


def _build_hnsw(path: Path, vectors: np.ndarray, progress: ProgressFn) -> None:
    from usearch.index import Index

    index = Index(ndim=vectors.shape[1], metric="cos", dtype="f16")
    total = len(vectors)
    step = 4096
    progress(0, total, "semantic: building vector index")
    for start in range(0, total, step):
        stop = min(start + step, total)
        index.add(np.arange(start, stop), vectors[start:stop].astype(np.float32))
        progress(stop, total, "semantic: building vector index")
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    index.save(str(tmp))
    os.replace(tmp, path)
