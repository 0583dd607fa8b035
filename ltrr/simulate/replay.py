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

Real users do not click every retrieved target (the ranker may put it below the first page,
they may not look): ``click_share`` is the chance that a retrieved target is clicked; the
rest are skips. Settings that gain with every target clicked can lose with real clicks
(query cells did, live), so choices are made with ``click_share`` below 1 as well.

A table collected before the memory probe existed lacks the context feature ``q_remembered``;
:func:`probed_contexts` adds it from the memory arm's list lengths, which the table holds.
"""
from __future__ import annotations

import numpy as np

from typing import Callable, Sequence

from ltrr.bandit.context import CONTEXT_FEATURES, remembered_feature
from ltrr.bandit.coverage import CoverageLearner
from ltrr.bandit.policy import PolicySpec
from ltrr.reward import MAX_RANK
from ltrr.simulate.tuning import RankTable


LearnerFactory = Callable[[Sequence[str], int], CoverageLearner]


def probed_contexts(table: RankTable) -> np.ndarray:
    """The table's contexts with the memory probe's column (``q_remembered``): as collected when
    the table has it, else the memory arm's list length (0 when the table has no memory arm)."""
    width = len(CONTEXT_FEATURES)
    if table.x.shape[1] == width:
        return table.x
    if table.x.shape[1] != width - 1:
        raise ValueError(f"the table's contexts have {table.x.shape[1]} features; this version has {width}")
    counts = (table.counts[:, list(table.arms).index("memory")] if "memory" in table.arms
              else np.zeros(len(table)))
    return np.insert(table.x, CONTEXT_FEATURES.index("q_remembered"), remembered_feature(counts), axis=1)


def replay(table: RankTable, judged_share: float = 0.0, policy: str = "coverage",
           seed: int = 0, click_share: float = 1.0,
           make_learner: LearnerFactory | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Replay a learner (``policy``: a coverage spec, or ``make_learner(arms, seed)`` for any
    :class:`~ltrr.bandit.coverage.CoverageLearner`; ``seed``: its exploration draws, which
    searches are judged and which retrieved targets are clicked) over ``table`` in order, a
    random ``judged_share`` of the searches judged and a retrieved target clicked with chance
    ``click_share`` (see the module docstring).

    Returns per search whether its configuration retrieved what was wanted, and the
    candidates its arms returned.
    """
    if not 0.0 <= judged_share <= 1.0:
        raise ValueError(f"judged_share must lie in [0, 1], got {judged_share!r}")
    if not 0.0 < click_share <= 1.0:
        raise ValueError(f"click_share must lie in (0, 1], got {click_share!r}")
    arms = table.arms
    learner = (make_learner(arms, seed) if make_learner is not None
               else CoverageLearner.from_params(arms, dict(PolicySpec.parse(policy).params), seed))
    judges = np.random.default_rng([seed, 0x1D6E])
    clicks = np.random.default_rng([seed, 0xC11C])
    contexts = probed_contexts(table)
    mask = np.ones(len(arms), dtype=bool)
    covered = np.zeros(len(table), dtype=bool)
    cost = np.zeros(len(table))
    for i in range(len(table)):
        x = contexts[i]
        query = None if table.queries is None else str(table.queries[i])
        d = learner.select(x, mask, query)
        budgets = d["budgets"]
        hit = bool((table.ranks[i] <= budgets).any())
        covered[i] = hit
        cost[i] = float(np.minimum(table.counts[i], budgets).sum())
        judged = bool(judges.random() < judged_share)
        # Drawn for every search, so that the same seed meets the same users whatever was retrieved.
        clicked = bool(clicks.random() < click_share)
        hit = hit and clicked
        ranks = {a: (int(r) if r <= MAX_RANK else None) for a, r in zip(arms, table.ranks[i])}
        # The decision as the selector logs it, from which the learner recomputes every propensity.
        logged = learner.decision_record(d, mask)
        learner.observe(x, logged["greedy"], logged["available"], ranks if judged or hit else None,
                        {a: int(c) for a, c in zip(arms, table.counts[i])}, logged["wide"],
                        logged["deepen"], logged["deepen_top"], logged["explored"], query,
                        judged=judged, judged_share=judged_share)
    return covered, cost
