"""The Ray paths on a 2-CPU local cluster, started once for this module (slow: Ray takes
seconds to start and each worker loads the encoder)."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.catalog.store import Catalog
from ltrr.scale import local_runtime_env
from tests.conftest import import_shared_slice
from tests.scale.jobs import bandit_job, failing_job

pytestmark = pytest.mark.slow
ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, runtime_env=local_runtime_env())
    yield
    ray.shutdown()


# --- sweeps ------------------------------------------------------------------

def test_a_sweep_on_ray_equals_the_local_run(cluster):
    from ltrr.scale.sweep import run_jobs

    jobs = [(eps, seed) for eps in (0.05, 0.3) for seed in range(4)]
    assert run_jobs(bandit_job, jobs, address="local") == run_jobs(bandit_job, jobs)
    assert ray.is_initialized()            # the caller's connection is left open


def test_a_failing_ray_job_raises_its_own_error(cluster):
    from ltrr.scale.sweep import run_jobs

    with pytest.raises(ValueError, match="job 2 is broken"):
        run_jobs(failing_job, [1, 2, 3], address="local")


# --- index building and sharded search ------------------------------------------

@pytest.fixture(scope="module")
def small_catalog(tmp_path_factory):
    """~800 entities of the real catalog (every 160th row)."""
    return import_shared_slice(tmp_path_factory.mktemp("ray-subset"))


@pytest.fixture(scope="module")
def ray_shards(cluster, small_catalog, tmp_path_factory):
    from ltrr.scale.embed import build_shards

    out = tmp_path_factory.mktemp("shards")
    # Graphs too (one Ray task per shard), as a large shard would get them.
    build_shards(small_catalog, out, shards=3, actors=2, batch_size=64, graphs=True)
    return out


@pytest.fixture(scope="module")
def local_build(small_catalog):
    """The semantic arm's own (local, one-process) index of the same catalog."""
    from ltrr.strategies.base import ArmResources
    from ltrr.strategies.semantic import SemanticStrategy

    catalog = Catalog.open(small_catalog)
    arm = SemanticStrategy.open(ArmResources(catalog))
    yield catalog, arm
    catalog.close()


def _queries(catalog) -> list[str]:
    frame = catalog.entities.frame
    titles = frame.loc[frame["entity_type"] == "track", "title"].sample(40, random_state=1).tolist()
    return titles + ["songs for a rainy day", "sad breakup songs", "90s hip hop", "latin party",
                     "chill acoustic evening", "upbeat gym music", "rock anthems", "edm festival"]


def test_the_ray_built_index_equals_the_local_build(ray_shards, local_build):
    from ltrr.embedding import get_encoder
    from ltrr.scale.shards import Shard, ShardedIndex

    catalog, arm = local_build
    index = ShardedIndex.open(ray_shards)
    assert index.n == len(catalog.entities) and len(index.shards) == 3
    assert all(s.graph is not None for s in index.shards)
    assert index.manifest["fingerprint"] == catalog.fingerprint()
    local = np.load(catalog.index_dir / "semantic.f16.npy").astype(np.float32)
    remote = np.concatenate([np.asarray(s.vectors, dtype=np.float32) for s in index.shards])
    assert (local * remote).sum(axis=1).min() >= 0.999      # the same vectors, row by row

    encoder = get_encoder()
    exact = ShardedIndex(index.folder, index.manifest, [Shard(s.vectors, s.start) for s in index.shards])
    recalls = []
    for text in _queries(catalog):
        q = encoder.encode_queries([text])[0]
        sims = local @ q
        best = np.sort(sims)[::-1][:10]
        # Scattered over shards without graphs and merged: exactly the global top 10 (compared
        # by score, since duplicate titles have identical vectors and so tie).
        rows, scores = exact.search(q, 10)
        np.testing.assert_allclose(np.sort(sims[rows])[::-1], best, atol=1e-5)
        np.testing.assert_allclose(np.sort(scores)[::-1], best, atol=1e-3)
        # Through each shard's HNSW graph: approximate, and the graph differs from build to
        # build (usearch adds in parallel), so recall is measured, not matched. A lost shard
        # or a wrong row offset would drop it to 2/3 or 0; graphs this small miss ~1 in 200.
        rows = index.search(q, 10)[0]
        recalls.append(np.mean(sims[rows] >= best[-1] - 1e-3))
    assert np.mean(recalls) >= 0.95


def test_shard_actors_answer_like_local_shards(ray_shards):
    from ltrr.embedding import get_encoder
    from ltrr.scale.shards import RayShardedIndex, ShardedIndex

    local = ShardedIndex.open(ray_shards)
    remote = RayShardedIndex(ray_shards)
    try:
        for text in ["songs for a rainy day", "love", "hip hop"]:
            q = get_encoder().encode_queries([text])[0]
            a, b = local.search(q, 10), remote.search(q, 10)
            assert a[0].tolist() == b[0].tolist()
            np.testing.assert_allclose(a[1], b[1], rtol=1e-6)
    finally:
        remote.close()
    assert ray.is_initialized()
