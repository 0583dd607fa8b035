"""Estimates from a query's cells: what each arm adds at each depth, and what it costs.

Coverage of a configuration ``B`` in a cell is a Horvitz-Thompson mean over the
cell's buffered targets, ``sum_i [B covers r_i] / w_i / N``; a finer cell is
shrunk towards its parent with ``prior`` pseudo searches (see the package
docstring, *Context*).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ltrr.bandit.coverage.cells import LADDER, Level


def gains(levels: Sequence[Level], budgets: np.ndarray, prior: float,
          n_arms: int, spread: bool = False) -> tuple[np.ndarray, float] | tuple[np.ndarray, float, np.ndarray]:
    """Coverage gain of raising each arm to each ladder level over ``budgets``, and the
    current coverage, from ``levels`` (finest first); each level is shrunk towards the
    next coarser one with its own ``prior`` when it has one, else with ``prior``.

    ``spread``: also return each gain's standard error (the Horvitz-Thompson sum's, through
    the same shrinkage, each level's weight squared; the parent's taken as independent)."""
    n_lev = len(LADDER)
    gain = np.zeros((n_arms, n_lev))
    var = np.zeros((n_arms, n_lev)) if spread else None
    cover = 0.0
    # Root first: each finer level is shrunk towards the coarser one.
    for depth, lv in enumerate(reversed(levels)):
        n, ranks, w, hit = lv.n, lv.ranks, lv.w, lv.hit
        p = prior if lv.prior is None else lv.prior
        if len(w):
            covered = (ranks <= budgets[None, :]).any(axis=1)
            free = ~covered
            g = np.einsum("m,mal->al", w * free, hit)
            g2 = np.einsum("m,mal->al", w * w * free, hit) if spread else None
            c = float(w @ covered)
        else:
            g, c = np.zeros((n_arms, n_lev)), 0.0
            g2 = np.zeros((n_arms, n_lev)) if spread else None
        # What an arm adds at a depth is only seen on searches that ran it that deep: below
        # the root, its cell mean g / n weighs as many searches as did (the cell's reach)
        # and the rest is the parent's, so an arm a cell never runs takes its parent's gain
        # instead of a confident zero and a gain found in sibling cells reaches it. The
        # root has no parent to defer to: its own mean, shrunk towards nothing as before.
        # Per step of the ladder (a step's increment is seen on searches that ran the arm
        # that deep; the steps below it on more of them), then summed back up.
        if depth == 0:
            gain = (g + p * gain) / (n + p)
            if spread:
                var = g2 / (n + p) ** 2
        else:
            step = (lv.reach * _steps(g / n) + p * _steps(gain)) / (lv.reach + p)
            gain = np.cumsum(step, axis=1)
            if spread:
                # The level's share of each gain, read at each depth from the reach there.
                reach = np.asarray(lv.reach, dtype=np.float64)
                own = reach / (reach + p)
                var = own ** 2 * (g2 / max(n, 1e-9) ** 2) + (1.0 - own) ** 2 * var
        cover = (c + p * cover) / (n + p)
    if spread:
        return gain, cover, np.sqrt(var)
    return gain, cover


def _steps(x: np.ndarray) -> np.ndarray:
    """Each ladder level's increment over the level below it (the first over nothing): what
    ``np.diff(x, axis=1, prepend=0.0)`` gives, without its broadcasting, on the planner's
    hot path (several calls per search)."""
    out = x.copy()
    out[:, 1:] -= x[:, :-1]
    return out


def expected_counts(levels: Sequence[Level], n_arms: int) -> np.ndarray:
    """Per arm and ladder level: candidates the arm is expected to return in this context."""
    est = np.tile(LADDER.astype(np.float64), (n_arms, 1))
    for lv in reversed(levels):
        counts, w = lv.counts, lv.w
        if not len(w):
            continue
        ww = w / w.sum()
        mean = np.einsum("m,mal->al", ww, np.minimum(counts[:, :, None], LADDER[None, None, :]))
        est = (len(w) * mean + 2.0 * est) / (len(w) + 2.0)
    return est


def alone_at(alone: np.ndarray | None, budgets: np.ndarray) -> np.ndarray:
    """Each arm's coverage alone at its own budget (NaN before any data)."""
    if alone is None:
        return np.full(len(budgets), float("nan"))
    return np.clip(alone[np.arange(len(budgets)), np.searchsorted(LADDER, budgets)], 0.0, 1.0)
