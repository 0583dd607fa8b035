"""The semantic index on disk: its files, its manifest facts and the checkpoint of an unfinished build.

Embeddings are cached on disk as float16 (``semantic.f16.npy``) together with
a hash of each passage (``semantic.keys.npy``), so a rebuild after a catalog
change re-embeds only passages that changed; above
``semantic_search.EXACT_MAX_ROWS`` entities an HNSW graph
(``semantic.usearch``) is saved beside them. The manifest
(:mod:`ltrr.indexfiles`) also records what encoder made the vectors
(:func:`encoder_id`): vectors of different encoders never mix.

An unfinished build keeps its finished chunks in ``semantic_partial/``
(:class:`Checkpoint`), so a build that is killed, or cancelled by a closing
engine, resumes where it stopped.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

from ltrr import indexfiles
from ltrr.progress import ProgressFn

# The index's name in the catalog's index folder (its manifest and every file start with it),
# which is also the arm's name.
NAME = "semantic"
VERSION = 1
PARTIAL_DIR = "semantic_partial"
# What made the vectors of a manifest written before precisions were recorded.
DEFAULT_PASSAGES = "all-MiniLM-L6-v2/fp32"


def file_paths(index_dir: Path) -> dict[str, Path]:
    """The index's files in `index_dir`: "vectors" (float16), "keys" (passage keys) and "hnsw" (the graph)."""
    return {"vectors": index_dir / "semantic.f16.npy", "keys": index_dir / "semantic.keys.npy",
            "hnsw": index_dir / "semantic.usearch"}


def encoder_id(encoder) -> str:
    """What made a passage vector (model and precision): vectors of different ids never mix."""
    return str(getattr(encoder, "passage_id", None) or f"{encoder.name}/fp32")


def manifest_facts(index_dir: Path) -> dict:
    """What the index's manifest in `index_dir` records ({} when it is missing or unreadable)."""
    try:
        data = json.loads(indexfiles.manifest_path(index_dir, NAME).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


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


def save_npy(path: Path, array: np.ndarray) -> None:
    """Write `array` to `path` as .npy, whole or not at all (a temporary file, then a rename)."""
    # Temp names end in ".tmp" (index manifests ignore them); a file handle keeps numpy
    # from appending ".npy".
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        np.save(fh, array)
    os.replace(tmp, path)


def build_hnsw(path: Path, vectors: np.ndarray, progress: ProgressFn) -> None:
    """Build the usearch HNSW graph (cosine, float16) of `vectors`, keyed by row, and save it to `path`."""
    from usearch.index import Index

    index = Index(ndim=vectors.shape[1], metric="cos", dtype="f16")
    total = len(vectors)
    # One thread: a graph built by several threads depends on their interleaving, so the same
    # vectors gave other neighbour lists on every build (the shared catalog's 60,493: a third of
    # 300 top-20 lists the same, four in five the same sets), and the study, repeated with the same
    # code over another build, moved by up to two points on its mean. One thread takes about twice
    # as long (12 s against 6 s there, 2 cores); the live index serves meanwhile.
    step = 4096
    progress(0, total, "semantic: building vector index")
    for start in range(0, total, step):
        stop = min(start + step, total)
        index.add(np.arange(start, stop), vectors[start:stop].astype(np.float32), threads=1)
        progress(stop, total, "semantic: building vector index")
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    index.save(str(tmp))
    os.replace(tmp, path)
