"""The memory's state half: :class:`QueryMemory`, expected examinations and clicks per
(normalised query, entity), learned while the engine runs, JSON-serialisable.

:class:`QueryMemory` is what the rest of ltrr uses. It owns the state and the one lock that
guards it; the rules are plain functions in the modules named below (and
:mod:`ltrr.memory.taught`, :mod:`ltrr.memory.entries`, :mod:`ltrr.memory.saved`), which it
calls under that lock.

**Typos of a learned query** (:mod:`ltrr.memory.typos`). A query nobody has clicked anything for
borrows the counts of the nearest query that has clicks ("tayler swfit" reads what users taught
"tayler swift"); see :meth:`QueryMemory.resolve`.

**The rise-to-the-top rule** (:mod:`ltrr.memory.pin`, :meth:`QueryMemory.pinned`). For a query,
the entity with most of its clicks, at least two, is placed first in the final list while its
clicks over expected examinations stay high.

**Reformulations** (:mod:`ltrr.memory.reformulation`). A failed search followed, in
the same session, by a satisfied one teaches (failed query -> clicked entity)
apart from clicks: a decayed weight that grows with distinct users. Ranking
reads it as pseudo-clicks (weight x ``CLICK_EQUIVALENT``, with as many
impressions) in the same posterior, so a pair three users showed scores
(0.2 + 3) / (4 + 3) = 0.46 with no metadata prediction, like three clicks. It
never pins an entity: two users with the same vague ask may want different
things, and the rise-to-the-top rule would give everybody one answer.

**Rewordings** (:mod:`ltrr.memory.rewrites`, read by :mod:`ltrr.memory.rewordings`). The same
chain also teaches a phrase substitution ("easygoing rnb" -> "rnb chill playlist" teaches
``easygoing *`` -> ``* chill playlist``), counted alike in :attr:`QueryMemory.rewrites`, so that
an ask nobody typed before ("easygoing guitar rock") can be searched again as its kind was
reworded (:meth:`QueryMemory.reworded`).

**Bounded** (:mod:`ltrr.memory.counts`). The learned counts keep at most ``max_queries``
queries and ``max_entities`` entities per query, the least recently written query out first:
an order the log alone fixes, so replay evicts exactly what the live run evicted.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Iterable, Iterator

import numpy as np
import pandas as pd

from ltrr.memory.counts import (
    MAX_ENTITIES, MAX_QUERIES, Counts, check_id, evict, impression_weights, pairs_for_write, read_pairs, rounded_rows,
    trim, without_search,
)
from ltrr.memory.entries import MemoryEntry, entries_frame, make_entry, merged
from ltrr.memory.keys import query_key
from ltrr.memory.pin import pinned_entity
from ltrr.memory.reformulation import MAX_ENTITIES as REFORMULATION_ENTITIES
from ltrr.memory.reformulation import Evidence, ReformulationMemory, confidences
from ltrr.memory.rewordings import REWRITES_PER_PATTERN, best_reworded, reworded_texts, rewording_rows, rewordings_frame
from ltrr.memory.rewrites import substitution
from ltrr.memory.saved import checkpoint, read_checkpoint, read_snapshot, snapshot
from ltrr.memory.scores import EXAMINATION_ETA, NEW_PAIR_PRIOR, PRIOR_STRENGTH, score_pairs
from ltrr.memory.seed import MemorySeed
from ltrr.memory.taught import TaughtLog, is_taught, taught_asks
from ltrr.memory.typos import TYPO_CUTOFF, nearest_learned, typo_targets


class QueryMemory:
    """Expected examinations and clicks per (normalised query, entity), safe to share across threads.

    Queries are normalised (``normalize_query``) so "Tayler Swift!" and
    "tayler swift" share counts; an empty query is ignored. Impressions are
    weighted by examination probability (:mod:`ltrr.memory.scores`) and are never
    below clicks: a click proves the item was seen.
    """

    def __init__(self, seed: MemorySeed | None = None, strength: float = PRIOR_STRENGTH,
                 examination_eta: float = EXAMINATION_ETA, typo_cutoff: float = TYPO_CUTOFF,
                 max_queries: int = MAX_QUERIES, max_entities: int = MAX_ENTITIES,
                 reformulation_entities: int = REFORMULATION_ENTITIES) -> None:
        if int(max_queries) < 1 or int(max_entities) < 1:
            raise ValueError("max_queries and max_entities must be at least 1")
        self.seed = seed
        self.strength = float(strength)
        self.examination_eta = float(examination_eta)
        self.typo_cutoff = float(typo_cutoff)
        self.max_queries = int(max_queries)
        self.max_entities = int(max_entities)
        # Least recently written query first (the eviction order; see ltrr.memory.counts).
        self._counts: Counts = OrderedDict()
        self._clicks_per_query: dict[str, int] = {}       # queries with at least one click: typo targets
        self.reformulations = ReformulationMemory(max_queries=max_queries, max_entities=reformulation_entities)
        # Phrase substitutions the same chains teach (ltrr.memory.rewrites), counted alike: keyed by
        # pattern ("easygoing *") instead of query, by replacement ("* chill") instead of entity.
        self.rewrites = ReformulationMemory(max_queries=max_queries, max_entities=REWRITES_PER_PATTERN)
        self._lock = threading.Lock()
        # Counts every write: what was read of the memory is still true while it is unchanged.
        self.writes = 0
        # The taught asks' changes (see taught_changes). A reset (clear, load) empties the log:
        # readers read taught().
        self._taught = TaughtLog()

    @property
    def taught_version(self) -> int:
        """The version of the taught asks (:meth:`taught_changes`)."""
        return self._taught.version

    def attach_seed(self, seed: MemorySeed) -> None:
        """Give the memory the catalog's predictions (for ``entry``/``entries``)."""
        self.seed = seed

    def __len__(self) -> int:
        """Learned (query, entity) pairs: counted by clicks and impressions, or by reformulations."""
        with self._lock:
            extra = sum(1 for q, e, _ in self.reformulations if e not in self._counts.get(q, ()))
            return sum(len(v) for v in self._counts.values()) + extra

    @property
    def n_queries(self) -> int:
        """Queries holding clicks or impressions (at most ``max_queries``)."""
        with self._lock:
            return len(self._counts)

    # ------------------- writing: searches, clicks, reformulation chains
    def record_impressions(self, query: object, entity_ids: Iterable[str]) -> None:
        """Count the entities shown for `query`, in display order: rank ``r`` adds ``examination(r)``.
        One call is one search: it also ticks the clock reformulation evidence decays by."""
        key = query_key(query)
        ids = [check_id(e) for e in entity_ids]
        if not key:
            return
        with self._lock:
            self.writes += 1
            self.reformulations.tick()
            self.rewrites.tick()
            pairs = self._pairs_of(key)
            for entity_id, weight in impression_weights(ids, self.examination_eta).items():
                counts = pairs.setdefault(entity_id, [0.0, 0])
                counts[0] += weight
            self._trim(key, pairs)

    def impression_weights(self, entity_ids: Iterable[str]) -> dict[str, float]:
        """entity -> the impression one showing of this list adds (its first rank's examination)."""
        return impression_weights(entity_ids, self.examination_eta)

    def record_click(self, query: object, entity_id: str) -> None:
        """Count a click; a pair the seed never predicted is created by it (with a low prior)."""
        key = query_key(query)
        entity_id = check_id(entity_id)
        if not key:
            return
        with self._lock:
            self.writes += 1
            pairs = self._pairs_of(key)
            counts = pairs.setdefault(entity_id, [0.0, 0])
            counts[1] += 1
            counts[0] = max(counts[0], counts[1])
            was = self._is_taught(key)
            self._clicks_per_query[key] = self._clicks_per_query.get(key, 0) + 1
            self._note_taught(key, was)
            self._trim(key, pairs)

    def record_reformulation(self, query: object, entity_id: str, user: str, to_query: object = None,
                             asked: str | None = None, answered: str | None = None,
                             artist: bool = False) -> Evidence | None:
        """Count one reformulation: a failed search of `query` by the user hashed ``user``
        (:func:`ltrr.memory.reformulation.user_key`) was followed by a satisfied one, ``to_query``, that
        found `entity_id`. Kept apart from clicks (:mod:`ltrr.memory.reformulation`); the pair's evidence
        after it. With ``to_query``, the chain's phrase substitution is counted too
        (:func:`ltrr.memory.rewrites.substitution`; ``asked``, ``answered``: the genre words of each;
        ``artist``: whether ``to_query`` names an artist)."""
        key = query_key(query)
        entity_id = check_id(entity_id)
        if not key:
            return None
        learned = substitution(key, query_key(to_query), asked, answered, artist) if to_query is not None else None
        with self._lock:
            self.writes += 1
            if learned is not None:
                self.rewrites.record(*learned, str(user))
            was, forgotten = self._is_taught(key), []
            evidence = self.reformulations.record(key, entity_id, str(user), forgotten)
            self._note_taught(key, was)
            for gone in forgotten:
                self._note_taught(gone, True)
            return evidence

    def clear(self) -> None:
        """Forget every count and reformulation (the seed stays)."""
        with self._lock:
            self.writes += 1
            self._counts.clear()
            self._clicks_per_query.clear()
            self.reformulations.clear()
            self.rewrites.clear()
            self._taught.reset()

    def _pairs_of(self, key: str) -> dict[str, list[float]]:
        """The counts of ``key`` for writing (:func:`ltrr.memory.counts.pairs_for_write`), noting the
        taught asks the bound evicted. Call under the lock."""
        pairs, unclicked = pairs_for_write(self._counts, self._clicks_per_query, key, self.max_queries)
        for old in unclicked:
            self._note_taught(old, True)
        return pairs

    def _trim(self, key: str, pairs: dict[str, list[float]]) -> None:
        """Bound ``key``'s entities (:func:`ltrr.memory.counts.trim`), noting ``key`` if that took
        its last click. Call under the lock."""
        if trim(key, pairs, self._clicks_per_query, self.max_entities):
            self._note_taught(key, True)

    # ------------------------------------------------ reading the counts
    def resolve(self, query: object) -> str:
        """The key whose counts answer `query`: itself when it has clicks, else the nearest query
        with clicks (rapidfuzz ratio >= ``typo_cutoff``, both at least 4 characters), else itself."""
        key = query_key(query)
        if not key:
            return key
        with self._lock:
            learned = typo_targets(key, self._clicks_per_query)
        return key if learned is None else nearest_learned(key, learned, self.typo_cutoff)

    def observed(self, query: object, exact: bool = False) -> dict[str, tuple[float, int]]:
        """entity_id -> (expected examinations, clicks) for one query (typo-tolerant unless ``exact``)."""
        key = query_key(query) if exact else self.resolve(query)
        with self._lock:
            return read_pairs(self._counts.get(key, {}))

    def observed_as_of(self, query: object, shown: Iterable[str],
                       clicked: Iterable[str]) -> dict[str, tuple[float, int]]:
        """``observed(query)`` without one search's own contribution (its impressions and clicks).

        Used to rebuild a search's features as they were before its own click
        (labels must never leak into features). Only subtracted when the query
        reads its own counts (not a typo neighbour's, which the search never touched).
        """
        key = query_key(query)
        counts = self.observed(query)
        if self.resolve(query) != key:
            return counts
        return without_search(counts, self.impression_weights(shown), clicked)

    def pinned(self, query: object, observed: dict[str, tuple[float, int]] | None = None) -> str | None:
        """The entity the rise-to-the-top rule (:mod:`ltrr.memory.pin`) puts first for `query`, or None;
        ``observed`` replaces its counts."""
        return pinned_entity(self.observed(query) if observed is None else observed)

    def pair_scores(self, query: object, entity_ids: Iterable[str],
                    observed: dict[str, tuple[float, int]] | None = None) -> np.ndarray:
        """The memory arm's score of each entity for `query`: the posterior mean of its pair, 0 when
        there is no pair (pairs: the seed's predictions plus pairs a click or a reformulation
        created; see :func:`ltrr.memory.scores.score_pairs`), as in
        :class:`ltrr.strategies.memory.MemoryStrategy`. ``observed`` replaces the counts, e.g.
        :meth:`observed_as_of` to rebuild a search's features as they were."""
        ids = list(entity_ids)
        key = query_key(query)
        if not key or not ids:
            return np.zeros(len(ids))
        counts = self.observed(query) if observed is None else observed
        extra = self.pseudo_clicks(key)
        preds = self.seed.predictions(key) if self.seed is not None else {}
        return score_pairs(ids, counts, extra, preds, self.strength)

    def lessons(self, query: object) -> dict[str, float]:
        """entity_id -> pair score (:meth:`pair_scores`) of every entity users taught for exactly
        this query: clicked, or reached by reformulating it. Shown and never chosen is no lesson."""
        key = query_key(query)
        if not key:
            return {}
        with self._lock:
            counts = read_pairs(self._counts.get(key, {}))
            extra = self.reformulations.pseudo_clicks(key)
        ids = [e for e, (_, clicks) in counts.items() if clicks > 0 or e in extra]
        ids += [e for e in extra if e not in counts]
        return dict(zip(ids, self.pair_scores(key, ids, observed=counts).tolist()))

    def predicted(self, query: str, entity_id: str) -> tuple[float, bool]:
        """(prior prediction, whether the seed predicted the pair)."""
        pred = self.seed.predicted(query, entity_id) if self.seed is not None else None
        return (NEW_PAIR_PRIOR, False) if pred is None else (pred, True)

    def known_from_one_lesson(self, query: object, entity_id: str) -> bool:
        """True when one lesson is all the memory knows of the pair: one click (or later find) or
        one reformulation chain, and no metadata prediction. When that lesson came from a search,
        the search did not have the pair to list (see
        :meth:`ltrr.engine.learning.Learning.full_ranks`)."""
        key = query_key(query)
        with self._lock:
            counts = self._counts.get(key, {}).get(entity_id)
            evidence = self.reformulations.pair(key, entity_id)
        lessons = (int(counts[1]) if counts is not None else 0) + (evidence.chains if evidence is not None else 0)
        return lessons == 1 and not self.predicted(key, entity_id)[1]

    # ------------- reading the reformulation evidence and the rewordings
    def pseudo_clicks(self, query: object) -> dict[str, float]:
        """entity_id -> the clicks its reformulation evidence is worth for this exact query."""
        key = query_key(query)
        with self._lock:
            return self.reformulations.pseudo_clicks(key)

    def reformulated(self, query: object) -> dict[str, Evidence]:
        """entity_id -> reformulation evidence for exactly this query (no typo tolerance: a vague
        ask's meaning is not its neighbour's)."""
        key = query_key(query)
        with self._lock:
            return self.reformulations.evidence(key)

    def reformulation_confidence(self, query: object, entity_ids: Iterable[str]) -> np.ndarray:
        """Each entity's reformulation confidence for this exact query (0 without evidence):
        :func:`ltrr.memory.reformulation.confidence` of its decayed weight."""
        ids = list(entity_ids)
        key = query_key(query)
        with self._lock:
            evidence = self.reformulations.evidence(key) if key else {}
        return confidences(evidence, ids)

    def reworded(self, query: object, limit: int = 2) -> list[tuple[str, float]]:
        """What earlier users reworded asks like ``query`` into, as (query text, decayed weight),
        the best supported first (at most ``limit``; ties in the order of
        :func:`ltrr.memory.rewrites.patterns`): every learned substitution whose pattern ``query`` matches
        (:mod:`ltrr.memory.rewordings`)."""
        key = query_key(query)
        if not key or limit <= 0:
            return []
        with self._lock:
            found = reworded_texts(self.rewrites, key)
        return best_reworded(found, limit)

    def rewordings(self, query: object = None) -> pd.DataFrame:
        """Every learned substitution (:mod:`ltrr.memory.rewrites`): pattern, replacement, users (distinct
        users who showed it), chains and weight (decayed), the best supported first; with ``query``,
        only those it matches, with what it is reworded into (``reworded``, third column)."""
        matching = query is not None
        with self._lock:
            rows = rewording_rows(self.rewrites, query_key(query) if matching else None)
        return rewordings_frame(rows, matching)

    # --------------------------------------------------- the taught asks
    def taught(self) -> list[str]:
        """Every query users taught something: a click, or a reformulation that ended on a find
        (the asks :mod:`ltrr.strategies.nearby` reads), clicked ones first, each in the order kept."""
        with self._lock:
            return taught_asks(self._clicks_per_query, self.reformulations)

    def taught_changes(self, since: int) -> tuple[int, list[tuple[str, bool]] | None]:
        """The taught asks' version now, and the changes to them since version ``since``, oldest
        first, as (ask, taught now); None in place of the changes when the log no longer reaches
        back that far (the memory was reset or loaded, or too much changed): read :meth:`taught`."""
        with self._lock:
            return self._taught.changes(since)

    def _is_taught(self, key: str) -> bool:
        """Whether ``key`` is a taught ask (:meth:`taught`). Call under the lock."""
        return is_taught(key, self._clicks_per_query, self.reformulations)

    def _note_taught(self, key: str, was: bool) -> None:
        """Log a change of ``key`` in the taught asks, if it was (``was``) and is not, or the other way
        round. Call under the lock, after the change."""
        self._taught.note(key, was, self._is_taught(key))

    # ------------------------------------------------ the browser's view
    def entry(self, query: object, entity_id: str) -> MemoryEntry | None:
        """One pair with its prediction, counts and reformulation evidence; None when never observed."""
        key = query_key(query)
        with self._lock:
            counts = self._counts.get(key, {}).get(entity_id)
            counts = None if counts is None else tuple(counts)
            evidence = self.reformulations.pair(key, entity_id)
        if counts is None and evidence is None:
            return None
        return self._entry(key, entity_id, *(counts or (0.0, 0)), evidence)

    def _entry(self, key: str, entity_id: str, impressions: float, clicks: int,
               evidence: Evidence | None = None) -> MemoryEntry:
        """One pair's entry (:func:`ltrr.memory.entries.make_entry`) with its prior as of now."""
        return make_entry(key, entity_id, impressions, clicks, evidence, self.predicted(key, entity_id), self.strength)

    def __iter__(self) -> Iterator[MemoryEntry]:
        """Every learned pair's entry (:func:`ltrr.memory.entries.merged`)."""
        with self._lock:
            counts = rounded_rows(self._counts)
            evidence = {(q, e): ev for q, e, ev in self.reformulations}
        return (self._entry(*item) for item in merged(counts, evidence))

    def entries(self) -> pd.DataFrame:
        """Every observed pair: query, entity_id, predicted, impressions, clicks, observed,
        learned_from_clicks, reformulations, reformulation_users, learned_from_reformulations
        (sorted by query, then observed score, best first: :func:`ltrr.memory.entries.entries_frame`)."""
        return entries_frame(self)

    # ------------------------------------------------------------ saving
    def to_dict(self) -> dict:
        """JSON-ready snapshot of the counts and reformulation evidence (the seed is catalog-side and
        not included): :func:`ltrr.memory.saved.snapshot`."""
        with self._lock:
            reformulations = self.reformulations.to_dict()
            rewrites = self.rewrites.to_dict()
        return snapshot(self.strength, self._snapshot(), reformulations, rewrites)

    def _snapshot(self) -> list[tuple[str, str, float, int]]:
        """Every counted pair, rounded (:func:`ltrr.memory.counts.rounded_rows`), for :meth:`to_dict`."""
        with self._lock:
            return rounded_rows(self._counts)

    @classmethod
    def from_dict(cls, data: dict, seed: MemorySeed | None = None) -> "QueryMemory":
        """Rebuild from :meth:`to_dict`; raises ValueError with the reason on malformed data
        (:func:`ltrr.memory.saved.read_snapshot`)."""
        strength, counts, clicks_per_query = read_snapshot(data)
        memory = cls(seed=seed, strength=strength)
        memory._counts, memory._clicks_per_query = counts, clicks_per_query
        if data.get("reformulations") is not None:
            memory.reformulations.load_state_dict(data["reformulations"])
        if data.get("rewrites") is not None:
            memory.rewrites.load_state_dict(data["rewrites"])
        memory._bound()
        return memory

    def state_dict(self) -> dict:
        """The learned counts, exact and in insertion order, for engine checkpoints
        (:func:`ltrr.memory.saved.checkpoint`)."""
        with self._lock:
            return checkpoint(self._counts, self._clicks_per_query, self.reformulations, self.rewrites)

    def load_state_dict(self, state: dict) -> None:
        """Replace the counts, in place, by :meth:`state_dict`'s output (the seed and settings stay);
        ValueError, counts unchanged, when it is malformed (:func:`ltrr.memory.saved.read_checkpoint`,
        which also reads the older versions)."""
        counts, per_query, reformulations, rewrites = read_checkpoint(state, self.reformulations, self.rewrites)
        with self._lock:
            self.writes += 1
            self._counts, self._clicks_per_query = counts, per_query
            self.reformulations = reformulations
            self.rewrites = rewrites
        self._bound()

    def _bound(self) -> None:
        """Apply the bounds to counts loaded from elsewhere (oldest queries first out)."""
        with self._lock:
            self.writes += 1
            self._taught.reset()
            # The reset above already sends readers to every taught ask: no query evicted here is noted.
            evict(self._counts, self._clicks_per_query, self.max_queries)
            for key, pairs in self._counts.items():
                self._trim(key, pairs)
