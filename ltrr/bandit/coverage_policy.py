"""The coverage policy inside the selector: :class:`~ltrr.bandit.coverage.CoverageLearner`'s
decisions as :mod:`~ltrr.bandit.selection` records, and logged searches back to the learner.

The learner (:mod:`ltrr.bandit.coverage`) chooses arms *and* budgets and learns from
where every arm ranks what was wanted; this module only translates. Per search it
draws, at the policy's ``judged`` share, whether the search is put to judgment, and
logs that share with the decision: the learner weighs every search by the share its
log says, so a log without one (or with a damaged one) counts as never judged.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from ltrr.bandit.coverage import CoverageLearner
from ltrr.bandit.policy import PolicySpec
from ltrr.bandit.route import RoutePolicy
from ltrr.bandit.selection import ArmChoice, Selection


class CoveragePolicy:
    """The ``coverage`` policy's learner and the translation between it and the selector.

    Not thread-safe on its own: the selector calls it under its lock.
    """

    def __init__(self, spec: PolicySpec, arms: Sequence[str], seed: int) -> None:
        self.spec = spec
        self.arms = tuple(arms)
        self._arm_set = frozenset(self.arms)
        self.learner = CoverageLearner.from_params(self.arms, dict(spec.params), seed)
        # coverage:base=C: a routing table at price C, chosen from what a warm start reads, whose
        # configuration for each kind of ask every plan starts from (None: plans start from nothing).
        base = float(dict(spec.params).get("base", 0.0))
        self.table = RoutePolicy(self.arms, base, 0) if base > 0 else None

    @property
    def judged_share(self) -> float:
        """The share of searches drawn for judgment (``coverage:judged=...``)."""
        return float(dict(self.spec.params).get("judged", 0.0))

    def select(self, x: np.ndarray, mask: np.ndarray, query: str | None, rng: np.random.Generator) -> Selection:
        """The learner's arms and budgets at context `x` over the available arms (`mask`), with its
        decision record; whether the search is judged is drawn from `rng`."""
        d = self.learner.select(x, mask, query, self.base(x))
        budgets = d["budgets"]
        choices = tuple(
            ArmChoice(arm, bool(budgets[i] > 0), int(budgets[i]), float(d["p_run"][i]),
                      float(d["expectation"][i]), float(d["p_budget"][i]))
            for i, arm in enumerate(self.arms))
        decision = self.learner.decision_record(d, mask)
        share = self.judged_share
        if share > 0:
            # Drawn here, logged with its share: the learner weighs every search by it.
            decision["judged_share"] = share
            decision["judge"] = bool(rng.random() < share)
        return Selection(str(self.spec), choices, decision)

    def base(self, x: np.ndarray) -> np.ndarray | None:
        """The budgets a plan at context ``x`` starts from: the table's for its kind (None: no table,
        or one that has read nothing yet)."""
        return self.table.budgets(x) if self.table is not None and len(self.table) else None

    def observe_warm(self, x: np.ndarray, ranks: Mapping[str, int | None], counts: Mapping[str, int] | None) -> None:
        """Learn one full-information search of another stream (a warm start); the table reads it too."""
        self.learner.observe_warm(x, ranks, counts)
        if self.table is not None:
            self.table.add(x, ranks, counts)

    def state_dict(self) -> dict:
        """The learner's state, with the table's searches when there is a table."""
        state = self.learner.state_dict()
        return state if self.table is None else {**state, "base_table": self.table.state_dict()}

    def load_state_dict(self, state: Mapping) -> None:
        """Replace what was learned by :meth:`state_dict`'s output; ValueError when malformed."""
        if self.table is not None:
            if not isinstance(state.get("base_table"), Mapping):
                raise ValueError("coverage state has no routing table for its base")
            self.table.load_state_dict(state["base_table"])
        self.learner.load_state_dict({k: v for k, v in state.items() if k != "base_table"})

    def observe(self, x: np.ndarray, budgets: Mapping[str, int], decision: Mapping | None,
                ranks: Mapping[str, int | None] | None, counts: Mapping[str, int] | None, query: str | None,
                seen: Mapping[str, float] | None, novel: Mapping[str, float] | None,
                ranks_now: Mapping[str, int | None] | None,
                crowd: Mapping[str, float] | None = None) -> None:
        """Learn from one resolved search (the arguments of the selector's ``observe``, ``budgets``
        the selected arms' budgets): its ranks, unless it was drawn for judgment, its novelty and
        the places its arms took above its click."""
        d = decision or {}
        # A search drawn for judgment is learned once, from its judgment (observe_judged).
        if not d.get("judge"):
            self._observe(x, budgets, d, ranks, counts, query, judged=False, seen=seen, ranks_now=ranks_now)
        self.learner.observe_novelty(novel)
        self.learner.observe_crowding(x, crowd)

    def observe_judged(self, x: np.ndarray, budgets: Mapping[str, int], decision: Mapping,
                       ranks: Mapping[str, int | None], counts: Mapping[str, int] | None, query: str | None,
                       ranks_now: Mapping[str, int | None] | None) -> None:
        """Learn from a search drawn for judgment: ``ranks`` of what was wanted in every arm's list."""
        self._observe(x, budgets, decision, ranks, counts, query, judged=True, ranks_now=ranks_now)

    def _observe(self, x: np.ndarray, budgets: Mapping[str, int], decision: Mapping,
                 ranks: Mapping[str, int | None] | None, counts: Mapping[str, int] | None,
                 query: str | None, judged: bool, seen: Mapping[str, float] | None = None,
                 ranks_now: Mapping[str, int | None] | None = None) -> None:
        """One search for the learner, with the logged greedy configuration, available arms
        and exploration rule (a log without a coverage decision: the selected budgets, and the arms
        that ran) and the logged judged share."""
        greedy = decision.get("greedy") or budgets
        available = [a for a in (decision.get("available") or budgets) if a in self._arm_set]
        self.learner.observe(x, greedy, available, ranks, counts, decision.get("wide"), decision.get("deepen"),
                             decision.get("deepen_top"), decision.get("explored") or "", query, judged=judged,
                             judged_share=logged_share(decision), ran=budgets, seen=seen, ranks_now=ranks_now)

    def report(self, contexts: np.ndarray | None, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean over contexts of each arm's estimated coverage alone and its chance to run."""
        if contexts is None:
            return np.full(len(self.arms), np.nan), np.ones(len(self.arms))
        alone, run = [], []
        for x in contexts[-50:]:
            expect, p_run = self.learner.run_probabilities(x, mask, base=self.base(x))
            alone.append(expect)
            run.append(p_run)
        alone_arr = np.array(alone)
        seen = np.isfinite(alone_arr)
        # NaN (nothing learned for that arm yet) stays NaN rather than warning about an empty mean.
        mean_alone = np.divide(np.where(seen, alone_arr, 0.0).sum(axis=0), seen.sum(axis=0),
                               out=np.full(alone_arr.shape[1], np.nan), where=seen.sum(axis=0) > 0)
        return mean_alone, np.mean(np.array(run), axis=0)


def logged_share(decision: Mapping) -> float:
    """A logged decision's judged share: a number in [0, 1], else 0 (a foreign or damaged log)."""
    share = decision.get("judged_share")
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0.0 <= float(share) <= 1.0:
        return 0.0
    return float(share)
