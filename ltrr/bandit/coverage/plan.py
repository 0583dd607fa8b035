"""Planning: the configuration a query's estimates buy, built greedily.

Coverage of a union is monotone submodular in the set of ``(arm, budget)``
increments, so the configuration is built greedily: at each step the increment
with the best coverage gain per candidate is taken while its gain exceeds
``cost_per_candidate`` times its candidates (Streeter & Golovin 2008). A
candidate is counted as what the arm actually returns in this context.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ltrr.bandit.coverage.cells import LADDER, Level
from ltrr.bandit.coverage.estimate import expected_counts, gains

COLD_BUDGET = 10        # every available arm's budget before anything is learned anywhere


def price(cover: float, cost_per_candidate: float, floor: float = 0.0, floor_cost: float = 0.0) -> float:
    """What a candidate costs where a configuration covers ``cover``: ``floor_cost`` below the
    coverage ``floor`` (where an ask is still served less often than that), else ``cost_per_candidate``.
    A floor of 0 is one price everywhere; so is an unknown (NaN) coverage, which no floor is above."""
    return float(floor_cost) if cover < floor else float(cost_per_candidate)


def greedy(levels: Sequence[Level], mask: np.ndarray, cost_per_candidate: float, start_ms: np.ndarray,
           prior: float, novel: np.ndarray | None = None, floor: float = 0.0,
           floor_cost: float = 0.0, doubt: float = 0.0,
           base: np.ndarray | None = None,
           surcharge: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None, float, np.ndarray | None]:
    """The greedy budgets over the available ``mask``, with what exploration reuses: every
    arm's coverage alone at every level and its expected candidates (None before any data),
    and the configuration's coverage (NaN before any data).

    ``start_ms``: per arm, what starting it costs in objective units (0: only candidates cost).
    ``novel``: per arm, the share of its finds no other arm returns (None: all of them); an arm
    joining arms already chosen is priced by the candidates it adds to the pool, not by its list.
    ``floor``, ``floor_cost``: while the configuration built so far covers less than ``floor``, a
    candidate costs ``floor_cost`` instead (see :func:`price`): an ask few searches serve buys
    recall at that price, and once served that often, at ``cost_per_candidate``.
    ``doubt``: a step is bought on its gain less ``doubt`` standard errors of it (0: on its
    estimate), so that a gain resting on a few heavily weighted finds does not buy a hedge.
    ``base``: budgets (ladder levels) the configuration starts from and never goes below (None:
    nothing), such as a routing table's for the kind of ask: steps are bought beyond it.
    ``surcharge``: per arm, what each of its candidates costs on top of the price (None: nothing),
    such as the places in front of what was wanted that its finds tend to take.
    Never empty where an arm is available: at the least, one arm runs at the ladder's first step.
    """
    n_arms = len(mask)
    budgets = np.zeros(n_arms, dtype=np.int64) if base is None else \
        np.where(mask, np.asarray(base, dtype=np.int64), 0)
    if not levels:
        # Nothing learned anywhere yet: run every available arm at a middle budget so
        # that clicks (and their full-information ranks) start to arrive.
        budgets[mask] = np.maximum(budgets[mask], COLD_BUDGET)
        return budgets, None, float("nan"), None
    gain, now, sd = _gains(levels, budgets, prior, n_arms, doubt)
    # From nothing, each arm's gain is its coverage alone; from a base, read it from nothing.
    alone = gain if not budgets.any() else gains(levels, np.zeros(n_arms, dtype=np.int64), prior, n_arms)[0]
    counts = expected_counts(levels, n_arms)
    arms = np.arange(n_arms)
    for _ in range(n_arms * len(LADDER)):
        # Coverage is a probability: a noisy Horvitz-Thompson sum above 1 buys nothing.
        now = float(np.clip(now, 0.0, 1.0))
        gain = np.clip(now + gain, 0.0, 1.0) - now
        sure = np.maximum(gain - doubt * sd, 0.0) if doubt > 0 else gain
        lam = price(now, cost_per_candidate, floor, floor_cost)
        cur = counts[arms, np.searchsorted(LADDER, budgets)]
        extra = counts - cur[:, None]
        if novel is not None:
            # Beside other arms, an arm's finds that they also return add nothing to the pool.
            others = int((budgets > 0).sum()) - (budgets > 0)
            extra = extra * np.where(others > 0, novel, 1.0)[:, None]
        ok = (LADDER[None, :] > budgets[:, None]) & mask[:, None]
        # Starting an arm also pays its milliseconds (0 without cost_per_ms), counted
        # for the ratio as the candidates that would cost as much.
        start = np.where(budgets == 0, start_ms, 0.0)[:, None]
        each = lam if surcharge is None else lam + surcharge[:, None]
        net = sure - each * extra - start
        # A candidate that costs more than the price counts as that many candidates for the ratio.
        per = (extra if surcharge is None or lam <= 0 else extra * each / lam) + (start / lam if lam > 0 else 0.0)
        ratio = np.where(ok & (net > 1e-9), sure / np.maximum(per, 0.5), -np.inf)
        if not np.isfinite(ratio).any():
            break
        a, lev = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
        budgets[a] = LADDER[lev]
        gain, now, sd = _gains(levels, budgets, prior, n_arms, doubt)
    if not budgets.any() and mask.any():
        # An empty list answers nothing, whatever the prices say: the step that covers most per
        # candidate runs (the greedy's first pick were candidates cheap); where nothing covers
        # anything (early, before a click), the first available arm at the ladder's first step.
        ratio = np.where(mask[:, None], alone[:, 1:] / np.maximum(counts[:, 1:], 0.5), -np.inf)
        a, lev = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
        if ratio[a, lev] <= 0:
            a, lev = int(np.argmax(mask)), 0
        budgets[a] = LADDER[lev + 1]
        now = float(gains(levels, budgets, prior, n_arms)[1])
    return budgets, alone, float(np.clip(now, 0, 1)), counts


def _gains(levels: Sequence[Level], budgets: np.ndarray, prior: float, n_arms: int,
           doubt: float) -> tuple[np.ndarray, float, np.ndarray | None]:
    """:func:`gains`, with the standard errors only where ``doubt`` uses them."""
    if doubt > 0:
        return gains(levels, budgets, prior, n_arms, spread=True)
    gain, now = gains(levels, budgets, prior, n_arms)
    return gain, now, None
