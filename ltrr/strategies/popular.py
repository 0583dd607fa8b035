"""The popular arm: the most popular entities within what the query asks for.

An exploration arm: it surfaces well-liked entities that text matching may
miss. The scope is the best interpretation's constraints (type, genre,
subgenre, mood, era, artist, activity, new): "90s rap" gives the most popular
90s rap, "love" (no constraints) the most popular entities overall. The
popularity order is computed once at open, so a query is one mask and a walk
down that order.
"""
from __future__ import annotations

import numpy as np

from ltrr.strategies.base import ArmResources, Candidate, Query, Strategy, ranked
from ltrr.strategies.structured import EntityAttributes
from ltrr.understanding import Interpretation, QueryUnderstander, Understanding


def understanding_of(query: Query, understander: QueryUnderstander) -> Understanding:
    """The engine's understanding, or `understander`'s when the query came without one."""
    if query.understanding.interpretations or not query.text:
        return query.understanding
    return understander.understand(query.raw)


def top_in_scope(order: np.ndarray, keep: np.ndarray | None, budget: int) -> np.ndarray:
    """The first `budget` rows of a precomputed order that the mask keeps (all when None)."""
    if keep is None:
        return order[:budget]
    return order[keep[order]][:budget]


class PopularStrategy(Strategy):
    """Most popular entities within the query's constraints (or overall)."""

    name = "popular"
    index_names = ("entity_attrs",)
    description = "Most popular entities within the understood constraints, or overall"

    def __init__(self, catalog, attrs: EntityAttributes, understander: QueryUnderstander) -> None:
        self.catalog = catalog
        self.attrs = attrs
        self.understander = understander
        frame = attrs.frame
        self._ids = frame["entity_id"].to_numpy()
        self._popularity = frame["popularity"].to_numpy(dtype=np.float64) / 100.0
        # Most popular first; ties by row (= entity_id order) for determinism.
        self._order = np.lexsort((np.arange(len(frame)), -self._popularity))

    @classmethod
    def open(cls, resources: ArmResources) -> "PopularStrategy":
        catalog = resources.catalog
        return cls(catalog, EntityAttributes.open(catalog, resources.progress),
                   QueryUnderstander.open(catalog, resources.progress))

    def scope(self, query: Query) -> tuple[Interpretation, np.ndarray | None]:
        """The interpretation used and its mask (None: no constraints, everything is in scope)."""
        best = understanding_of(query, self.understander).best
        return best, (self.attrs.mask(best) if best.has_constraints else None)

    def retrieve(self, query: Query, budget: int) -> list[Candidate]:
        if budget <= 0 or not query.text:
            return []
        best, keep = self.scope(query)
        constrained = float(keep is not None)
        rows = top_in_scope(self._order, keep, budget)
        return ranked([
            Candidate(str(self._ids[r]), float(self._popularity[r]),
                      features={"popular_popularity": float(self._popularity[r]),
                                "popular_constrained": constrained})
            for r in rows
        ], budget)

    def score(self, query: Query, rows: np.ndarray) -> np.ndarray | None:
        """Popularity 0..1 for rows in the query's scope, 0 outside it."""
        rows = np.asarray(rows, dtype=np.int64)
        if not query.text:
            return np.zeros(rows.size)
        best, _ = self.scope(query)
        inside = self.attrs.mask(best, rows) if best.has_constraints else np.ones(rows.size, dtype=bool)
        return np.where(inside, self._popularity[rows], 0.0)
