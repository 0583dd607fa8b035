"""The fresh arm: new releases within what the query asks for.

An exploration arm for recency: entities flagged ``is_new`` first, then the
most recently released, within the best interpretation's constraints
("new rap" = rap, newest first; "love" = the newest releases overall). Only
dated entities (tracks, albums, episodes) take part. Score, one number that
orders them::

    0.5 * is_new + 0.5 / (1 + age_days / 365) + 0.001 * popularity

where age is counted from the catalog's newest release, so a catalog built
from a 2020 snapshot still has "new" releases. The order is computed at open.
"""
from __future__ import annotations

import numpy as np

from ltrr.strategies.base import ArmResources, Candidate, Query, Strategy, ranked
from ltrr.strategies.popular import top_in_scope, understanding_of
from ltrr.strategies.structured import EntityAttributes
from ltrr.understanding import QueryUnderstander


class FreshStrategy(Strategy):
    """Newest releases within the query's constraints (or overall)."""

    name = "fresh"
    index_names = ("entity_attrs",)
    description = "New releases (flagged new, then most recent) within the understood constraints"

    def __init__(self, catalog, attrs: EntityAttributes, understander: QueryUnderstander) -> None:
        self.catalog = catalog
        self.attrs = attrs
        self.understander = understander
        frame = attrs.frame
        self._ids = frame["entity_id"].to_numpy()
        day = frame["release_day"].astype("float64").to_numpy(na_value=np.nan)
        self._dated = ~np.isnan(day)
        newest = attrs.newest_day if attrs.newest_day is not None else 0
        self._age = np.where(self._dated, np.maximum(newest - np.nan_to_num(day), 0.0), np.inf)
        self._is_new = frame["is_new"].to_numpy(dtype=bool)
        popularity = frame["popularity"].to_numpy(dtype=np.float64) / 100.0
        self._score = np.where(
            self._dated, 0.5 * self._is_new + 0.5 / (1.0 + self._age / 365.0) + 0.001 * popularity, 0.0)
        dated_rows = np.flatnonzero(self._dated)
        self._order = dated_rows[np.lexsort((dated_rows, -self._score[dated_rows]))]

    @classmethod
    def open(cls, resources: ArmResources) -> "FreshStrategy":
        catalog = resources.catalog
        return cls(catalog, EntityAttributes.open(catalog, resources.progress),
                   QueryUnderstander.open(catalog, resources.progress))

    def retrieve(self, query: Query, budget: int) -> list[Candidate]:
        if budget <= 0 or not query.text:
            return []
        best = understanding_of(query, self.understander).best
        keep = self.attrs.mask(best) if best.has_constraints else None
        rows = top_in_scope(self._order, keep, budget)
        return ranked([
            Candidate(str(self._ids[r]), float(self._score[r]),
                      features={"fresh_is_new": float(self._is_new[r]),
                                "fresh_age_days": float(self._age[r]),
                                "fresh_constrained": float(keep is not None)})
            for r in rows
        ], budget)

    def score(self, query: Query, rows: np.ndarray) -> np.ndarray | None:
        """The freshness score for dated rows in the query's scope, 0 elsewhere."""
        rows = np.asarray(rows, dtype=np.int64)
        if not query.text:
            return np.zeros(rows.size)
        best = understanding_of(query, self.understander).best
        inside = self.attrs.mask(best, rows) if best.has_constraints else np.ones(rows.size, dtype=bool)
        return np.where(inside, self._score[rows], 0.0)
