"""A semantic index split into shards, searched by scatter-gather.

On disk (one folder)::

    shards.json            n, dim, encoder, catalog fingerprint, and per shard its file and row range
    shard-0000.f16.npy     float16 unit vectors of catalog rows [start, stop)
    shard-0001.f16.npy     ...
    shard-0000.usearch     (optional) an HNSW graph of the shard, keyed by catalog row

A search sends the query vector to every shard, each shard returns its own
top k (exact cosine; a shard above ``GRAPH_MIN_ROWS`` rows carries a usearch
HNSW graph and is searched approximately, as the semantic arm is), and :func:`merge_top_k` keeps the best k of the union --
the way Vespa content nodes and OpenSearch shards answer a query. The result
equals one exact search over all rows, because the global top k is always
within the union of the per-shard top k.

:class:`ShardedIndex` searches its shards on the local fan-out thread pool
(numpy releases the GIL); :class:`RayShardedIndex` puts each shard in a Ray
actor, so shards can live on different machines. Neither needs the other.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

MANIFEST = "shards.json"
FORMAT = 1
# Where exact search stops paying (the semantic arm measured the crossover at ~10k rows).
GRAPH_MIN_ROWS = 10_000


class ShardError(ValueError):
    """A shard folder is missing, incomplete or inconsistent."""


@dataclass(frozen=True)
class ShardInfo:
    """One shard: its vector file and the catalog rows [start, stop) it holds."""

    file: str
    start: int
    stop: int
    graph: str | None = None      # the shard's HNSW graph file, when it has one

    @property
    def graph_name(self) -> str:
        """The file name a graph of this shard gets."""
        return self.file.replace(".f16.npy", ".usearch")


def shard_ranges(n: int, shards: int) -> list[tuple[int, int]]:
    """Split rows 0..n into `shards` contiguous ranges whose sizes differ by at most one."""
    if shards < 1:
        raise ValueError(f"shards must be at least 1, got {shards!r}")
    bounds = [i * n // shards for i in range(shards + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


def write_manifest(folder: Path, n: int, dim: int, shards: Sequence[ShardInfo], **facts: object) -> None:
    """Write ``shards.json`` last and atomically: a folder without it is not an index."""
    record = {"format": FORMAT, "n": int(n), "dim": int(dim),
              "shards": [{"file": s.file, "start": s.start, "stop": s.stop, "graph": s.graph} for s in shards],
              **facts}
    tmp = folder / f"{MANIFEST}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(record, indent=1))
    os.replace(tmp, folder / MANIFEST)


def read_manifest(folder: Path) -> dict:
    """The manifest of a shard folder, checked: ShardError says what is wrong."""
    path = Path(folder) / MANIFEST
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ShardError(f"no sharded index at {folder} ({MANIFEST} is missing: build it first)") from None
    except (OSError, ValueError) as exc:
        raise ShardError(f"unreadable {path}: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ShardError(f"{path} is not a format-{FORMAT} shard manifest")
    shards = data.get("shards") or []
    covered = sorted((s["start"], s["stop"]) for s in shards)
    expected = 0
    for start, stop in covered:
        if start != expected:
            raise ShardError(f"{path}: shards do not cover rows {expected}..{start} exactly")
        expected = stop
    if expected != data.get("n"):
        raise ShardError(f"{path}: shards cover {expected} rows, the index has {data.get('n')}")
    return data


def merge_top_k(parts: Sequence[tuple[np.ndarray, np.ndarray]], k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best (rows, scores) of the union of per-shard lists, best first (ties: lower row first)."""
    rows = np.concatenate([np.asarray(r, dtype=np.int64) for r, _ in parts]) if parts else np.empty(0, np.int64)
    scores = np.concatenate([np.asarray(s, dtype=np.float32) for _, s in parts]) if parts else np.empty(0)
    order = np.lexsort((rows, -scores))[: max(0, int(k))]
    return rows[order], scores[order]


def build_graph(folder: str | Path, info: ShardInfo) -> str:
    """Build and save (atomically) the HNSW graph of one shard; return its file name."""
    from usearch.index import Index

    folder = Path(folder)
    vectors = np.load(folder / info.file, mmap_mode="r")
    index = Index(ndim=vectors.shape[1], metric="cos", dtype="f16")
    step = 4096
    for a in range(0, len(vectors), step):
        b = min(a + step, len(vectors))
        # One thread, so that a shard's graph is the same on every build (ltrr.strategies.semantic_files).
        index.add(np.arange(info.start + a, info.start + b), np.asarray(vectors[a:b], dtype=np.float32), threads=1)
    tmp = folder / f"{info.graph_name}.{os.getpid()}.tmp"
    index.save(str(tmp))
    os.replace(tmp, folder / info.graph_name)
    return info.graph_name


