"""The discover arm: a small, diverse, random sample for asks no other arm understands.

"Tunes to unwind to" names no title, artist or genre: the matching arms come
back empty or with a handful of near misses, and nothing can learn what the
ask meant until something the user wants is shown. This arm shows a random
but relevant sample instead, with exact inclusion probabilities, so that a
vague ask can be answered at all and its clicks teach the query memory (a
click on any shown entity already does).

**The pool** (deterministic for a query and the arms that are open) joins, by
reciprocal-rank fusion, whatever of these is available:

* the semantic arm (when open): the playlists closest to the query in meaning
  (cosine over every playlist, at least ``MIN_SIMILARITY``) and its nearest
  entities of any type;
* the lexical arm (when open): its best text matches;
* query understanding: the most popular entities within the best
  interpretation's constraints, when it names a genre, mood, activity, era or "new";
* when all of these are empty, the most popular playlists (the most popular
  entities in a catalog without playlists): an answer is better than none.

**The sample.** The pool is split into strata by genre (entities without one
share a stratum), each stratum keeping its ``PER_STRATUM`` best. The list is
a round-robin over the strata in a uniformly random order, so the first items
cover as many genres as there are; inside a stratum, items come in pool order
with probability ``EXPLOIT`` and in a uniformly random order otherwise (every
item has a chance, the best a larger one). The full sequence is drawn at once
and cut to the budget, so a shorter list is a prefix of a longer one (the
engine's full-information rerun asks for depth 50, the search for its budget).

**Exact propensities.** Item ``j`` (0-based, pool order) of a stratum of ``n``
that receives ``m`` of the first ``b`` places is shown with probability
``EXPLOIT * [j < m] + (1 - EXPLOIT) * m / n``. The number of places ``m`` is
``min(n, R) + d``: ``R`` full rounds fit in ``b`` and the ``L`` places left over
go to the first ``L`` of the ``c`` strata still active in round ``R``, so
``P(d = 1) = L / c`` (a uniform order of the strata is uniform on any subset).
Example: two strata of sizes 3 and 1, budget 2: one round (2 places) fits,
so every stratum gets 1 place; the lone item is shown surely, each of the
three with ``0.5 * [j == 0] + 0.5 / 3``: 0.667, 0.167, 0.167. The inclusion
probability at the search's budget is each candidate's ``discover_propensity``
feature; :meth:`DiscoverStrategy.inclusion` recomputes it for any budget, from
the pool alone, without the seed.

**Reproducible.** The random numbers are seeded from the normalised query and
its context (user, session, hour...: what the engine logs with the search), so
rerunning the arm for a logged search, live or from the log, draws the same
list, while different users, sessions or hours asking the same thing see
different samples. The arm is therefore not ``stateless``: its list depends
on more than the query text, and it is never served from the shared
retrieval cache.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ltrr.query import Query
from ltrr.strategies.base import Candidate, Strategy, ranked
from ltrr.strategies.scoped import understanding_of
from ltrr.strategies.understood import UnderstoodStrategy
from ltrr.strategies.semantic import MIN_SIMILARITY
from ltrr.strategies.structured import EntityAttributes
from ltrr.understanding import QueryUnderstander

log = logging.getLogger(__name__)

# Pool sources: how many each contributes (before the per-stratum cut).
PLAYLIST_POOL = 24        # playlists closest in meaning
NEAR_POOL = 24            # nearest entities of any type (semantic)
LEXICAL_POOL = 24         # best text matches
SCOPED_POOL = 24          # most popular within the understood constraints
FALLBACK_POOL = 24        # most popular playlists, when nothing else matched
# Playlists scored by meaning: the most popular this many (a catalog with millions of
# playlists would otherwise cost a large gather per query; 449 on the shared catalog).
MAX_PLAYLISTS = 20_000
RRF_K = 10                # reciprocal-rank fusion constant: 1 / (RRF_K + rank)
PER_STRATUM = 5           # best pool items kept per genre
EXPLOIT = 0.5             # chance a stratum is listed in pool order rather than shuffled
# Changing the sampling design changes every list: a new salt keeps old and new apart.
SEED_SALT = "ltrr.discover.v1"
NO_GENRE = ""


def search_seed(query: Query) -> int:
    """The random seed of one search's sample: a hash of the normalised query and its context.

    The context is what the engine logs with the search (sanitised: flat str, bool and
    finite numbers), so the same seed comes back from the log; keys are sorted and values
    kept as JSON writes them, so a JSON round trip does not change it.
    """
    payload = json.dumps([SEED_SALT, query.text, dict(query.context)], sort_keys=True, ensure_ascii=False,
                         default=str, separators=(",", ":"))
    return int.from_bytes(hashlib.blake2b(payload.encode("utf-8"), digest_size=8).digest(), "little")


@dataclass(frozen=True)
class Pool:
    """A query's candidate pool split into strata.

    ``strata`` holds, per stratum (sorted by key), its rows in pool order (best first);
    ``relevance`` maps a row to its fused pool score.
    """

    keys: tuple[str, ...]
    strata: tuple[tuple[int, ...], ...]
    relevance: dict[int, float]

    @property
    def size(self) -> int:
        return sum(len(s) for s in self.strata)


def inclusion_probabilities(sizes: list[int], budget: int, exploit: float = EXPLOIT) -> list[np.ndarray]:
    """Exact probability that each item (per stratum, in pool order) is among the first
    ``budget`` of the sample (see the module docstring for the design and an example)."""
    sizes = [int(n) for n in sizes]
    total = sum(sizes)
    if budget <= 0 or total == 0:
        return [np.zeros(n) for n in sizes]
    if budget >= total:
        return [np.ones(n) for n in sizes]
    # Full rounds R that fit in the budget, and the places L left over in round R.
    done, rounds = 0, 0
    while True:
        active = sum(1 for n in sizes if n > rounds)
        if done + active > budget:
            break
        done += active
        rounds += 1
    left = budget - done
    share = left / active           # active > 0: budget < total leaves a stratum unfinished
    out = []
    for n in sizes:
        base = min(n, rounds)
        extra = share if n > rounds else 0.0
        j = np.arange(n)

        def shown(m: int) -> np.ndarray:
            return exploit * (j < m) + (1.0 - exploit) * (m / n)

        out.append((1.0 - extra) * shown(base) + extra * shown(base + 1))
    return out


class DiscoverStrategy(UnderstoodStrategy):
    """A diverse random sample of playlists and entities near a vague query, with exact propensities."""

    name = "discover"
    description = ("Exploration for vague asks: a random sample across genres of playlists and entities "
                   "near the query, with exact propensities")
    # The sample depends on the search's context (its seed), not on the query text alone.
    stateless = False

    def __init__(self, catalog, attrs: EntityAttributes, understander: QueryUnderstander,
                 arm_opener: Callable[[str], Strategy] | None = None) -> None:
        super().__init__(catalog, attrs, understander, arm_opener)
        frame = catalog.entities.frame
        self._genre = frame["genre"].fillna(NO_GENRE).astype(str).str.strip().str.lower().to_numpy(dtype=object)
        popularity = np.nan_to_num(frame["popularity"].to_numpy(dtype=np.float64, na_value=0.0))
        self._popularity = popularity
        by_popularity = np.lexsort((np.arange(len(frame)), -popularity))      # ties by row
        is_playlist = frame["entity_type"].astype(str).to_numpy(dtype=object) == "playlist"
        playlists = by_popularity[is_playlist[by_popularity]]
        self._playlists = np.sort(playlists[:MAX_PLAYLISTS])
        self._fallback = (playlists if playlists.size else by_popularity)[:FALLBACK_POOL]
        self._warned: set[str] = set()

    # ------------------------------------------------------------------ the pool
    def _guarded(self, source: str, make: Callable[[], list[int]]) -> list[int]:
        """One pool source's rows; a failing source is logged once and contributes nothing."""
        try:
            return [int(r) for r in make()]
        except Exception as exc:  # another arm's bug must not make this one fail
            if source not in self._warned:
                self._warned.add(source)
                log.warning("discover arm: pool source %s failed (%s); left out", source, exc)
            return []

    def _sources(self, query: Query) -> list[list[int]]:
        """Each pool source's rows, best first."""
        row_of = self.catalog.entities.row_of
        out: list[list[int]] = []
        semantic = self.other_arm("semantic")
        if semantic is not None:
            out.append(self._guarded("semantic playlists", lambda: self._near_playlists(semantic, query)))
            out.append(self._guarded("semantic", lambda: [
                row_of[c.entity_id] for c in semantic.retrieve(query, NEAR_POOL) if c.entity_id in row_of]))
        lexical = self.other_arm("lexical")
        if lexical is not None:
            out.append(self._guarded("lexical", lambda: [
                row_of[c.entity_id] for c in lexical.retrieve(query, LEXICAL_POOL) if c.entity_id in row_of]))
        out.append(self._guarded("understanding", lambda: self._in_scope(query)))
        return out

    def _near_playlists(self, semantic: Strategy, query: Query) -> list[int]:
        """The playlists closest to the query in meaning (cosine at least MIN_SIMILARITY)."""
        if self._playlists.size == 0:
            return []
        sims = semantic.score(query, self._playlists)
        if sims is None:
            return []
        sims = np.nan_to_num(np.asarray(sims, dtype=np.float64).reshape(-1), nan=-1.0)
        if sims.size != self._playlists.size:
            return []
        order = np.lexsort((self._playlists, -sims))[:PLAYLIST_POOL]
        return self._playlists[order[sims[order] >= MIN_SIMILARITY]].tolist()

    def _in_scope(self, query: Query) -> list[int]:
        """The most popular entities within the best interpretation's constraints ([] without any)."""
        best = understanding_of(query, self.understander).best
        # A type alone ("tunes") or an artist is no meaning to explore: the type would bring the
        # most popular entities overall, and an artist is a precise ask the other arms answer.
        if not (best.genres or best.subgenres or best.moods or best.activities or best.year_from is not None
                or best.new_release):
            return []
        rows = np.flatnonzero(self.attrs.mask(best))
        order = np.lexsort((rows, -self._popularity[rows]))[:SCOPED_POOL]
        return rows[order].tolist()

    def pool(self, query: Query) -> Pool:
        """The query's pool, fused and stratified by genre (empty for an empty query)."""
        if not query.text:
            return Pool((), (), {})
        relevance: dict[int, float] = {}
        for rows in self._sources(query):
            for rank, row in enumerate(dict.fromkeys(rows), start=1):
                relevance[row] = relevance.get(row, 0.0) + 1.0 / (RRF_K + rank)
        if not relevance:
            relevance = {int(r): 1.0 / (RRF_K + rank) for rank, r in enumerate(self._fallback.tolist(), start=1)}
        by_stratum: dict[str, list[int]] = {}
        for row in sorted(relevance, key=lambda r: (-relevance[r], r)):
            by_stratum.setdefault(str(self._genre[row]), []).append(row)
        keys = tuple(sorted(by_stratum))
        strata = tuple(tuple(by_stratum[k][:PER_STRATUM]) for k in keys)
        kept = {r for s in strata for r in s}
        return Pool(keys, strata, {r: relevance[r] for r in kept})

    # ------------------------------------------------------------------ the sample
    def sequence(self, pool: Pool, seed: int) -> list[int]:
        """The whole pool in sample order for ``seed``: round-robin over the strata in a random
        order, each stratum in pool order (chance EXPLOIT) or shuffled."""
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(pool.strata))
        listed = []
        for rows in pool.strata:      # the same draws for every budget: lists are prefixes of each other
            exploit = rng.random() < EXPLOIT
            shuffle = rng.permutation(len(rows))
            listed.append(list(rows) if exploit else [rows[i] for i in shuffle])
        out: list[int] = []
        for r in range(max((len(s) for s in listed), default=0)):
            out.extend(listed[s][r] for s in order.tolist() if r < len(listed[s]))
        return out

    def inclusion(self, query: Query, budget: int) -> dict[str, float]:
        """entity_id -> probability of being in this arm's list at ``budget`` for the query,
        for every pool entity (others: 0). Depends on the pool alone, not on the seed."""
        pool = self.pool(query)
        probs = inclusion_probabilities([len(s) for s in pool.strata], budget)
        return {str(self._ids[r]): float(p) for rows, ps in zip(pool.strata, probs) for r, p in zip(rows, ps)}

    def retrieve(self, query: Query, budget: int) -> list[Candidate]:
        if budget <= 0 or not query.text:
            return []
        pool = self.pool(query)
        n = pool.size
        if n == 0:
            return []
        probs = inclusion_probabilities([len(s) for s in pool.strata], budget)
        propensity = {r: float(p) for rows, ps in zip(pool.strata, probs) for r, p in zip(rows, ps)}
        size = {r: float(len(rows)) for rows in pool.strata for r in rows}
        listed = self.sequence(pool, search_seed(query))[:budget]
        # Scores fall with the sample position (and do not depend on the budget), so `ranked`
        # keeps the sample's order and a shorter list stays a prefix of a longer one.
        return ranked([Candidate(str(self._ids[row]), (n - i) / n,
                                 features={"discover_propensity": propensity[row],
                                           "discover_relevance": pool.relevance[row],
                                           "discover_stratum_size": size[row]})
                       for i, row in enumerate(listed)], budget)
