"""Arms that rank the catalog by one precomputed score, within the query's scope.

The scope is the best interpretation's constraints (type, genre, subgenre,
mood, era, artist, activity, new): "90s rap" keeps 90s rap, "love" (no
constraints) keeps everything. The order is computed once at open, so a query
is one mask and a walk down that order. `popular` and `fresh` are the two such
arms; a subclass only says how it scores and what features it offers.
"""
from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar

import numpy as np

from ltrr.query import Query

from ltrr.strategies.base import ArmResources, Candidate, Strategy, ranked
from ltrr.strategies.structured import EntityAttributes
from ltrr.understanding import QueryUnderstander
from ltrr.understanding_results import Interpretation, Understanding


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


class ScopedOrderStrategy(Strategy):
    """Best-scored entities first, within the query's understood constraints."""

    index_names: ClassVar[tuple[str, ...]] = ("entity_attrs",)

    def __init__(self, catalog, attrs: EntityAttributes, understander: QueryUnderstander) -> None:
        self.catalog = catalog
        self.attrs = attrs
        self.understander = understander
        self._ids = attrs.frame["entity_id"].to_numpy()
        self._score, self._order = self.rank_all(attrs)

    @classmethod
    def open(cls, resources: ArmResources) -> "ScopedOrderStrategy":
        catalog = resources.catalog
        return cls(catalog, EntityAttributes.open(catalog, resources.progress),
                   QueryUnderstander.open(catalog, resources.progress))

    @abstractmethod
    def rank_all(self, attrs: EntityAttributes) -> tuple[np.ndarray, np.ndarray]:
        """(score per row, rows that may be returned in best-first order); ties broken by row."""

    @abstractmethod
    def features(self, row: int, constrained: bool) -> dict[str, float]:
        """Per-candidate features offered to the ranker."""

    def scope(self, query: Query) -> tuple[Interpretation, np.ndarray | None]:
        """The interpretation used and its mask (None: no constraints, everything is in scope)."""
        best = understanding_of(query, self.understander).best
        return best, (self.attrs.mask(best) if best.has_constraints else None)

    def retrieve(self, query: Query, budget: int) -> list[Candidate]:
        if budget <= 0 or not query.text:
            return []
        _, keep = self.scope(query)
        rows = top_in_scope(self._order, keep, budget)
        return ranked([Candidate(str(self._ids[r]), float(self._score[r]), features=self.features(r, keep is not None))
                       for r in rows], budget)

    def score(self, query: Query, rows: np.ndarray) -> np.ndarray | None:
        """The arm's score for rows in the query's scope, 0 outside it."""
        rows = np.asarray(rows, dtype=np.int64)
        if not query.text:
            return np.zeros(rows.size)
        best = understanding_of(query, self.understander).best
        inside = self.attrs.mask(best, rows) if best.has_constraints else np.ones(rows.size, dtype=bool)
        return np.where(inside, self._score[rows], 0.0)