def write_shards(vectors: np.ndarray, out_dir: str | Path, shards: int, graphs: bool | None = None,
                 **facts: object) -> list[ShardInfo]:
    """Split a (rows x dim) matrix of unit vectors into shard files (+ graphs) and a manifest, in this process.

    ``graphs``: build an HNSW graph per shard (default: when a shard exceeds ``GRAPH_MIN_ROWS``).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    vectors = np.asarray(vectors)
    infos = [ShardInfo(f"shard-{i:04d}.f16.npy", a, b) for i, (a, b) in enumerate(shard_ranges(len(vectors), shards))]
    for info in infos:
        tmp = out / f"{info.file}.{os.getpid()}.tmp"
        with open(tmp, "wb") as fh:
            np.save(fh, vectors[info.start:info.stop].astype(np.float16))
        os.replace(tmp, out / info.file)
    if graphs is None:
        graphs = any(i.stop - i.start > GRAPH_MIN_ROWS for i in infos)
    if graphs:
        infos = [ShardInfo(i.file, i.start, i.stop, build_graph(out, i)) for i in infos]
    write_manifest(out, len(vectors), vectors.shape[1] if vectors.ndim == 2 else 0, infos, **facts)
    return infos


class Shard:
    """One shard in memory: top k over its vectors, exact or through its HNSW graph."""

    def __init__(self, vectors: np.ndarray, start: int, graph=None) -> None:
        self.start = int(start)
        self.graph = graph
        # The graph answers searches; the float32 copy is only needed without one.
        self.vectors = vectors if graph is not None else np.ascontiguousarray(vectors, dtype=np.float32)

    @classmethod
    def load(cls, folder: Path, info: ShardInfo) -> "Shard":
        vectors = np.load(Path(folder) / info.file, mmap_mode="r")
        if len(vectors) != info.stop - info.start:
            raise ShardError(f"{info.file} holds {len(vectors)} rows, the manifest says {info.stop - info.start}")
        graph = None
        if info.graph:
            from usearch.index import Index

            path = Path(folder) / info.graph
            if not path.is_file():
                raise ShardError(f"{info.graph} is missing from {folder}")
            graph = Index.restore(str(path), view=True)
        return cls(vectors, info.start, graph)

    def rows(self, rows: np.ndarray) -> np.ndarray:
        """float32 vectors of catalog rows that lie in this shard."""
        return np.asarray(self.vectors[np.asarray(rows) - self.start], dtype=np.float32)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """This shard's k best catalog rows for one unit query vector, with cosines."""
        if not len(self.vectors) or k <= 0:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        if self.graph is not None:
            matches = self.graph.search(np.asarray(query, dtype=np.float32), min(k, len(self.vectors)))
            # usearch's "cos" distance is 1 - cosine.
            return (np.asarray(matches.keys, dtype=np.int64),
                    (1.0 - np.asarray(matches.distances, dtype=np.float32)))
        sims = self.vectors @ np.asarray(query, dtype=np.float32)
        k = min(k, len(sims))
        top = np.argpartition(-sims, k - 1)[:k]
        return top.astype(np.int64) + self.start, sims[top]


class ShardedIndex:
    """All shards of a folder in this process, searched concurrently and merged."""

    def __init__(self, folder: Path, manifest: dict, shards: list[Shard]) -> None:
        self.folder, self.manifest, self.shards = Path(folder), manifest, shards
        self.n, self.dim = int(manifest["n"]), int(manifest["dim"])

    @classmethod
    def open(cls, folder: str | Path) -> "ShardedIndex":
        """Load every shard listed in the folder's manifest."""
        folder = Path(folder)
        manifest = read_manifest(folder)
        infos = [ShardInfo(**s) for s in manifest["shards"]]
        return cls(folder, manifest, [Shard.load(folder, info) for info in infos])

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """float32 vectors of any catalog rows, gathered from their shards."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.zeros((rows.size, self.dim), dtype=np.float32)
        starts = np.array([s.start for s in self.shards])
        owner = np.searchsorted(starts, rows, side="right") - 1
        for i, shard in enumerate(self.shards):
            mine = owner == i
            if mine.any():
                out[mine] = shard.rows(rows[mine])
        return out

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k nearest catalog rows to one unit query vector, over every shard."""
        from ltrr.fanout import fan_out

        query = _check_query(query, self.dim)
        empty = lambda: (np.empty(0, np.int64), np.empty(0, np.float32))  # noqa: E731
        out = fan_out({str(i): (lambda s=s: s.search(query, k)) for i, s in enumerate(self.shards)},
                      fallback=empty, what="shard")
        failed = [name for name, o in out.items() if not o.ok]
        if failed:
            # A missing shard would silently drop results: say so instead.
            raise ShardError(f"shard(s) {', '.join(failed)} failed: {out[failed[0]].error}")
        return merge_top_k([o.value for o in out.values()], k)


class RayShardedIndex:
    """The same index with one Ray actor per shard: scatter the query, gather, merge."""

    def __init__(self, folder: str | Path, address: str | None = None, cpus_per_shard: float = 0.5) -> None:
        """Start one actor per shard (each loads its own file: the folder must be visible to every node)."""
        from ltrr.scale import connect, ray_module

        ray = ray_module()
        self._started = connect(address)
        self.folder = Path(folder).resolve()
        self.manifest = read_manifest(self.folder)
        self.n, self.dim = int(self.manifest["n"]), int(self.manifest["dim"])
        actor = ray.remote(num_cpus=cpus_per_shard)(_ShardActor)
        self._actors = [actor.remote(str(self.folder), s) for s in self.manifest["shards"]]
        ray.get([a.ready.remote() for a in self._actors])

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k nearest catalog rows to one unit query vector, over every shard actor."""
        import ray

        query = _check_query(query, self.dim)
        parts = ray.get([a.search.remote(query, k) for a in self._actors])
        return merge_top_k(parts, k)

    def close(self) -> None:
        """Stop the shard actors (and the Ray connection, if this index opened it)."""
        import ray

        for actor in self._actors:
            ray.kill(actor)
        self._actors = []
        if self._started:
            ray.shutdown()


class _ShardActor:
    def __init__(self, folder: str, info: dict) -> None:
        self._shard = Shard.load(Path(folder), ShardInfo(**info))

    def ready(self) -> bool:
        return True

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return self._shard.search(query, k)


def _check_query(query: np.ndarray, dim: int) -> np.ndarray:
    query = np.asarray(query, dtype=np.float32).reshape(-1)
    if query.shape != (dim,):
        raise ValueError(f"query vector must have {dim} dimensions, got {query.shape[0]}")
    return query
