"""The learned counts: expected examinations and clicks per (query, entity), and the bounds that
keep them flat.

A query's counts map each entity to ``[expected examinations, clicks]``; a search's impressions
add :func:`ltrr.memory.scores.examination` of each entity's first rank (:func:`impression_weights`),
a click adds one click and never leaves impressions below clicks: a click proves the item was seen.

**Bounded.** The counts keep at most ``max_queries`` queries (default :data:`MAX_QUERIES`) and
``max_entities`` entities per query (default :data:`MAX_ENTITIES`). The least recently *written*
query leaves first (a search's impressions write its query, so: the least recently searched), and
within a query the entity with the fewest clicks, then the fewest expected examinations, then the
oldest. Reads never reorder: the order is fixed by the log alone, so replaying it, or a checkpoint
and its tail, evicts exactly what the live run evicted, and state size stays flat however many
searches go by.

These are plain functions over the structures :class:`ltrr.memory.QueryMemory` owns; it calls them
under its lock. Those that can drop a query's last click say so, so that the memory can note the
change in its taught asks (:mod:`ltrr.memory.taught`).
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Iterable, Mapping

from ltrr.memory.scores import examination

# A query with a search's ten impressions and a click holds about 1.5 KB: 20,000 queries hold
# ~30 MB, reached at 20,000 distinct queries, so an engine's memory is flat from there on (issue
# 28: flat from 20,000 to 100,000 searches; at 50,000 it went on growing to ~75 MB until 50,000
# distinct queries).
MAX_QUERIES = 20_000
MAX_ENTITIES = 100

# query -> entity -> [expected examinations, clicks], least recently written query first.
Counts = OrderedDict[str, dict[str, list[float]]]


def check_id(entity_id: object) -> str:
    """``entity_id`` itself when it is a non-empty string; ValueError otherwise."""
    if not isinstance(entity_id, str) or not entity_id:
        raise ValueError(f"entity id must be a non-empty string like 'track:123', got {entity_id!r}")
    return entity_id


def impression_weights(entity_ids: Iterable[str], eta: float) -> dict[str, float]:
    """entity -> the impression one showing of this list adds (its first rank's examination)."""
    out: dict[str, float] = {}
    for rank, entity_id in enumerate(entity_ids, start=1):
        out.setdefault(entity_id, examination(rank, eta))
    return out


def evict(counts: Counts, clicks_per_query: dict[str, int], max_queries: int) -> list[str]:
    """Drop the least recently written queries past ``max_queries``; the dropped queries that had
    clicks, in the order they left."""
    unclicked = []
    while len(counts) > max_queries:
        old, _ = counts.popitem(last=False)
        if clicks_per_query.pop(old, None) is not None:
            unclicked.append(old)
    return unclicked


def pairs_for_write(counts: Counts, clicks_per_query: dict[str, int], key: str,
                    max_queries: int) -> tuple[dict[str, list[float]], list[str]]:
    """The counts of ``key`` for writing, made most recently written, created when new; and the
    queries with clicks that creating it evicted (:func:`evict`)."""
    pairs = counts.get(key)
    if pairs is not None:
        counts.move_to_end(key)
        return pairs, []
    pairs = counts[key] = {}
    return pairs, evict(counts, clicks_per_query, max_queries)


def trim(key: str, pairs: dict[str, list[float]], clicks_per_query: dict[str, int], max_entities: int) -> bool:
    """Past ``max_entities``, drop the entity of ``key`` with the fewest clicks, then the fewest
    expected examinations, then the oldest (``min`` keeps the first of equals); whether that took
    the query's last click."""
    unclicked = False
    while len(pairs) > max_entities:
        weakest = min(pairs, key=lambda e: (pairs[e][1], pairs[e][0]))
        clicks = int(pairs.pop(weakest)[1])
        if clicks:
            left = clicks_per_query.get(key, 0) - clicks
            if left > 0:
                clicks_per_query[key] = left
            elif clicks_per_query.pop(key, None) is not None:
                unclicked = True
    return unclicked


def read_pairs(pairs: Mapping[str, list[float]]) -> dict[str, tuple[float, int]]:
    """One query's counts as entity_id -> (expected examinations, clicks): a copy to read outside
    the lock."""
    return {e: (float(c[0]), int(c[1])) for e, c in pairs.items()}


def without_search(observed: Mapping[str, tuple[float, int]], weights: Mapping[str, float],
                   clicked: Iterable[str]) -> dict[str, tuple[float, int]]:
    """``observed`` less one search's own contribution: its impression ``weights``
    (:func:`impression_weights` of what it showed) and one click per entity of ``clicked``."""
    gone = {e: 1 for e in clicked}
    out = {}
    for entity_id, (imp, clk) in observed.items():
        clk = max(0, clk - gone.get(entity_id, 0))
        imp = max(0.0, imp - weights.get(entity_id, 0.0))
        out[entity_id] = (imp, clk)
    return out


def rounded_rows(counts: Counts) -> list[tuple[str, str, float, int]]:
    """Every counted pair as (query, entity_id, expected examinations rounded to 6 places, clicks),
    in the counts' order."""
    return [(q, e, round(float(c[0]), 6), int(c[1])) for q, pairs in counts.items() for e, c in pairs.items()]
