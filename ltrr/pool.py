"""The union of the selected arms' candidates, with merged provenance.

Fusion: an entity retrieved by several arms appears once; it remembers every
arm's rank and score. Example, lexical=[a, b] and fuzzy=[b, c]:

    entity  arm_ranks                 order
    a       {lexical: 1}              1   (best rank 1, one arm)
    b       {lexical: 2, fuzzy: 1}    2   (best rank 1, two arms -> before c)
    c       {fuzzy: 2}                3

Arms that did not retrieve an entity have no entry (features treat them as 0).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from ltrr.catalog.store import EntityTable
from ltrr.strategies.base import Candidate


@dataclass
class PooledCandidate:
    """One entity in the union, with which arms found it and how."""

    entity_id: str
    row: int                                              # row in catalog.entities
    arm_ranks: dict[str, int] = field(default_factory=dict)
    arm_scores: dict[str, float] = field(default_factory=dict)
    features: dict[str, float] = field(default_factory=dict)   # offered by arms, first arm wins

    @property
    def arms(self) -> list[str]:
        return list(self.arm_ranks)

    @property
    def best_rank(self) -> int:
        return min(self.arm_ranks.values())


def pool_candidates(by_arm: Mapping[str, list[Candidate]], entities: EntityTable) -> list[PooledCandidate]:
    """De-duplicate candidates across arms (ids unknown to the catalog are dropped).

    Order: best rank in any arm, then number of arms that found it, then entity_id.
    """
    pooled: dict[str, PooledCandidate] = {}
    for arm, candidates in by_arm.items():
        for cand in candidates:
            row = entities.row_of.get(cand.entity_id)
            if row is None:
                continue
            item = pooled.get(cand.entity_id)
            if item is None:
                item = pooled[cand.entity_id] = PooledCandidate(cand.entity_id, row)
            item.arm_ranks[arm] = cand.rank
            item.arm_scores[arm] = float(cand.score)
            for key, value in cand.features.items():
                item.features.setdefault(key, float(value))
    return sorted(pooled.values(), key=lambda p: (p.best_rank, -len(p.arm_ranks), p.entity_id))
