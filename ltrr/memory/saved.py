"""The query memory's saved state: its two formats, written, and read back with their checks.

* **The JSON snapshot** (:meth:`ltrr.memory.QueryMemory.to_dict` and ``from_dict``), version
  :data:`SNAPSHOT_VERSION`: the prior strength, one ``[query, entity_id, impressions, clicks]``
  list per pair, and the reformulation and rewording evidence as plain lists. Queries are
  normalised again on reading, so a hand-written snapshot may use any spelling. Still version 1:
  a snapshot without ``reformulations`` or ``rewrites`` loads with none learned.
* **The checkpoint state** (``state_dict`` and ``load_state_dict``), version
  :data:`STATE_VERSION`: the counts exact and in their order (which is the eviction order), as
  lists of names and one numpy array per column, compact to save and fast to load. Version 2
  (before reformulations) loads with no reformulation evidence; a state without ``rewrites``
  (before substitutions) with none learned.

Reading builds new structures and raises ValueError with the reason when the data is malformed,
so nothing is half-applied: the memory swaps the result in, then applies its bounds.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Iterable, Mapping

import numpy as np

from ltrr.memory.counts import Counts, check_id
from ltrr.memory.keys import query_key
from ltrr.memory.reformulation import ReformulationMemory
from ltrr.memory.scores import PRIOR_STRENGTH

SNAPSHOT_VERSION = 1
STATE_VERSION = 3
# Checkpoint versions that still load.
STATE_VERSIONS = (2, 3)


def snapshot(strength: float, rows: Iterable[tuple[str, str, float, int]], reformulations: dict,
             rewrites: dict) -> dict:
    """The JSON snapshot of counts given as :func:`ltrr.memory.counts.rounded_rows` and of the two
    evidence memories' :meth:`~ltrr.memory.reformulation.ReformulationMemory.to_dict`."""
    return {"version": SNAPSHOT_VERSION, "strength": strength,
            "pairs": [list(item) for item in rows], "reformulations": reformulations,
            "rewrites": rewrites}


def read_snapshot(data: object) -> tuple[float, Counts, dict[str, int]]:
    """A JSON snapshot's prior strength, counts and clicks per query (the evidence is read by the
    memory itself); ValueError with the reason when it is malformed."""
    if not isinstance(data, dict) or data.get("version") != SNAPSHOT_VERSION:
        raise ValueError("not a query-memory snapshot (expected a dict with version 1)")
    strength = float(data.get("strength", PRIOR_STRENGTH))
    counts: Counts = OrderedDict()
    clicks_per_query: dict[str, int] = {}
    for item in data.get("pairs", []):
        try:
            query, entity_id, impressions, clicks = item
            impressions, clicks = float(impressions), int(clicks)
        except (TypeError, ValueError):
            raise ValueError(f"malformed query-memory pair {item!r}: expected "
                             "[query, entity_id, impressions, clicks]") from None
        if clicks < 0 or impressions < 0:
            raise ValueError(f"negative counts in query-memory pair {item!r}")
        key = query_key(query)
        if key:
            counts.setdefault(key, {})[check_id(entity_id)] = [max(impressions, float(clicks)), clicks]
            if clicks:
                clicks_per_query[key] = clicks_per_query.get(key, 0) + clicks
    return strength, counts, clicks_per_query


def checkpoint(counts: Counts, clicks_per_query: Mapping[str, int], reformulations: ReformulationMemory,
               rewrites: ReformulationMemory) -> dict:
    """The checkpoint state of the counts and the two evidence memories."""
    pairs = [(e, c) for per_query in counts.values() for e, c in per_query.items()]
    return {"version": STATE_VERSION, "queries": list(counts),
            "reformulations": reformulations.state_dict(),
            "rewrites": rewrites.state_dict(),
            "sizes": np.array([len(p) for p in counts.values()], dtype=np.int64),
            "entities": [e for e, _ in pairs],
            "impressions": np.array([c[0] for _, c in pairs], dtype=np.float64),
            "clicks": np.array([c[1] for _, c in pairs], dtype=np.int64),
            "clicked_queries": list(clicks_per_query),
            "clicks_per_query": np.array(list(clicks_per_query.values()), dtype=np.int64)}


def read_checkpoint(state: Mapping, reformulations: ReformulationMemory, rewrites: ReformulationMemory
                    ) -> tuple[Counts, dict[str, int], ReformulationMemory, ReformulationMemory]:
    """A checkpoint state's counts, clicks per query and two new evidence memories, made with the
    bounds of ``reformulations`` and ``rewrites`` (which are left as they are); ValueError with the
    reason when it is malformed."""
    try:
        if state["version"] not in STATE_VERSIONS:
            raise ValueError(f"version {state['version']!r}")
        new_reformulations = _empty_like(reformulations)
        new_rewrites = _empty_like(rewrites)
        if state["version"] == 3:
            new_reformulations.load_state_dict(state["reformulations"])
            if state.get("rewrites") is not None:
                new_rewrites.load_state_dict(state["rewrites"])
        queries = [str(q) for q in state["queries"]]
        # One string object per entity, not one per pair: a JSON decoder makes a new one each time.
        same: dict[str, str] = {}
        entities = [same.setdefault(e, e) for e in map(str, state["entities"])]
        sizes = np.asarray(state["sizes"], dtype=np.int64).tolist()
        impressions = np.asarray(state["impressions"], dtype=np.float64).tolist()
        clicks = np.asarray(state["clicks"], dtype=np.int64).tolist()
        if len(sizes) != len(queries) or sum(sizes) != len(entities) \
                or len(impressions) != len(entities) or len(clicks) != len(entities):
            raise ValueError("columns of different lengths")
        counts: Counts = OrderedDict()
        at = 0
        for query, size in zip(queries, sizes):
            rows = range(at, at + size)
            counts[query] = {entities[i]: [impressions[i], clicks[i]] for i in rows}
            at += size
        per_query = dict(zip([str(q) for q in state["clicked_queries"]],
                             np.asarray(state["clicks_per_query"], dtype=np.int64).tolist(), strict=True))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"malformed query-memory state: {exc}") from None
    return counts, per_query, new_reformulations, new_rewrites


def _empty_like(memory: ReformulationMemory) -> ReformulationMemory:
    """An empty evidence memory with the bounds and half-life of ``memory``."""
    return ReformulationMemory(memory.max_queries, memory.max_entities, memory.half_life)
