"""Helpers for the coverage learner's tests: one search, resolved as a simulated user would."""
from __future__ import annotations

from typing import Mapping

import numpy as np

from ltrr.bandit.coverage import CoverageLearner


def resolve(learner: CoverageLearner, x: np.ndarray, mask: np.ndarray,
            ranks: Mapping[str, int | None], query: str | None = None) -> bool:
    """One search at context ``x``: the learner picks budgets, and the target (whose rank in
    every arm's full list is ``ranks``; absent or None: not found) is clicked when they cover it,
    else the search is a skip. Every arm's list is 50 long. Returns whether it was covered."""
    d = learner.select(x, mask, query)
    hit = any(ranks.get(a) is not None and ranks[a] <= b for a, b in zip(learner.arms, d["budgets"]))
    rec = learner.decision_record(d, mask)
    learner.observe(x, rec["greedy"], rec["available"], ranks if hit else None, {a: 50 for a in learner.arms},
                    rec["wide"], rec["deepen"], rec["deepen_top"], rec["explored"], query)
    return hit
