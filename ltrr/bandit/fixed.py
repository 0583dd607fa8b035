"""Choosing a fixed configuration from searches whose every arm's rank is known.

Given, per search, where each arm ranks what was wanted (rank codes, ``NOT_FOUND`` beyond
``MAX_RANK``) and how long each arm's list is, any fixed configuration ``{arm: budget}`` can be
scored offline: it covers a search when some arm ranks a wanted entity within its budget, and
costs the candidates its arms return (:mod:`ltrr.reward`). :func:`best_fixed` finds, under a
candidate cap, the configuration with the highest coverage; :func:`best_at_cost` the one the
coverage learner's greedy rule would pick at a price per candidate. The study tunes its fixed
baselines with them (:mod:`ltrr.simulate.tuning`), and the ``route`` policy its table
(:mod:`ltrr.bandit.route`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ltrr.reward import BUDGET_LADDER, cost_rows, found_rows

LADDER = np.array(BUDGET_LADDER, dtype=np.int64)


class Ranked:
    """Searches with every arm's rank of what was wanted: what scores a fixed configuration on them.
    A base of :class:`Ranks` and of the simulator's ``RankTable``, which hold ``arms``, ``ranks``
    ((n, arms) rank codes, NOT_FOUND beyond MAX_RANK) and ``counts`` ((n, arms) list lengths)."""

    arms: tuple[str, ...]
    ranks: np.ndarray
    counts: np.ndarray

    def vector(self, config: dict[str, int]) -> np.ndarray:
        """``config`` as a budget per arm, in this table's arm order."""
        return np.array([int(config.get(a, 0)) for a in self.arms], dtype=np.int64)

    def covered(self, budgets: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Per search: does the configuration cover it? (:func:`ltrr.reward.found_rows`)"""
        return found_rows(self.ranks if rows is None else self.ranks[rows], budgets)

    def cost(self, budgets: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Per search: candidates the configuration's arms return (:func:`ltrr.reward.cost_rows`)."""
        return cost_rows(self.counts if rows is None else self.counts[rows], budgets)


@dataclass(frozen=True)
class Ranks(Ranked):
    """Per search, each arm's rank code of what was wanted and each arm's list length."""

    arms: tuple[str, ...]
    ranks: np.ndarray             # (n, arms) int, NOT_FOUND when not within MAX_RANK
    counts: np.ndarray            # (n, arms) int, list length at MAX_RANK


def _improve(table: Ranked, budgets: np.ndarray, cap: float, rows: np.ndarray | None,
             allowed: np.ndarray) -> np.ndarray:
    """One-arm changes of the ``allowed`` arms while one raises coverage within the cap (ties: cheaper)."""
    def score(b: np.ndarray) -> tuple[float, float]:
        return float(table.covered(b, rows).mean()), -float(table.cost(b, rows).mean())

    best, best_score = budgets.copy(), score(budgets)
    improved = True
    while improved:
        improved = False
        for a in np.flatnonzero(allowed):
            for level in LADDER:
                if level == best[a]:
                    continue
                trial = best.copy()
                trial[a] = level
                if table.cost(trial, rows).mean() > cap + 1e-9:
                    continue
                s = score(trial)
                if s > best_score:
                    best, best_score, improved = trial, s, True
    return best


def _grow(table: Ranked, rows: np.ndarray | None, allowed: np.ndarray, fits, pays) -> np.ndarray:
    """Budgets raised one ladder step of an ``allowed`` arm at a time, by the best coverage gain per
    candidate (over at least half a candidate), among the steps whose mean cost ``fits`` and whose
    (gain, extra candidates) ``pays``; until no step does."""
    budgets = np.zeros(len(table.arms), dtype=np.int64)
    while True:
        cover, cost = table.covered(budgets, rows).mean(), table.cost(budgets, rows).mean()
        best, best_ratio = None, 0.0
        for a in np.flatnonzero(allowed):
            for level in LADDER[LADDER > budgets[a]]:
                trial = budgets.copy()
                trial[a] = level
                extra = table.cost(trial, rows).mean() - cost
                if not fits(cost + extra):
                    continue
                gain = table.covered(trial, rows).mean() - cover
                ratio = gain / max(extra, 0.5)
                if pays(gain, extra) and ratio > best_ratio:
                    best, best_ratio = trial, ratio
        if best is None:
            return budgets
        budgets = best


def best_fixed(table: Ranked, cap: float, rows: np.ndarray | None = None,
               arms: Sequence[str] | None = None) -> dict[str, int]:
    """The fixed configuration with the highest coverage at most ``cap`` candidates per search
    (``arms``: only these may run; default all)."""
    allowed = np.array([arms is None or a in arms for a in table.arms], dtype=bool)
    budgets = _grow(table, rows, allowed, lambda cost: cost <= cap + 1e-9, lambda gain, extra: gain > 0)
    budgets = _improve(table, budgets, cap, rows, allowed)
    return {a: int(b) for a, b in zip(table.arms, budgets) if b > 0}


def best_at_cost(table: Ranked, lam: float, rows: np.ndarray | None = None) -> dict[str, int]:
    """The configuration the coverage learner's greedy rule picks when it knows every search's ranks:
    raise one arm a ladder step at a time by the best coverage gain per candidate (over at least
    half a candidate, as the learner counts), while the step's gain exceeds ``lam`` per candidate."""
    budgets = _grow(table, rows, np.ones(len(table.arms), dtype=bool), lambda cost: True,
                    lambda gain, extra: gain - lam * extra > 1e-9)
    return {a: int(b) for a, b in zip(table.arms, budgets) if b > 0}
