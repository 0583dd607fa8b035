"""The semantic index on disk."""
from __future__ import annotations

import numpy as np

from ltrr.strategies.semantic_files import Checkpoint, build_hnsw


def test_the_vector_index_is_the_same_on_every_build(tmp_path):
    """A graph built by several threads depends on their interleaving: the same vectors gave other
    neighbour lists on every build, and a study repeated on a fresh clone moved with them."""
    from usearch.index import Index

    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((6000, 48)).astype(np.float16)
    queries = rng.standard_normal((100, 48)).astype(np.float32)
    lists = []
    for name in ("a.usearch", "b.usearch"):
        build_hnsw(tmp_path / name, vectors, lambda *_: None)
        lists.append(Index.restore(str(tmp_path / name)).search(queries, 20).keys)
    assert np.array_equal(lists[0], lists[1])


def test_a_checkpoint_gives_back_only_listed_chunks_of_its_own_encoder(tmp_path):
    folder = tmp_path / "semantic_partial"
    checkpoint = Checkpoint(folder, "fake/fp32", 4)
    vectors = np.ones((3, 4))
    checkpoint.add(np.arange(3), vectors)
    checkpoint.add(np.arange(3, 6), 2 * vectors)
    assert checkpoint.rows() == 6
    chunks = list(checkpoint.chunks())
    assert [k.tolist() for k, _ in chunks] == [[0, 1, 2], [3, 4, 5]]
    assert all(v.dtype == np.float16 for _, v in chunks) and chunks[1][1][0, 0] == 2.0
    # Another precision or dimension made other vectors: they must not mix.
    other = Checkpoint(folder, "fake/int8", 4)
    assert other.rows() == 0 and not list(other.chunks())
    assert Checkpoint(folder, "fake/fp32", 8).rows() == 0
    # A chunk on disk that progress.json does not list (a build killed between the two writes) is ignored.
    (folder / "chunk-000002.npz").write_bytes((folder / "chunk-000000.npz").read_bytes())
    assert checkpoint.rows() == 6 and len(list(checkpoint.chunks())) == 2
    checkpoint.clear()
    assert not folder.exists() and checkpoint.rows() == 0
