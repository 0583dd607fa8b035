"""The popular arm: the most popular entities within what the query asks for.

An exploration arm: it surfaces well-liked entities that text matching may
miss. "90s rap" gives the most popular 90s rap, "love" (no constraints) the
most popular entities overall (see ltrr.strategies.scoped).
"""
from __future__ import annotations

import numpy as np

from ltrr.strategies.scoped import ScopedOrderStrategy
from ltrr.strategies.structured import EntityAttributes


class PopularStrategy(ScopedOrderStrategy):
    """Most popular entities within the query's constraints (or overall)."""

    name = "popular"
    description = "Most popular entities within the understood constraints, or overall"

    def rank_all(self, attrs: EntityAttributes) -> tuple[np.ndarray, np.ndarray]:
        popularity = attrs.frame["popularity"].to_numpy(dtype=np.float64) / 100.0
        # Most popular first; ties by row (= entity_id order) for determinism.
        return popularity, np.lexsort((np.arange(len(popularity)), -popularity))

    def features(self, row: int, constrained: bool) -> dict[str, float]:
        return {"popular_popularity": float(self._score[row]), "popular_constrained": float(constrained)}
