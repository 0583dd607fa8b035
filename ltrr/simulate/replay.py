"""The coverage learner replayed over a rank table, learning from clicks, judgments or both.

A :class:`~ltrr.simulate.tuning.RankTable` knows, for every search of a stream, where every
arm ranks what was wanted. Replaying the learner over it in order separates two reasons a
learner can fall short of configurations tuned on such a table: its rule (context, greedy
choice, exploration) and its information. The learner hears a search's ranks when the
search is *judged* (a random share ``judged_share`` of searches: someone says what was
wanted, retrieved or not) or else when its own configuration retrieved what was wanted, as
from a user who clicks every retrieved target (no position bias, no noise, no follow-ups);
any other search is a skip. Share 0 is clicks at their best: what the learner never
retrieves it learns only by exploring, through the logged propensities, as live. Share 1 is
*told*: every search's ranks, what the tuner had. Retrieval only: no ranking.
"""
from __future__ import annotations

import numpy as np

from ltrr.bandit.coverage import CoverageLearner
from ltrr.bandit.policy import PolicySpec
from ltrr.reward import MAX_RANK
from ltrr.simulate.tuning import RankTable


def replay(table: RankTable, judged_share: float = 0.0, policy: str = "coverage",
           seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Replay a learner (``policy``: a coverage spec; ``seed``: its exploration draws and which
    searches are judged) over ``table`` in order, a random ``judged_share`` of the searches
    judged (see the module docstring).

    Returns per search whether its configuration retrieved what was wanted, and the
    candidates its arms returned.
    """
    if not 0.0 <= judged_share <= 1.0:
        raise ValueError(f"judged_share must lie in [0, 1], got {judged_share!r}")
    arms = table.arms
    learner = CoverageLearner.from_params(arms, dict(PolicySpec.parse(policy).params), seed)
    judges = np.random.default_rng([seed, 0x1D6E])
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
        judged = bool(judges.random() < judged_share)
        ranks = {a: (int(r) if r <= MAX_RANK else None) for a, r in zip(arms, table.ranks[i])}
        # The decision as the selector logs it, from which the learner recomputes every propensity.
        logged = learner.decision_record(d, mask)
        learner.observe(x, logged["greedy"], logged["available"], ranks if judged or hit else None,
                        {a: int(c) for a, c in zip(arms, table.counts[i])}, logged["wide"],
                        logged["deepen"], logged["deepen_top"], logged["explored"], query,
                        judged=judged, judged_share=judged_share)
    return covered, cost
