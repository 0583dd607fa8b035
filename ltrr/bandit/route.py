"""The ``route`` policy: a fixed configuration per kind of ask, chosen on judged searches.

What a team could ship instead of a learner: a routing table. It reads full-information
searches (``Engine.warm_start``: the judged searches of another run, the study's tuning stream),
groups them by the coverage learner's kind cell of their context (``ltrr.bandit.coverage.cells``:
shape, script, typo-likeness, what query understanding found), and gives each group the
configuration with the most coverage less ``cost`` per candidate among each cap's best
(:func:`ltrr.bandit.fixed.best_fixed`). A kind with under :data:`MIN_SEARCHES` searches takes its
shape cell's configuration, and a shape with too few that of every search. Nothing is learned
from clicks, and nothing is drawn at random: every propensity is 1. Before any judged search it
runs every arm at the engine's budget, as ``all`` does.

It is the strongest baseline of the study that a team could build without a learner: it reads
only what the product sees of a query, and the same searches the fixed configurations are tuned on.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from ltrr.bandit.coverage.cells import NOT_FOUND, cell_keys, list_lengths, rank_codes
from ltrr.bandit.fixed import Ranks, best_fixed

MIN_SEARCHES = 20                              # a kind with fewer searches takes its shape's configuration
CAPS = (1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20, 30, 40)
EVERY = ""                                     # the group of every search


def route_keys(x: np.ndarray) -> tuple[str, str]:
    """The kind and shape cells of context ``x`` (the coverage learner's), as the table's keys."""
    kind, shape = cell_keys(np.asarray(x, dtype=np.float64), True)[:2]
    return "".join(map(str, kind)), "".join(map(str, shape))


class RoutePolicy:
    """A routing table over ``arms``, chosen at ``cost`` per candidate from the judged searches read.

    Not thread-safe on its own: the selector calls it under its lock.
    """

    def __init__(self, arms: tuple[str, ...], cost: float, default_budget: int) -> None:
        self.arms = tuple(arms)
        self.cost = float(cost)
        self.default_budget = int(default_budget)
        self._keys: list[tuple[str, str]] = []
        self._ranks: list[np.ndarray] = []
        self._counts: list[np.ndarray] = []
        self._table: dict[str, np.ndarray] | None = None      # chosen on first use after new searches

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, x: np.ndarray, ranks: Mapping[str, int | None], counts: Mapping[str, int] | None) -> None:
        """Read one judged search: its context, every arm's rank of what was wanted, list lengths
        (an arm absent from ``counts`` counts as a full list)."""
        self._keys.append(route_keys(x))
        self._ranks.append(np.asarray(rank_codes(self.arms, ranks), dtype=np.int64))
        self._counts.append(np.asarray(list_lengths(self.arms, counts), dtype=np.int64))
        self._table = None

    def budgets(self, x: np.ndarray | None) -> np.ndarray:
        """The budget per arm for context ``x``: its kind's configuration, else its shape's, else
        every search's (``x`` None: every search's); every arm at the default budget before any
        judged search."""
        if not self._keys:
            return np.full(len(self.arms), self.default_budget, dtype=np.int64)
        table = self.table()
        if x is None:
            return table[EVERY]
        kind, shape = route_keys(x)
        return table.get(kind, table.get(shape, table[EVERY]))

    def table(self) -> dict[str, np.ndarray]:
        """Group key -> budget per arm (``EVERY``, then each shape and kind with enough searches)."""
        if self._table is None:
            self._table = self._choose()
        return self._table

    def _choose(self) -> dict[str, np.ndarray]:
        ranks = Ranks(self.arms, np.stack(self._ranks), np.stack(self._counts))
        groups = {EVERY: np.arange(len(self._keys))}
        for depth in (1, 0):                       # shapes, then kinds
            keys = np.array([k[depth] for k in self._keys], dtype=object)
            for key in sorted(set(keys)):
                rows = np.flatnonzero(keys == key)
                if len(rows) >= MIN_SEARCHES:
                    groups[key] = rows
        out = {}
        for key, rows in groups.items():
            best, best_score = np.zeros(len(self.arms), dtype=np.int64), -np.inf
            for cap in CAPS:
                b = ranks.vector(best_fixed(ranks, cap, rows))
                score = float(ranks.covered(b, rows).mean()) - self.cost * float(ranks.cost(b, rows).mean())
                if score > best_score:
                    best, best_score = b, score
            out[key] = best
        return out

    def state_dict(self) -> dict:
        """The judged searches read, as arrays (the table is chosen again from them)."""
        n = len(self._keys)
        return {"keys": [list(k) for k in self._keys],
                "ranks": np.stack(self._ranks) if n else np.zeros((0, len(self.arms)), dtype=np.int64),
                "counts": np.stack(self._counts) if n else np.zeros((0, len(self.arms)), dtype=np.int64)}

    def load_state_dict(self, state: Mapping) -> None:
        """Replace the searches read by :meth:`state_dict`'s output; ValueError when malformed."""
        keys = [tuple(map(str, k)) for k in state["keys"]]
        ranks = np.asarray(state["ranks"], dtype=np.int64)
        counts = np.asarray(state["counts"], dtype=np.int64)
        if any(len(k) != 2 for k in keys) or ranks.shape != (len(keys), len(self.arms)) \
                or counts.shape != ranks.shape or (ranks < 1).any() or (ranks > NOT_FOUND).any():
            raise ValueError("malformed route state: arrays disagree with the arms or the searches")
        self._keys, self._ranks, self._counts = keys, list(ranks), list(counts)
        self._table = None
