"""Asks close in meaning: what the memory arm lists for a vague ask from what users taught asks like it.

A first-time ask ("rap to smile to") has no pairs of its own, and no phrase substitution need match
it; yet earlier users may have taught the memory what an ask *close in meaning* wanted ("cheer me up
hip-hop" -> a song they found by reformulating). This lists those finds: the taught asks (every
query with a click or reformulation evidence in :class:`ltrr.memory.QueryMemory`) nearest to the
query in MiniLM space, at least :data:`MIN_SIMILARITY` cosine, the :data:`NEIGHBOURS` nearest, and
each neighbour's best :data:`PER_NEIGHBOUR` entities by their pair score, each scored

    WEIGHT x similarity x the pair's score for the neighbour

so an exact pair of the query's own, when it has one, comes first. The query's own key is never its
own neighbour: what a search teaches its own text is the memory's exact pairs, not this list (the
learner's credit for the memory, :meth:`ltrr.engine.learning.Learning.full_ranks`, relies on it).

Only asks the catalog's metadata predicts nothing for get this list: a title, an artist, a playlist
name already has its answer, and a near name ("taylor swift" beside "taylor swift songs") would
only add noise to it. The vectors of taught asks are computed once each (the query encoder's, as
the semantic arm's), so a search costs one query encoding and one matrix product over at most
``max_queries`` taught asks. The index follows the memory's log of changes to its taught asks
(:meth:`ltrr.memory.QueryMemory.taught_changes`): a lookup reads what was taught or forgotten since
the last one, and the whole set only after a reset or a reload.
"""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Callable

import numpy as np

from ltrr.memory import QueryMemory, query_key

log = logging.getLogger(__name__)

# Cosine similarity (MiniLM, unit vectors) from which a taught ask counts as close in meaning.
MIN_SIMILARITY = 0.6
# Taught asks read per query (the nearest first).
NEIGHBOURS = 5
# Entities listed per neighbour (its best pairs).
PER_NEIGHBOUR = 5
# Scale of a neighbour's find relative to an exact pair: below it, so the query's own answer leads.
WEIGHT = 0.5
# Asks whose lists are kept while the memory is unchanged.
CACHE = 64
# Most taught asks encoded by one lookup (the latest taught first): an engine reopened on a memory of
# thousands of taught asks reads them in over its first searches instead of stalling one of them.
ENCODE_PER_LOOKUP = 256

Encode = Callable[[list[str]], np.ndarray]


def _default_encode(texts: list[str]) -> np.ndarray:
    from ltrr.embedding import get_encoder   # the model loads on first need, not on import
    return get_encoder().encode_queries(texts)


