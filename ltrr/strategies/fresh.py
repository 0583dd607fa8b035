"""The fresh arm: new releases within what the query asks for.

An exploration arm for recency: entities flagged ``is_new`` first, then the
most recently released, within the best interpretation's constraints
("new rap" = rap, newest first; "love" = the newest releases overall). Only
dated entities (tracks, albums, episodes) take part. Score, one number that
orders them::

    0.5 * is_new + 0.5 / (1 + age_days / 365) + 0.001 * popularity

where age is counted from the catalog's newest release, so a catalog built
from a 2020 snapshot still has "new" releases.
"""
from __future__ import annotations

import numpy as np

from ltrr.strategies.scoped import ScopedOrderStrategy
from ltrr.strategies.structured import EntityAttributes


class FreshStrategy(ScopedOrderStrategy):
    """Newest releases within the query's constraints (or overall)."""

    name = "fresh"
    description = "New releases (flagged new, then most recent) within the understood constraints"

    def rank_all(self, attrs: EntityAttributes) -> tuple[np.ndarray, np.ndarray]:
        frame = attrs.frame
        day = frame["release_day"].astype("float64").to_numpy(na_value=np.nan)
        dated = ~np.isnan(day)
        newest = attrs.newest_day if attrs.newest_day is not None else 0
        self._age = np.where(dated, np.maximum(newest - np.nan_to_num(day), 0.0), np.inf)
        self._is_new = frame["is_new"].to_numpy(dtype=bool)
        popularity = frame["popularity"].to_numpy(dtype=np.float64) / 100.0
        score = np.where(dated, 0.5 * self._is_new + 0.5 / (1.0 + self._age / 365.0) + 0.001 * popularity, 0.0)
        dated_rows = np.flatnonzero(dated)
        return score, dated_rows[np.lexsort((dated_rows, -score[dated_rows]))]

    def features(self, row: int, constrained: bool) -> dict[str, float]:
        return {"fresh_is_new": float(self._is_new[row]), "fresh_age_days": float(self._age[row]),
                "fresh_constrained": float(constrained)}
