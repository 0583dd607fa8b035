"""Reformulation evidence: what a vague query meant, learned from the search that followed it.

People who get nothing from "tunes to unwind to" try again ("chill playlist") and click. The
engine's session chains (:mod:`ltrr.engine.sessions`) log each such chain as a ``reformulation``
event (:mod:`ltrr.events`); this module keeps what they teach about the failed query: per
(failed query, clicked entity), a decayed weight and the users who showed the pair. It is kept
apart from clicks (:class:`ltrr.memory.QueryMemory`) because it is weaker evidence of another
kind: nobody clicked the entity *for this query*, and the user may simply have changed their mind.

The rules, and why:

* **Distinct users make the confidence.** A user who shows the pair for the first time adds 1 to
  its weight; the same user again adds only :data:`REPEAT_WEIGHT`. One person repeating a chain is
  one opinion; three people agreeing on it are a pattern (Jones et al., "Generating query
  substitutions", WWW 2006, count a rewrite by the sessions that show it, not by repetitions).
  Worked example, no decay: three users once each weigh 3.0, one user three times 1.5.
* **Decay is counted in searches, never in wall-clock time.** The clock ticks once per search the
  memory sees (:meth:`ReformulationMemory.tick`), so replaying the log, or loading a checkpoint
  and replaying its tail, gives the very same floats. A weight halves every :data:`HALF_LIFE`
  searches: a meaning nobody confirms again fades as tastes and the catalog move.
* **Several meanings per query.** Two users with the same vague ask may want different things,
  so a query keeps up to ``max_entities`` entities (the weakest evidence leaves first), never one
  answer for everybody.
* **Bounded.** At most ``max_queries`` queries (the least recently taught one leaves first: an
  order the log fixes, so replay evicts exactly what the live run evicted) and, per pair, the
  :data:`MAX_USERS` most recent user hashes; a user older than those counts as new again, an
  overcount only on pairs that already have that many users, where confidence is saturated.
* **Only hashes of users.** The engine passes :func:`user_key` of the user id, never the id.

:meth:`ReformulationMemory.pseudo_clicks` is what ranking reads: the weight times
:data:`CLICK_EQUIVALENT`, added to the pair's clicks and impressions in the memory's posterior
(:meth:`ltrr.memory.QueryMemory.pair_scores`): "like a click, with its own weight".
"""
from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import Iterator, Mapping, Sequence

import numpy as np

# What a reformulation by a user new to the pair adds to its weight, and what a repeat adds.
NEW_USER_WEIGHT = 1.0
REPEAT_WEIGHT = 0.25
# Searches after which a weight is halved.
HALF_LIFE = 50_000
# User hashes kept per pair (the most recent).
MAX_USERS = 32
# Defaults of the bounds (queries kept; entities kept per query). The engine passes its query
# memory's bound (ltrr.memory.counts.MAX_QUERIES, 20,000), so evidence and counts leave together.
MAX_QUERIES = 20_000
MAX_ENTITIES = 20
# One unit of weight counts as this many clicks (with as many impressions) in the memory's posterior.
CLICK_EQUIVALENT = 1.0
# The weight at which confidence is one half.
CONFIDENCE_HALF = 2.0
# Weights below this (after decay) are forgotten when their query is touched again.
FORGET_BELOW = 0.01


