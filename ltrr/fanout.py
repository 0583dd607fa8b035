"""Run independent calls concurrently: the arms of one search.

The arms of a search do not depend on each other, and the slow ones spend
their time outside the GIL (ONNX Runtime encoding the query, numpy and usearch
scoring vectors, DuckDB running SQL), so running them on a small thread pool
makes a search cost about its slowest arm instead of the sum of its arms.

:func:`fan_out` runs one call per name and returns, per name, its result (or
the fallback when it raised: the exception is logged, never propagated, so one
failing arm cannot fail a search) and the milliseconds it took.

Handing a call to another thread is not free: on a busy machine a woken pool
thread may wait milliseconds for a core, and pure-Python calls only take turns
on the GIL. So only calls that have been slow (a moving average of their own
past times at or above ``inline_below_ms``) go to the pool, and the cheap
ones run in the calling thread meanwhile (when every call is slow, the
slowest runs in the calling thread). A call never seen before counts as cheap
until it has been timed once.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Generic, Mapping, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

# Enough for every arm of a few concurrent searches; the work is mostly outside the GIL.
MAX_WORKERS = int(os.environ.get("LTRR_FANOUT_WORKERS", "8"))
# Calls cheaper than this (on average) run inline: a thread hand-off costs about as much.
# LTRR_FANOUT_INLINE_MS=inf runs everything in the calling thread, one after another.
INLINE_BELOW_MS = float(os.environ.get("LTRR_FANOUT_INLINE_MS", "1.0"))
_COST_WEIGHT = 0.2           # weight of the newest time in a call's moving average

_costs: dict[tuple[str, str], float] = {}

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """One call's result (the fallback when it failed), its time and its error, if any."""

    value: T
    ms: float
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _executor() -> ThreadPoolExecutor:
    """The process-wide pool, started on first use (threads are created lazily by the executor)."""
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="ltrr-fanout")
    return _pool


def _timed(name: str, call: Callable[[], T], fallback: Callable[[], T], what: str) -> Outcome[T]:
    start = time.perf_counter()
    try:
        value = call()
        error = None
    except Exception as exc:  # contained per call: the caller gets the fallback and the error
        log.exception("%s %s failed", what, name)
        value, error = fallback(), exc
    return Outcome(value, (time.perf_counter() - start) * 1000, error)


def fan_out(calls: Mapping[str, Callable[[], T]], fallback: Callable[[], T] = list,
            what: str = "call", inline_below_ms: float | None = None) -> dict[str, Outcome[T]]:
    """Run the calls, the slow ones concurrently; return ``name -> Outcome`` in the order of `calls`.

    A call that raises is logged (``"<what> <name> failed"``) and gets
    ``fallback()`` as its value. Timings are per call, measured inside the
    thread that ran it. ``inline_below_ms`` (default ``INLINE_BELOW_MS``): 0 sends
    every call but one to the pool, ``math.inf`` runs them all in the calling thread.
    """
    if inline_below_ms is None:
        inline_below_ms = INLINE_BELOW_MS
    names = list(calls)
    if not names:
        return {}
    cost = {name: _costs.get((what, name), 0.0) for name in names}
    slow = sorted((n for n in names if cost[n] >= inline_below_ms), key=lambda n: -cost[n])
    # The slow calls go to the pool, so the cheap ones (run here, meanwhile) overlap with them;
    # when every call is slow, the slowest runs here rather than leaving this thread idle.
    pooled = slow if len(slow) < len(names) else slow[1:]
    futures: dict[str, Future] = {
        name: _executor().submit(_timed, name, calls[name], fallback, what) for name in pooled
    }
    done: dict[str, Outcome[T]] = {}
    for name in names:
        if name not in futures:
            done[name] = _timed(name, calls[name], fallback, what)
    for name, future in futures.items():
        done[name] = future.result()
    for name, outcome in done.items():
        key = (what, name)
        previous = _costs.get(key)
        _costs[key] = outcome.ms if previous is None else \
            (1 - _COST_WEIGHT) * previous + _COST_WEIGHT * outcome.ms
    return {name: done[name] for name in names}


def reset_costs() -> None:
    """Forget every call's measured cost (the next calls run inline until timed again)."""
    _costs.clear()
