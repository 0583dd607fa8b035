"""A shared retrieval cache for arms whose list depends on the query alone.

The simulator runs the same query stream through many engines (one per
policy); a stateless arm (``Strategy.stateless``) gives every engine the same
list for the same query, so its deepest list is computed once and sliced.
The memory arm learns from each engine's own clicks and is never cached.

Each entry keeps the milliseconds its list took to compute (:class:`Entry`),
so that every engine that reads it is charged what the arm really cost on
that query (:meth:`CachedStrategy.cost_ms`; the engine logs it as the arm's
time), not the near-zero time of a cache hit.
"""
from __future__ import annotations

import copy
import threading
import time
from typing import Mapping, MutableMapping, NamedTuple

import numpy as np

from ltrr.query import Query
from ltrr.reward import MAX_RANK
from ltrr.strategies.base import Candidate, Strategy


class Entry(NamedTuple):
    """One cached list: the depth asked of the arm, its candidates, and the wall time (ms) computing them took."""

    depth: int
    candidates: list[Candidate]
    ms: float


def cache_key(arm: str, raw_query: str) -> tuple[str, str]:
    """The key of ``arm``'s list for a query (its ``Query.raw``) in a shared cache."""
    return (arm, raw_query)


def computed_ms(cache: Mapping, arm: str, raw_query: str) -> float | None:
    """Milliseconds ``arm`` took to compute its cached list for ``raw_query``; None when nothing is cached.

    Measured once, when the list was computed (again only if a deeper list
    was needed); reading the entry later does not change it.
    """
    entry = cache.get(cache_key(arm, raw_query))
    return None if entry is None else float(entry.ms)


class CachedStrategy(Strategy):
    """Wraps an opened stateless arm; ``retrieve`` answers from ``cache`` (keyed by arm and raw query)."""

    def __init__(self, inner: Strategy, cache: MutableMapping, depth: int = MAX_RANK) -> None:
        self.inner = inner
        self.catalog = inner.catalog
        self.name = inner.name            # type: ignore[misc]  # instance attribute shadows the ClassVar
        self._cache = cache
        self._depth = depth
        self._lock = threading.Lock()

    @classmethod
    def open(cls, resources):  # pragma: no cover - built by wrapping, never opened
        raise TypeError("CachedStrategy wraps an opened arm; it is not opened by itself")

    def retrieve(self, query: Query, budget: int) -> list[Candidate]:
        """The inner arm's list, computed once per query at depth ``max(budget, depth)``."""
        key = cache_key(self.inner.name, query.raw)
        with self._lock:
            hit = self._cache.get(key)
        if hit is None or (len(hit.candidates) < budget and hit.depth < budget):
            depth = max(int(budget), self._depth)
            # Timed here, in the thread that computes it: the one honest measurement of this list.
            start = time.perf_counter()
            candidates = self.inner.retrieve(query, depth)
            hit = Entry(depth, candidates, (time.perf_counter() - start) * 1000)
            with self._lock:
                self._cache[key] = hit
        # Copies: callers may set fields on candidates (features, ranks of the pool).
        return [copy.copy(c) for c in hit.candidates[: max(0, int(budget))]]

    def cost_ms(self, query: Query) -> float | None:
        """What this query's list took to compute, whoever computed it (None before anyone did):
        the arm's cost on the query, where a cache hit's own time is near zero."""
        with self._lock:
            return computed_ms(self._cache, self.inner.name, query.raw)

    def score(self, query: Query, rows: np.ndarray) -> np.ndarray | None:
        return self.inner.score(query, rows)

    def __getattr__(self, item):
        # Anything else (e.g. the semantic arm's encoder) is the inner arm's.
        return getattr(self.inner, item)
