"""Build the semantic index with Ray Data: encoder actors embed, the driver writes shards.

    from ltrr.scale.embed import build_shards
    build_shards("data/catalog.duckdb", "data/semantic-shards", shards=8, address="auto", actors=16)

The catalog's passages (the semantic arm's :func:`~ltrr.strategies.semantic_passages.passage`)
become a Ray Dataset; ``map_batches`` runs them through a pool of
:class:`PassageEncoder` actors -- each loads the encoder once (ONNX Runtime,
one intra-op thread per actor: parallelism comes from the actors) -- and the
driver streams the embedded batches into one memory-mapped float16 file per
shard, so its memory stays bounded whatever the catalog size. Shard files are
written under temporary names, renamed whole, and the manifest is written
last (:mod:`ltrr.scale.shards`). The folder must be reachable by the nodes
that will serve the shards (shared storage on a real cluster).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ltrr.progress import ProgressFn, silent
from ltrr.scale import connect, ray_module
from ltrr.scale.shards import GRAPH_MIN_ROWS, ShardInfo, build_graph, shard_ranges, write_manifest


class PassageEncoder:
    """A Ray Data actor: loads the encoder once, then embeds batches of ``{"row", "text"}``."""

    def __init__(self, precision: str = "fp32", threads: int = 1) -> None:
        from ltrr.embedding import Encoder

        self._encoder = Encoder(passage_precision=precision, passage_threads=threads)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = self._encoder.encode_passages([str(t) for t in batch["text"]])
        return {"row": np.asarray(batch["row"], dtype=np.int64), "vector": vectors.astype(np.float16)}


def build_shards(catalog: str | Path, out_dir: str | Path, shards: int = 2, address: str | None = None,
                 actors: int = 2, batch_size: int = 256, precision: str = "fp32", num_cpus: int | None = None,
                 limit: int | None = None, graphs: bool | None = None, progress: ProgressFn = silent) -> dict:
    """Embed every entity of `catalog` on Ray and write `shards` shard files to `out_dir`.

    ``address``: see :func:`ltrr.scale.connect` (None/"local": a local cluster
    with ``num_cpus`` CPUs). ``actors``: encoder actors (one CPU each).
    ``limit``: embed only the first `limit` entities (benchmarks on a slice).
    ``graphs``: also build each shard's HNSW graph, one Ray task per shard
    (default: when a shard exceeds ``GRAPH_MIN_ROWS`` rows).
    Returns the manifest (also in ``out_dir/shards.json``) plus ``seconds``.
    """
    from ltrr.catalog.store import Catalog
    from ltrr.strategies.semantic_passages import catalog_passages

    ray = ray_module()
    if actors < 1 or batch_size < 1:
        raise ValueError(f"actors and batch_size must be at least 1, got {actors!r} and {batch_size!r}")
    started_at = time.perf_counter()
    cat = Catalog.open(catalog)
    try:
        texts = catalog_passages(cat.entities.frame)[:limit]
        fingerprint = cat.fingerprint()
    finally:
        cat.close()
    n = len(texts)
    out = Path(out_dir).resolve()         # absolute: Ray workers have another working directory
    out.mkdir(parents=True, exist_ok=True)
    infos = [ShardInfo(f"shard-{i:04d}.f16.npy", a, b) for i, (a, b) in enumerate(shard_ranges(n, shards))]
    started = connect(address, num_cpus)
    try:
        frame = pd.DataFrame({"row": np.arange(n, dtype=np.int64), "text": texts})
        # Several blocks per actor, so every actor gets work and progress moves smoothly.
        blocks = max(1, min(n // max(1, batch_size), actors * 8))
        # Split here, not with from_pandas(override_num_blocks=...): Ray 2.60 splits with
        # np.array_split, which gives numpy arrays, not frames, under pandas 3.
        parts = [frame.iloc[a:b] for a, b in shard_ranges(n, blocks)] if n else [frame]
        dataset = ray.data.from_pandas(parts).map_batches(
            PassageEncoder, fn_constructor_kwargs={"precision": precision}, batch_size=batch_size,
            batch_format="numpy", concurrency=actors, num_cpus=1)
        dim = None
        files: list[np.memmap] = []
        done = 0
        progress(0, n, "semantic shards: embedding on Ray")
        for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
            rows, vectors = batch["row"], np.asarray(batch["vector"], dtype=np.float16)
            if dim is None:
                dim = vectors.shape[1]
                files = [np.lib.format.open_memmap(_tmp(out / i.file), mode="w+", dtype=np.float16,
                                                   shape=(i.stop - i.start, dim)) for i in infos]
            for info, file in zip(infos, files):
                mine = (rows >= info.start) & (rows < info.stop)
                if mine.any():
                    file[rows[mine] - info.start] = vectors[mine]
            done += len(rows)
            progress(done, n, "semantic shards: embedding on Ray")
        if done != n:
            raise RuntimeError(f"Ray returned {done} embeddings for {n} passages")
        if dim is None:                       # an empty catalog: empty shards
            from ltrr.embedding import get_encoder

            dim = get_encoder().dim
            files = [np.lib.format.open_memmap(_tmp(out / i.file), mode="w+", dtype=np.float16,
                                               shape=(0, dim)) for i in infos]
        for file in files:
            file.flush()
        files.clear()                         # closes the memory maps before the renames
        for info in infos:
            os.replace(_tmp(out / info.file), out / info.file)
        if graphs is None:
            graphs = any(i.stop - i.start > GRAPH_MIN_ROWS for i in infos)
        if graphs:
            task = ray.remote(num_cpus=1)(build_graph)
            names = ray.get([task.remote(str(out), info) for info in infos])
            infos = [ShardInfo(i.file, i.start, i.stop, name) for i, name in zip(infos, names)]
        seconds = time.perf_counter() - started_at
        write_manifest(out, n, dim, infos, fingerprint=fingerprint, precision=precision,
                       actors=actors, seconds=round(seconds, 2))
    except BaseException:
        for info in infos:                    # no half-written shard is left behind
            _tmp(out / info.file).unlink(missing_ok=True)
        raise
    finally:
        if started:
            ray.shutdown()
    return {"n": n, "dim": dim, "shards": [dict(i.__dict__) for i in infos], "seconds": seconds}


def _tmp(path: Path) -> Path:
    return path.with_name(f"{path.name}.{os.getpid()}.tmp.npy")
