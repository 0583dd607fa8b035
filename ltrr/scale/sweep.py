"""Run independent jobs as Ray tasks, or locally, with the same results in the same order.

    from ltrr.scale.sweep import run_jobs
    results = run_jobs(simulate_one, [(policy, seed) for policy in policies for seed in seeds],
                       address="auto")         # a cluster started with `ray start --head`

``fn`` and every job must be picklable (a module-level function and plain
data); ``fn`` must be importable on the workers (``ltrr`` installed there, as
on any node of the cluster). Each job is one Ray task with one CPU, so a sweep
spreads over every core of every node. A job that raises fails the sweep with
its own exception type, locally and on Ray alike.
"""
from __future__ import annotations

import logging
from typing import Callable, Iterable, TypeVar

from ltrr.scale import RAY_MISSING, ScaleError, connect

log = logging.getLogger(__name__)

J = TypeVar("J")
R = TypeVar("R")


def run_jobs(fn: Callable[[J], R], jobs: Iterable[J], address: str | None = None,
             num_cpus: int | None = None, cpus_per_job: float = 1.0) -> list[R]:
    """``[fn(job) for job in jobs]``, as Ray tasks when an address is given (results in job order).

    ``address``: None runs in this process (also when Ray is not installed, with
    a warning); ``"local"`` starts a local Ray cluster with ``num_cpus`` CPUs;
    ``"auto"``, ``"HOST:PORT"`` or ``"ray://HOST:10001"`` join a running
    cluster. A connection this call opened is closed before it returns; one that
    was already open (``ray.init`` by the caller) is used and left open.
    """
    jobs = list(jobs)
    if address is None:
        return [fn(job) for job in jobs]
    try:
        import ray
    except ImportError:
        log.warning("%s; running %d jobs locally", RAY_MISSING, len(jobs))
        return [fn(job) for job in jobs]
    if cpus_per_job <= 0:
        raise ValueError(f"cpus_per_job must be positive, got {cpus_per_job!r}")
    started = connect(address, num_cpus)
    try:
        # One remote wrapper for any callable (builtins and functools.partial included);
        # fn is shipped to the object store once, not once per job.
        task = ray.remote(num_cpus=cpus_per_job, max_retries=0)(_apply)
        fn_ref = ray.put(fn)
        refs = [task.remote(fn_ref, job) for job in jobs]
        try:
            return ray.get(refs)
        except ray.exceptions.RayTaskError as exc:
            # Re-raise what the job raised (its type, its message), not Ray's wrapper.
            cause = exc.as_instanceof_cause()
            raise cause from None
    except ScaleError:
        raise
    finally:
        if started:
            ray.shutdown()


def _apply(fn: Callable[[J], R], job: J) -> R:
    return fn(job)