def user_key(user_id: object) -> str:
    """A stable, short hash of a user id (16 hex digits): what reformulation evidence keeps."""
    return hashlib.blake2b(str(user_id).encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


@dataclass(frozen=True)
class Evidence:
    """What reformulations taught about one (query, entity) pair, as of the memory's clock."""

    weight: float        # decayed weight (new users 1 each, repeats REPEAT_WEIGHT)
    users: int           # distinct users who showed the pair (saturates past MAX_USERS hashes kept)
    chains: int          # reformulations counted, repeats included


class _Pair:
    """Mutable per-pair record: weight as of ``at`` (a clock value), user hashes, counts."""

    __slots__ = ("weight", "at", "users", "n_users", "chains")

    def __init__(self, weight: float = 0.0, at: int = 0, users: list[str] | None = None, n_users: int = 0,
                 chains: int = 0) -> None:
        self.weight, self.at, self.users, self.n_users, self.chains = weight, at, users or [], n_users, chains


def confidence(weight: float) -> float:
    """How sure the memory is of a pair with this (decayed) weight, 0..1: ``w / (w + 2)``.

    One user once: 0.33; one user three times: 0.43; three users: 0.6; ten users: 0.83. The ranker's
    ``memory_reformulations`` feature (:mod:`ltrr.rank.features`)."""
    w = max(0.0, float(weight))
    return w / (w + CONFIDENCE_HALF)


def confidences(evidence: Mapping[str, Evidence], entity_ids: Sequence[str]) -> np.ndarray:
    """:func:`confidence` of each entity's weight in ``evidence`` (entity_id -> its evidence for
    one query), 0 for an entity without evidence."""
    out = np.zeros(len(entity_ids))
    if evidence:
        for i, entity_id in enumerate(entity_ids):
            found = evidence.get(entity_id)
            if found is not None:
                out[i] = confidence(found.weight)
    return out


def decayed(weight: float, age: int, half_life: float = HALF_LIFE) -> float:
    """``weight`` after ``age`` searches of decay (halved every ``half_life``)."""
    if age <= 0 or half_life <= 0:
        return float(weight)
    return float(weight) * math.pow(0.5, age / half_life)


class ReformulationMemory:
    """Bounded, decayed (failed query -> clicked entity) evidence (see the module docstring).

    Not thread-safe on its own: :class:`ltrr.memory.QueryMemory` calls it under its lock.
    Queries are memory keys (already normalised).
    """

    def __init__(self, max_queries: int = MAX_QUERIES, max_entities: int = MAX_ENTITIES,
                 half_life: float = HALF_LIFE) -> None:
        if int(max_queries) < 1 or int(max_entities) < 1:
            raise ValueError("max_queries and max_entities must be at least 1")
        self.max_queries = int(max_queries)
        self.max_entities = int(max_entities)
        self.half_life = float(half_life)
        self.clock = 0
        self._pairs: OrderedDict[str, dict[str, _Pair]] = OrderedDict()

    def __len__(self) -> int:
        return sum(len(v) for v in self._pairs.values())

    @property
    def n_queries(self) -> int:
        """Queries holding evidence."""
        return len(self._pairs)

    def tick(self) -> None:
        """One search went by (the clock of decay)."""
        self.clock += 1

    def holds(self, query: str) -> bool:
        """Whether ``query`` holds evidence."""
        return query in self._pairs

    def record(self, query: str, entity_id: str, user: str, forgotten: list[str] | None = None) -> Evidence:
        """Count one reformulation of ``query`` that ended on ``entity_id`` by the user hashed ``user``;
        the pair's evidence after it. ``forgotten`` (when given) receives the queries the bound
        evicted to make room."""
        pairs = self._pairs.get(query)
        if pairs is None:
            pairs = self._pairs[query] = {}
        else:
            self._pairs.move_to_end(query)
        pair = pairs.get(entity_id)
        if pair is None:
            pair = pairs[entity_id] = _Pair(at=self.clock)
        pair.weight = decayed(pair.weight, self.clock - pair.at, self.half_life)
        pair.at = self.clock
        pair.chains += 1
        if user in pair.users:
            pair.weight += REPEAT_WEIGHT
            pair.users.remove(user)      # most recent last: the oldest hash leaves first
        else:
            pair.weight += NEW_USER_WEIGHT
            pair.n_users += 1
        pair.users.append(user)
        del pair.users[:-MAX_USERS]
        self._trim(query, pairs, keep=entity_id)
        while len(self._pairs) > self.max_queries:
            gone, _ = self._pairs.popitem(last=False)
            if forgotten is not None:
                forgotten.append(gone)
        return self._evidence(pair)

    def _trim(self, query: str, pairs: dict[str, _Pair], keep: str) -> None:
        """Forget faded pairs of ``query`` and, past ``max_entities``, the weakest (ties: the oldest)."""
        for entity_id in [e for e, p in pairs.items() if e != keep and self._weight(p) < FORGET_BELOW]:
            del pairs[entity_id]
        while len(pairs) > self.max_entities:
            weakest = min((e for e in pairs if e != keep), key=lambda e: self._weight(pairs[e]))
            del pairs[weakest]

    def _weight(self, pair: _Pair) -> float:
        return decayed(pair.weight, self.clock - pair.at, self.half_life)

    def _evidence(self, pair: _Pair) -> Evidence:
        return Evidence(weight=self._weight(pair), users=pair.n_users, chains=pair.chains)

    def evidence(self, query: str) -> dict[str, Evidence]:
        """entity_id -> its evidence for ``query`` (empty when none)."""
        return {e: self._evidence(p) for e, p in self._pairs.get(query, {}).items()}

    def pair(self, query: str, entity_id: str) -> Evidence | None:
        """The evidence of one pair, or None."""
        pair = self._pairs.get(query, {}).get(entity_id)
        return None if pair is None else self._evidence(pair)

    def queries(self) -> list[str]:
        """The queries holding evidence, least recently written first."""
        return list(self._pairs)

    def pseudo_clicks(self, query: str) -> dict[str, float]:
        """entity_id -> the clicks (and impressions) its evidence is worth in the memory's posterior."""
        return {e: CLICK_EQUIVALENT * self._weight(p) for e, p in self._pairs.get(query, {}).items()}

    def __iter__(self) -> Iterator[tuple[str, str, Evidence]]:
        return ((q, e, self._evidence(p)) for q, pairs in list(self._pairs.items()) for e, p in list(pairs.items()))

    def clear(self) -> None:
        """Forget every pair and reset the clock."""
        self._pairs.clear()
        self.clock = 0

    # ------------------------------------------------------------------ saving
    def state_dict(self) -> dict:
        """Exact state (clock, pairs in their order, user hashes) as JSON-ready lists and arrays."""
        rows = [(q, e, p) for q, pairs in self._pairs.items() for e, p in pairs.items()]
        return {"clock": self.clock, "queries": [q for q, _, _ in rows], "entities": [e for _, e, _ in rows],
                "weight": np.array([p.weight for _, _, p in rows], dtype=np.float64),
                "at": np.array([p.at for _, _, p in rows], dtype=np.int64),
                "n_users": np.array([p.n_users for _, _, p in rows], dtype=np.int64),
                "chains": np.array([p.chains for _, _, p in rows], dtype=np.int64),
                "users": [list(p.users) for _, _, p in rows]}

    def load_state_dict(self, state: Mapping) -> None:
        """Replace the state by :meth:`state_dict`'s output; ValueError (nothing changed) when malformed.
        Bounds smaller than the saved state's evict the least recently taught queries."""
        try:
            queries = [str(q) for q in state["queries"]]
            entities = [str(e) for e in state["entities"]]
            weight = np.asarray(state["weight"], dtype=np.float64).tolist()
            at = np.asarray(state["at"], dtype=np.int64).tolist()
            n_users = np.asarray(state["n_users"], dtype=np.int64).tolist()
            chains = np.asarray(state["chains"], dtype=np.int64).tolist()
            users = [[str(u) for u in us] for us in state["users"]]
            clock = int(state["clock"])
            n = len(queries)
            if not all(len(col) == n for col in (entities, weight, at, n_users, chains, users)):
                raise ValueError("columns of different lengths")
            pairs: OrderedDict[str, dict[str, _Pair]] = OrderedDict()
            for q, e, w, t, nu, c, us in zip(queries, entities, weight, at, n_users, chains, users):
                if not math.isfinite(w) or w < 0 or nu < 0 or c < 0:
                    raise ValueError(f"bad counts for pair {q!r} -> {e!r}")
                pairs.setdefault(q, {})[e] = _Pair(w, t, us[-MAX_USERS:], nu, c)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed reformulation state: {exc}") from None
        self._pairs, self.clock = pairs, clock
        while len(self._pairs) > self.max_queries:
            self._pairs.popitem(last=False)
        for q, per_query in self._pairs.items():
            while len(per_query) > self.max_entities:
                del per_query[min(per_query, key=lambda e: self._weight(per_query[e]))]

    def to_dict(self) -> dict:
        """JSON-ready snapshot (plain lists)."""
        state = self.state_dict()
        return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in state.items()}
