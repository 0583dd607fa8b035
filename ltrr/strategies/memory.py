"""The memory arm: entities remembered for this exact (normalised) query.

Candidates are the seed's predicted pairs for the query (see
:class:`ltrr.memory.MemorySeed`) plus every pair clicks or reformulations
created in the state-side :class:`ltrr.memory.QueryMemory`. Each scores the
posterior mean of its Beta prior (seeded by the prediction) after its
impressions and clicks, so what users do gradually replaces what metadata
predicted::

    "love": Love Story predicted 0.22, never clicked   -> 0.22
            Halo not predicted (prior 0.05), 3 clicks  -> (0.2 + 3) / (4 + 3) = 0.46  (now first)

Reformulation evidence (:mod:`ltrr.memory.reformulation`) counts as pseudo-clicks,
so a vague ask ("tunes to unwind to") after which three different users
reformulated and clicked Good Days lists Good Days at 0.46, first when
nothing else is known, and an entity one user reached three times at
(0.2 + 1.5) / (4 + 1.5) = 0.31: agreement between people counts more than
one person's persistence. Every entity reached keeps its own pair, so one
vague ask can list several meanings.

A user whose clicks lean to a genre sees the memory's list in their own order: each pair's
score is multiplied by 1 + their lean to the entity's genre (``Query.lean``). "love" after ten
r&b clicks (lean 0.77) puts an r&b song at 0.30 x 1.77 = 0.53 above a pop song at 0.46: the
memory holds several meanings of a vague ask, and a short list has room for few of them. The
pairs themselves, and what every user's clicks teach them, are the same for everybody.

Asks the memory holds nothing for yet, but that match a phrase substitution earlier
users' reformulations taught ("easygoing *" -> "* chill playlist"), list what the
rewording finds after that (:mod:`ltrr.strategies.reworded`): "easygoing guitar
rock", never typed before, lists what "guitar rock chill playlist" finds.

Asks the catalog's metadata predicts nothing for also list, after that, what users taught the asks
nearest in meaning (:mod:`ltrr.strategies.nearby`): "rap to smile to", never typed before, lists at
half weight what someone who failed with "cheer me up hip-hop" found next.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from ltrr.memory import NEW_PAIR_PRIOR, MemorySeed, QueryMemory, pair_score
from ltrr.query import Query
from ltrr.text import normalize_query
from ltrr.strategies.base import ArmResources, Candidate, Strategy, ranked
from ltrr.strategies.nearby import NearbyAsks
from ltrr.strategies.reworded import RewordedSearch
from ltrr.understanding import QueryUnderstander


class MemoryStrategy(Strategy):
    """Query-to-entity memory: cold-start predictions updated by clicks."""

    stateless = False   # its lists follow this engine's clicks

    name = "memory"
    index_names = ("memory_seed", "qu")
    description = ("Entities remembered for this query: metadata predictions updated by clicks, and what "
                   "asks like it were reworded into")

    def __init__(self, catalog, seed: MemorySeed, memory: QueryMemory | None = None,
                 understander: QueryUnderstander | None = None, arm_opener=None) -> None:
        self.catalog = catalog
        self.seed = seed
        # Standalone (no engine): an empty memory of our own.
        self.memory = memory if memory is not None else QueryMemory(seed=seed)
        if self.memory.seed is None:
            self.memory.attach_seed(seed)
        self._ids = catalog.entities.ids
        self.reworded = RewordedSearch(self.memory, understander, arm_opener)
        self.nearby = NearbyAsks(self.memory)

    @classmethod
    def open(cls, resources: ArmResources) -> "MemoryStrategy":
        catalog = resources.catalog
        return cls(catalog, MemorySeed.open(catalog, resources.progress), resources.memory,
                   QueryUnderstander.open(catalog, resources.progress), resources.arm)

    def held(self, query: Query) -> int:
        """How many entities the memory holds for ``query`` itself (predicted, clicked, reformulated
        to): the cheap probe the bandit's context reads before any arm runs. Rewording finds are
        left out: they say how asks *like* it were reworded, not what this text is (a title, an
        artist), and counting them moved asks for what just came out, which users retry by name,
        to kinds of query that never run the fresh arm."""
        return len(self._pairs(query)) if query.text else 0

    def count(self, query: Query) -> int:
        """How many entities the memory lists for ``query``: its exact list length at any depth
        (0: nothing to offer; cheap unless a rewording applies)."""
        if not query.text:
            return 0
        pairs = self._pairs(query)
        extra = {e for e in self.reworded.finds(query) if e not in pairs}
        extra.update(e for e in self._nearby(query, pairs) if e not in pairs)
        return len(pairs) + len(extra)

    def close_asks(self, query: Query) -> list[tuple[str, float, str, float]]:
        """What the taught asks nearest in meaning list (:mod:`ltrr.strategies.nearby`) as (entity_id,
        score, the taught ask, its similarity), best first, for an ask the catalog's metadata predicts
        nothing for (empty otherwise). When the query names a genre, only entities of that genre:
        "cheer me up rock" reads like "cheer me up hip-hop" (MiniLM puts the phrasing before the
        genre), but what that ask found is no answer to it."""
        if not query.text:
            return []
        rows, _ = self.seed.lookup(query.text)
        return self._close(query, predicted=bool(rows.size))

    def _close(self, query: Query, predicted: bool) -> list[tuple[str, float, str, float]]:
        """:meth:`close_asks`, told whether the catalog's metadata predicts anything for ``query``."""
        if predicted:
            return []
        listed = self.nearby.listed(query.text)
        genres = {normalize_query(g) for g in query.understanding.best.genres} if listed else set()
        if genres:
            row_of, keys = self.catalog.entities.row_of, self.catalog.entities.genre_keys
            listed = [item for item in listed if item[0] in row_of and keys[row_of[item[0]]] in genres]
        return listed

    def _nearby(self, query: Query, pairs: Mapping[str, tuple]) -> dict[str, float]:
        """entity_id -> score of :meth:`close_asks`, from the query's :meth:`_pairs` (which hold every
        entity the catalog's metadata predicts, so the seed is not looked up again)."""
        predicted = any(pair[0] is not None for pair in pairs.values())
        return {entity_id: score for entity_id, score, _, _ in self._close(query, predicted)}

    def _pairs(self, query: Query) -> dict[str, tuple[float | None, float, int, float]]:
        """entity_id -> (predicted or None, impressions, clicks, reformulation pseudo-clicks) for every
        candidate pair of the query."""
        rows, preds = self.seed.lookup(query.text)
        pairs: dict[str, tuple[float | None, float, int, float]] = {
            str(self._ids[r]): (float(p), 0.0, 0, 0.0) for r, p in zip(rows.tolist(), preds.tolist())}
        known = self.catalog.entities.row_of
        observed = self.memory.observed(query.text)
        for entity_id, (impressions, clicks) in observed.items():
            if entity_id in pairs:
                pairs[entity_id] = (pairs[entity_id][0], impressions, clicks, 0.0)
            elif clicks > 0 and entity_id in known:
                # Only a click (or, below, a reformulation) creates a pair; being shown does not.
                pairs[entity_id] = (None, impressions, clicks, 0.0)
        for entity_id, extra in self.memory.pseudo_clicks(query.text).items():
            if entity_id in pairs:
                pairs[entity_id] = (*pairs[entity_id][:3], extra)
            elif entity_id in known:
                # Shown for this query and ignored: those impressions still count against it.
                impressions, clicks = observed.get(entity_id, (0.0, 0))
                pairs[entity_id] = (None, impressions, clicks, extra)
        return pairs

    def retrieve(self, query: Query, budget: int) -> list[Candidate]:
        if budget <= 0 or not query.text:
            return []
        strength = self.memory.strength
        candidates = []
        pairs = self._pairs(query)
        for entity_id, (pred, impressions, clicks, extra) in pairs.items():
            score = pair_score(pred, impressions, clicks, extra, strength)
            if score is None:
                continue
            candidates.append(Candidate(
                entity_id, score,
                features={"memory_predicted": pred if pred is not None else NEW_PAIR_PRIOR,
                          "memory_observed": clicks / impressions if impressions else 0.0,
                          "memory_clicks": float(clicks), "memory_impressions": float(impressions),
                          "memory_reformulations": float(extra)}))
        finds = self.reworded.finds(query)
        for entity_id, score in finds.items():
            if entity_id not in pairs:
                candidates.append(Candidate(entity_id, score, features={"memory_reworded": score}))
        for entity_id, score in self._nearby(query, pairs).items():
            if entity_id not in pairs and entity_id not in finds:
                candidates.append(Candidate(entity_id, score, features={"memory_nearby": score}))
        if query.lean:
            self._lean(candidates, query.lean)
        return ranked(candidates, budget)

    def _lean(self, candidates: list[Candidate], lean: Mapping[str, float]) -> None:
        """Scale each candidate's score by 1 + the user's lean to its genre (in place): the list's
        order for this user. Only the genre counts: the user's lean is counted on genres."""
        row_of, keys = self.catalog.entities.row_of, self.catalog.entities.genre_keys
        for cand in candidates:
            row = row_of.get(cand.entity_id)
            share = lean.get(keys[row], 0.0) if row is not None and keys[row] else 0.0
            cand.score *= 1.0 + share

    def score(self, query: Query, rows: np.ndarray) -> np.ndarray | None:
        """Posterior score of each row's pair with the query, 0 where there is no pair."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.zeros(rows.size)
        if rows.size == 0 or not query.text:
            return out
        pairs = self._pairs(query)
        finds = self.reworded.finds(query)
        nearby = self._nearby(query, pairs)
        strength = self.memory.strength
        for i, row in enumerate(rows.tolist()):
            entity_id = str(self._ids[row])
            pair = pairs.get(entity_id)
            if pair is not None:
                out[i] = pair_score(*pair, strength) or 0.0
            elif entity_id in finds:
                out[i] = finds[entity_id]
            elif entity_id in nearby:
                out[i] = nearby[entity_id]
        return out
