"""A learned pair as the memory browser shows it: :class:`MemoryEntry`, and the table of them all.

A pair is learned when clicks and impressions counted it, or reformulations taught it; its entry
joins those counts, the reformulation evidence and the seed's prediction (or, for a pair no
metadata predicted, :data:`ltrr.memory.scores.NEW_PAIR_PRIOR`) in one posterior.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

import pandas as pd

from ltrr.memory.reformulation import Evidence
from ltrr.memory.scores import posterior

ENTRY_COLUMNS = ["query", "entity_id", "predicted", "impressions", "clicks", "observed", "learned_from_clicks",
                 "reformulations", "reformulation_users", "learned_from_reformulations"]


@dataclass(frozen=True)
class MemoryEntry:
    """One (query, entity) pair as the memory browser shows it."""

    query: str
    entity_id: str
    predicted: float
    impressions: float              # expected examinations (rank-weighted showings)
    clicks: int
    observed: float                 # posterior mean: prediction updated by the counts (and reformulations)
    learned_from_clicks: bool       # True when no metadata predicted the pair: a click made it
    reformulations: float = 0.0     # decayed reformulation weight (ltrr.memory.reformulation)
    reformulation_users: int = 0    # distinct users whose failed search of the query ended on the entity
    learned_from_reformulations: bool = False   # True when reformulations taught the pair


def make_entry(key: str, entity_id: str, impressions: float, clicks: int, evidence: Evidence | None,
               prior: tuple[float, bool], strength: float) -> MemoryEntry:
    """The entry of one pair from its counts, its reformulation evidence (None: none) and ``prior``,
    (prediction, whether the seed predicted the pair) as :meth:`ltrr.memory.QueryMemory.predicted`
    gives it; the evidence's weight counts as that many clicks and impressions."""
    pred, in_seed = prior
    weight = evidence.weight if evidence is not None else 0.0
    return MemoryEntry(
        query=key, entity_id=entity_id, predicted=round(pred, 6), impressions=impressions,
        clicks=int(clicks),
        observed=posterior(pred, impressions + weight, clicks + weight, strength),
        learned_from_clicks=clicks > 0 and not in_seed,
        reformulations=round(weight, 6), reformulation_users=evidence.users if evidence is not None else 0,
        learned_from_reformulations=evidence is not None,
    )


def merged(rows: Iterable[tuple[str, str, float, int]], evidence: Mapping[tuple[str, str], Evidence]
           ) -> list[tuple[str, str, float, int, Evidence | None]]:
    """Every learned pair once, as (query, entity_id, impressions, clicks, evidence or None): the
    counted ``rows`` first, in their order, then the pairs only reformulations taught."""
    left = dict(evidence)
    items = [(q, e, imp, clk, left.pop((q, e), None)) for q, e, imp, clk in rows]
    items += [(q, e, 0.0, 0, ev) for (q, e), ev in left.items()]
    return items


def entries_frame(entries: Iterable[MemoryEntry]) -> pd.DataFrame:
    """The entries as a table of :data:`ENTRY_COLUMNS`, sorted by query, then observed score, best
    first (typed columns even when empty)."""
    frame = pd.DataFrame([e.__dict__ for e in entries], columns=ENTRY_COLUMNS)
    if frame.empty:
        return frame.astype({"impressions": "int64", "clicks": "int64", "predicted": "float64",
                             "observed": "float64", "learned_from_clicks": "bool",
                             "reformulations": "float64", "reformulation_users": "int64",
                             "learned_from_reformulations": "bool"})
    return frame.sort_values(["query", "observed", "entity_id"], ascending=[True, False, True],
                             ignore_index=True)
