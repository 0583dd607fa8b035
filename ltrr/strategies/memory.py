"""The memory arm: entities remembered for this exact (normalised) query.

Candidates are the seed's predicted pairs for the query (see
:class:`ltrr.memory.MemorySeed`) plus every pair clicks created in the
state-side :class:`ltrr.memory.QueryMemory`. Each scores the posterior mean
of its Beta prior (seeded by the prediction) after its impressions and
clicks, so what users do gradually replaces what metadata predicted::

    "love": Love Story predicted 0.22, never clicked   -> 0.22
            Halo not predicted (prior 0.05), 3 clicks  -> (0.2 + 3) / (4 + 3) = 0.46  (now first)
"""
from __future__ import annotations

import numpy as np

from ltrr.memory import NEW_PAIR_PRIOR, MemorySeed, QueryMemory, posterior
from ltrr.query import Query
from ltrr.strategies.base import ArmResources, Candidate, Strategy, ranked


class MemoryStrategy(Strategy):
    """Query-to-entity memory: cold-start predictions updated by clicks."""

    stateless = False   # its lists follow this engine's clicks

    name = "memory"
    index_names = ("memory_seed",)
    description = "Entities remembered for this query: metadata predictions updated by clicks"

    def __init__(self, catalog, seed: MemorySeed, memory: QueryMemory | None = None) -> None:
        self.catalog = catalog
        self.seed = seed
        # Standalone (no engine): an empty memory of our own.
        self.memory = memory if memory is not None else QueryMemory(seed=seed)
        if self.memory.seed is None:
            self.memory.attach_seed(seed)
        self._ids = catalog.entities.ids

    @classmethod
    def open(cls, resources: ArmResources) -> "MemoryStrategy":
        return cls(resources.catalog, MemorySeed.open(resources.catalog, resources.progress), resources.memory)

    def _pairs(self, query: Query) -> dict[str, tuple[float, int, int]]:
        """entity_id -> (predicted, impressions, clicks) for every candidate pair of the query."""
        rows, preds = self.seed.lookup(query.text)
        pairs = {str(self._ids[r]): (float(p), 0, 0) for r, p in zip(rows.tolist(), preds.tolist())}
        for entity_id, (impressions, clicks) in self.memory.observed(query.text).items():
            if entity_id in pairs:
                pairs[entity_id] = (pairs[entity_id][0], impressions, clicks)
            elif clicks > 0 and entity_id in self.catalog.entities.row_of:
                # Only a click creates a pair; being shown without a click does not.
                pairs[entity_id] = (NEW_PAIR_PRIOR, impressions, clicks)
        return pairs

    def retrieve(self, query: Query, budget: int) -> list[Candidate]:
        if budget <= 0 or not query.text:
            return []
        strength = self.memory.strength
        candidates = []
        for entity_id, (pred, impressions, clicks) in self._pairs(query).items():
            candidates.append(Candidate(
                entity_id, round(posterior(pred, impressions, clicks, strength), 6),
                features={"memory_predicted": pred,
                          "memory_observed": clicks / impressions if impressions else 0.0,
                          "memory_clicks": float(clicks), "memory_impressions": float(impressions)}))
        return ranked(candidates, budget)

    def score(self, query: Query, rows: np.ndarray) -> np.ndarray | None:
        """Posterior score of each row's pair with the query, 0 where there is no pair."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.zeros(rows.size)
        if rows.size == 0 or not query.text:
            return out
        pairs = self._pairs(query)
        strength = self.memory.strength
        for i, row in enumerate(rows.tolist()):
            pair = pairs.get(str(self._ids[row]))
            if pair is not None:
                out[i] = round(posterior(*pair, strength), 6)
        return out
