"""The sharded index without Ray: scatter-gather equals one exact search."""
from __future__ import annotations

import json

import numpy as np
import pytest

from ltrr.scale.shards import (MANIFEST, ShardError, ShardedIndex, ShardInfo, merge_top_k, shard_ranges,
                               write_manifest, write_shards)


def unit(rows: int, dim: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((rows, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def write_index(folder, vectors: np.ndarray, shards: int) -> None:
    infos = []
    for i, (a, b) in enumerate(shard_ranges(len(vectors), shards)):
        infos.append(ShardInfo(f"shard-{i:04d}.f16.npy", a, b))
        np.save(folder / infos[-1].file, vectors[a:b].astype(np.float16))
    write_manifest(folder, len(vectors), vectors.shape[1], infos)


def exact(vectors: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    sims = vectors.astype(np.float16).astype(np.float32) @ query
    return np.lexsort((np.arange(len(sims)), -sims))[:k].tolist()


def test_shard_ranges_cover_every_row_once():
    assert shard_ranges(10, 3) == [(0, 3), (3, 6), (6, 10)]
    assert shard_ranges(2, 4) == [(0, 0), (0, 1), (1, 1), (1, 2)]
    assert shard_ranges(0, 2) == [(0, 0), (0, 0)]
    with pytest.raises(ValueError, match="at least 1"):
        shard_ranges(5, 0)


def test_merge_keeps_the_best_k_of_the_union():
    parts = [(np.array([4, 1]), np.array([0.9, 0.2])), (np.array([7, 3]), np.array([0.95, 0.2])),
             (np.array([], dtype=np.int64), np.array([]))]
    rows, scores = merge_top_k(parts, 3)
    assert rows.tolist() == [7, 4, 1]                      # ties (0.2) go to the lower row
    assert scores.tolist() == pytest.approx([0.95, 0.9, 0.2])
    assert merge_top_k([], 3)[0].size == 0


@pytest.mark.parametrize("shards", [1, 3, 7])
def test_scatter_gather_equals_one_exact_search(tmp_path, shards):
    vectors = unit(500, 16, seed=shards)
    write_index(tmp_path, vectors, shards)
    index = ShardedIndex.open(tmp_path)
    assert len(index.shards) == shards and index.n == 500
    for query in unit(20, 16, seed=99):
        rows, scores = index.search(query, 10)
        assert rows.tolist() == exact(vectors, query, 10)
        assert list(scores) == sorted(scores, reverse=True)
    assert index.search(unit(1, 16, 1)[0], 1000)[0].size == 500      # k larger than the index


def test_broken_folders_get_clear_errors(tmp_path):
    with pytest.raises(ShardError, match="shards.json is missing: build it first"):
        ShardedIndex.open(tmp_path)
    write_index(tmp_path, unit(30, 4, 0), 2)
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    manifest["shards"] = manifest["shards"][:1]
    (tmp_path / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ShardError, match="shards cover 15 rows, the index has 30"):
        ShardedIndex.open(tmp_path)
    write_index(tmp_path, unit(30, 4, 0), 2)
    np.save(tmp_path / "shard-0001.f16.npy", unit(3, 4, 0).astype(np.float16))
    with pytest.raises(ShardError, match="holds 3 rows, the manifest says 15"):
        ShardedIndex.open(tmp_path)
    write_index(tmp_path, unit(30, 4, 0), 2)
    with pytest.raises(ValueError, match="must have 4 dimensions, got 5"):
        ShardedIndex.open(tmp_path).search(np.ones(5), 3)


def test_write_shards_with_graphs_finds_what_exact_search_finds(tmp_path):
    vectors = unit(2000, 16, seed=5)
    infos = write_shards(vectors, tmp_path, 3, graphs=True, fingerprint="f")
    assert all(i.graph == i.file.replace(".f16.npy", ".usearch") for i in infos)
    index = ShardedIndex.open(tmp_path)
    assert all(s.graph is not None for s in index.shards) and index.manifest["fingerprint"] == "f"
    queries = unit(50, 16, seed=6)
    recall = np.mean([len(set(index.search(q, 10)[0].tolist()) & set(exact(vectors, q, 10))) / 10 for q in queries])
    assert recall >= 0.95
    rows = np.array([0, 666, 667, 1999, 5])
    np.testing.assert_allclose(index.vectors(rows), vectors[rows], atol=2e-3)


def test_small_shards_get_no_graph_by_default(tmp_path):
    infos = write_shards(unit(40, 4, seed=1), tmp_path, 2)
    assert [i.graph for i in infos] == [None, None]
    assert all(s.graph is None for s in ShardedIndex.open(tmp_path).shards)
    (tmp_path / "shards2").mkdir()
    write_shards(unit(40, 4, seed=1), tmp_path / "shards2", 2, graphs=True)
    (tmp_path / "shards2" / "shard-0001.usearch").unlink()
    with pytest.raises(ShardError, match="shard-0001.usearch is missing"):
        ShardedIndex.open(tmp_path / "shards2")
