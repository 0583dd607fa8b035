"""Scale-out on Ray (optional: ``pip install -r requirements-scale.txt``).

* :mod:`ltrr.scale.sweep` -- ``run_jobs(fn, jobs, address)``: independent,
  picklable jobs (simulations of policy x seed) as Ray tasks, results in job
  order; runs locally when no address is given or Ray is not installed.
* :mod:`ltrr.scale.embed` -- the semantic index built with Ray Data
  (``map_batches`` over encoder actors), written as shards.
* :mod:`ltrr.scale.shards` -- the sharded index and its scatter-gather search
  (every shard searched, the per-shard top k merged), in threads or on Ray
  actors, one per shard.

Nothing outside this package imports Ray: the product runs without it.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

RAY_MISSING = "ray is not installed: pip install -r requirements-scale.txt"


class ScaleError(RuntimeError):
    """Ray is missing or the cluster cannot be reached."""


def ray_module() -> Any:
    """The ``ray`` module, or ScaleError with the install command."""
    try:
        import ray
    except ImportError:
        raise ScaleError(RAY_MISSING) from None
    return ray


def connect(address: str | None = None, num_cpus: int | None = None) -> bool:
    """Connect to Ray unless this process already is; True when this call started the connection.

    ``address``: ``"auto"`` (a cluster started on this node with ``ray start
    --head``), ``"ray://HOST:10001"`` (Ray Client), ``"HOST:6379"`` or
    ``"local"``/``None`` (a throw-away local cluster with ``num_cpus`` CPUs).
    """
    ray = ray_module()
    if ray.is_initialized():
        return False
    kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
    if address in (None, "", "local"):
        kwargs["num_cpus"] = num_cpus
        kwargs["runtime_env"] = local_runtime_env()
        address = None
    try:
        ray.init(address=address, **kwargs)
    except (ConnectionError, RuntimeError) as exc:
        raise ScaleError(f"cannot connect to the Ray cluster at {address!r}: {exc}") from exc
    return True


def local_runtime_env() -> dict:
    """Ray ``runtime_env`` for a cluster on this machine: workers import ltrr from this checkout.

    (On a real cluster, install ltrr on every node instead: ``pip install .`` or
    the same ``PYTHONPATH``.)
    """
    root = str(Path(__file__).resolve().parents[2])
    paths = [root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != root]
    return {"env_vars": {"PYTHONPATH": os.pathsep.join(paths)}}
