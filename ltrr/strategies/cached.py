"""A shared retrieval cache for arms whose list depends on the query alone.

The simulator runs the same query stream through many engines (one per
policy); a stateless arm (``Strategy.stateless``) gives every engine the same
list for the same query, so its deepest list is computed once and sliced.
The memory arm learns from each engine's own clicks and is never cached.
"""
from __future__ import annotations

import copy
import threading
from typing import MutableMapping

import numpy as np

from ltrr.query import Query
from ltrr.reward import MAX_RANK
from ltrr.strategies.base import Candidate, Strategy


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
        key = (self.inner.name, query.raw)
        with self._lock:
            hit = self._cache.get(key)
        if hit is None or (len(hit[1]) < budget and hit[0] < budget):
            depth = max(int(budget), self._depth)
            hit = (depth, self.inner.retrieve(query, depth))
            with self._lock:
                self._cache[key] = hit
        # Copies: callers may set fields on candidates (features, ranks of the pool).
        return [copy.copy(c) for c in hit[1][: max(0, int(budget))]]

    def score(self, query: Query, rows: np.ndarray) -> np.ndarray | None:
        return self.inner.score(query, rows)

    def __getattr__(self, item):
        # Anything else (e.g. the semantic arm's encoder) is the inner arm's.
        return getattr(self.inner, item)
