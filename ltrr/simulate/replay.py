"""The coverage learner replayed over a rank table, told what was wanted or only what it retrieved.

A :class:`~ltrr.simulate.tuning.RankTable` knows, for every search of a stream, where every
arm ranks what was wanted. Replaying the learner over it in order separates two reasons a
learner can fall short of configurations tuned on such a table: its rule (context, greedy
choice, exploration) and its information. ``told`` gives it what the tuner had, every
search's ranks; ``clicks`` gives it what clicks give at best, the ranks only when its own
configuration retrieved what was wanted (a user who clicks every retrieved target), so
that what it never retrieves is learned only by exploring, through the logged propensities,
as live. Retrieval only: no ranking, no position bias, no click noise.
"""
from __future__ import annotations

import numpy as np

from ltrr.bandit.coverage import CoverageLearner
from ltrr.bandit.policy import PolicySpec
from ltrr.reward import MAX_RANK
from ltrr.simulate.tuning import RankTable

MODES = ("told", "clicks")


def replay(table: RankTable, mode: str, policy: str = "coverage", seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Replay a learner (``policy``: a coverage spec; ``seed``: its exploration draws) over
    ``table`` in order, learning as ``mode`` says (see the module docstring).

    Returns per search whether its configuration retrieved what was wanted, and the
    candidates its arms returned.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    arms = table.arms
    learner = CoverageLearner.from_params(arms, dict(PolicySpec.parse(policy).params), seed)
    mask = np.ones(len(arms), dtype=bool)
    covered = np.zeros(len(table), dtype=bool)
    cost = np.zeros(len(table))
    for i in range(len(table)):
        x = table.x[i]
        query = None if table.queries is None else str(table.queries[i])
        d = learner.select(x, mask, query)
        budgets = d["budgets"]
        hit = bool((table.ranks[i] <= budgets).any())
        covered[i] = hit
        cost[i] = float(np.minimum(table.counts[i], budgets).sum())
        ranks = {a: (int(r) if r <= MAX_RANK else None) for a, r in zip(arms, table.ranks[i])}
        counts = {a: int(c) for a, c in zip(arms, table.counts[i])}
        # The decision as the selector logs it (ltrr.bandit.selector): the greedy configuration
        # and the exploration rule, from which the learner recomputes every propensity.
        greedy = {a: int(b) for a, b in zip(arms, d["greedy"]) if b > 0}
        deepen = {a: float(q) for a, q in zip(arms, d["deepen"]) if q > 0}
        top = {a: int(t) for a, t, q in zip(arms, d["deepen_top"], d["deepen"]) if q > 0}
        told = mode == "told"
        learner.observe(x, greedy, arms, ranks if hit and not told else None, counts, round(float(d["p_wide"]), 6),
                        deepen, top, d["explored"], query)
        if told and any(r is not None for r in ranks.values()):
            learner.observe_found_later(x, ranks, counts)
    return covered, cost
