"""Helpers for the coverage learner's tests: one search, resolved as a simulated user would."""
from __future__ import annotations

from typing import Mapping

import numpy as np

from ltrr.bandit.context import CONTEXT_FEATURES
from ltrr.bandit.coverage import CoverageLearner


def two_word_context() -> np.ndarray:
    """The context of a two-word query about which nothing else is known: one kind of ask, so
    every search made with it lands in the same cells."""
    x = np.zeros(len(CONTEXT_FEATURES))
    x[CONTEXT_FEATURES.index("bias")] = 1
    x[CONTEXT_FEATURES.index("q_two_words")] = 1
    return x


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