class NearbyAsks:
    """Finds of the taught asks nearest in meaning to a query (see the module docstring)."""

    def __init__(self, memory: QueryMemory, encode: Encode | None = None,
                 min_similarity: float = MIN_SIMILARITY, neighbours: int = NEIGHBOURS,
                 per_neighbour: int = PER_NEIGHBOUR, weight: float = WEIGHT) -> None:
        self.memory = memory
        self.min_similarity = float(min_similarity)
        self.neighbours = int(neighbours)
        self.per_neighbour = int(per_neighbour)
        self.weight = float(weight)
        self._encode = encode or _default_encode
        self._lock = threading.Lock()
        # The taught asks' vectors, one row each, grown in place: a search adds the asks taught since
        # the last one and retires those the memory forgot (row kept, key None) until half are retired.
        self._row: dict[str, int] = {}
        self._keys: list[str | None] = []
        self._matrix = np.zeros((0, 0), dtype=np.float32)
        self._broken = False
        # The memory's taught-asks version the index follows (None: never read), and the asks taught
        # but not encoded yet (at most ENCODE_PER_LOOKUP are encoded per lookup, the latest first).
        self._version: int | None = None
        self._pending: dict[str, None] = {}
        self._listed: OrderedDict[str, tuple[int, list]] = OrderedDict()   # ask -> (memory writes, listed)

    def _index(self) -> tuple[list[str | None], np.ndarray] | None:
        """The rows' asks (None: retired) and their vectors, brought up to date with the memory's
        taught asks: from its log of changes since the last lookup, or, when that no longer reaches
        back, from the whole set (:meth:`ltrr.memory.QueryMemory.taught_changes`)."""
        with self._lock:
            if self._broken:
                return None
            version, changes = self.memory.taught_changes(-1 if self._version is None else self._version)
            if changes is None:
                taught = self.memory.taught()
                current = set(taught)
                for key in [k for k in self._row if k not in current]:
                    self._keys[self._row.pop(key)] = None
                self._pending = dict.fromkeys(k for k in taught if k not in self._row)
            else:
                for key, now in changes:
                    if now:
                        if key not in self._row:
                            self._pending.pop(key, None)
                            self._pending[key] = None        # the latest taught last
                    else:
                        self._pending.pop(key, None)
                        if key in self._row:
                            self._keys[self._row.pop(key)] = None
            self._version = version
            missing = list(self._pending)[-ENCODE_PER_LOOKUP:]
            if missing:
                try:
                    vectors = np.asarray(self._encode(missing), dtype=np.float32)
                except Exception as exc:   # no encoder: the memory lists what it knows, no neighbours
                    log.warning("asks close in meaning are off: cannot encode queries (%s)", exc)
                    self._broken = True
                    return None
                self._add(missing, vectors)
                for key in missing:
                    del self._pending[key]
            if len(self._keys) > 64 and len(self._row) < len(self._keys) // 2:
                live = [i for i, k in enumerate(self._keys) if k is not None]
                self._matrix = self._matrix[live].copy()
                self._keys = [self._keys[i] for i in live]
                self._row = {k: i for i, k in enumerate(self._keys)}
            return list(self._keys), self._matrix[:len(self._keys)]

    def _add(self, keys: list[str], vectors: np.ndarray) -> None:
        """Append rows (capacity doubles as it fills). Call under the lock."""
        used = len(self._keys)
        if self._matrix.shape[1] != vectors.shape[1] or used + len(keys) > self._matrix.shape[0]:
            grown = np.zeros((max(64, 2 * (used + len(keys))), vectors.shape[1]), dtype=np.float32)
            if used and self._matrix.shape[1] == vectors.shape[1]:
                grown[:used] = self._matrix[:used]
            self._matrix = grown
        self._matrix[used:used + len(keys)] = vectors
        for i, key in enumerate(keys):
            self._row[key] = used + i
        self._keys.extend(keys)

    @property
    def indexed(self) -> int:
        """How many taught asks have a vector in the index (asks the memory forgot are not counted)."""
        with self._lock:
            return len(self._row)

    def nearest(self, text: str) -> list[tuple[str, float]]:
        """The taught asks close in meaning to ``text`` as (ask, cosine), the nearest first (ties by
        text), never ``text`` itself."""
        key = query_key(text)
        if not key or self.neighbours <= 0:
            return []
        index = self._index()
        if index is None:
            return []
        keys, matrix = index
        with self._lock:
            if not self._row or (len(self._row) == 1 and key in self._row):
                return []
        try:
            vector = np.asarray(self._encode([key]), dtype=np.float32)[0]
        except Exception as exc:
            log.warning("asks close in meaning: cannot encode %r (%s)", key, exc)
            return []
        sims = matrix @ vector
        order = sorted((i for i in np.flatnonzero(sims >= self.min_similarity).tolist()
                        if keys[i] is not None and keys[i] != key),
                       key=lambda i: (-float(sims[i]), keys[i]))
        return [(keys[i], round(float(sims[i]), 6)) for i in order[:self.neighbours]]

    def listed(self, text: str) -> list[tuple[str, float, str, float]]:
        """(entity_id, score, the taught ask it comes from, that ask's similarity) for each entity the
        asks nearest to ``text`` list, best first (an entity two of them list: its best). Kept while
        the memory is unchanged: one search reads it three times (the probe, the list, the scores)."""
        key = query_key(text)
        writes = self.memory.writes
        with self._lock:
            cached = self._listed.get(key)
            if cached is not None and cached[0] == writes:
                self._listed.move_to_end(key)
                return cached[1]
        listed = self._list(key)
        with self._lock:
            self._listed[key] = (writes, listed)
            while len(self._listed) > CACHE:
                self._listed.popitem(last=False)
        return listed

    def _list(self, text: str) -> list[tuple[str, float, str, float]]:
        found: dict[str, tuple[float, str, float]] = {}
        for neighbour, similarity in self.nearest(text):
            lessons = self.memory.lessons(neighbour)
            best = sorted(lessons.items(), key=lambda kv: (-kv[1], kv[0]))[:self.per_neighbour]
            for entity_id, score in best:
                value = round(self.weight * similarity * score, 6)
                if entity_id not in found or value > found[entity_id][0]:
                    found[entity_id] = (value, neighbour, similarity)
        ordered = sorted(found.items(), key=lambda kv: (-kv[1][0], kv[0]))
        return [(entity_id, value, neighbour, similarity) for entity_id, (value, neighbour, similarity) in ordered]
