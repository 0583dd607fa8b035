"""Fixed arm configurations tuned on a separate stream: the baselines a learner must beat.

Arms are deterministic, so one pass of a tuning stream through every arm at
the deepest budget tells, for every search, where each arm ranks the first
entity that satisfies the user (:class:`RankTable`). Any fixed configuration
``{arm: budget}`` can then be scored offline in microseconds: it *covers* a
search when some arm ranks a satisfying entity within its budget, and costs
the candidates its arms return (:mod:`ltrr.reward`). From that table:

* :func:`~ltrr.bandit.fixed.best_fixed` finds, per candidate cap, the fixed configuration with the
  highest coverage (greedy by coverage gain per candidate, then one-arm
  changes until none helps; the product's ``route`` policy chooses its table with it too);
* :func:`best_fixed_by_ms` finds, per cap on the arms' run time, the fixed
  configuration with the highest coverage: an arm costs the same time whatever
  its budget (as the study charges it), so every set of arms is tried, each with
  :func:`best_fixed`'s budgets under a candidate cap, and the best set that fits
  the time is kept. A learner priced in milliseconds meets these;
* :func:`~ltrr.bandit.fixed.best_at_cost` picks a configuration as the coverage learner's greedy
  rule would with every search's ranks known (``benchmarks/cell_oracle.py``
  applies it per context cell);
* :func:`per_type_oracle` finds, per query type, the cheapest configuration
  reaching that type's best coverage: the limit a learner that knew each
  query's type could reach;
* :func:`per_query_oracle` prices, per search, the cheapest configuration
  covering it: the absolute limit of any policy that picks arms per search.

Those configurations are then run live, on another stream, beside the
learners (:mod:`ltrr.simulate.study`); the tuning stream never scores them.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ltrr.bandit.fixed import LADDER, Ranked, best_fixed
from ltrr.reward import MAX_RANK, NOT_FOUND, rank_code
from ltrr.text import clean, normalize_query



@dataclass
class RankTable(Ranked):
    """Per search of a stream: its query type, each arm's best rank of a satisfying entity, list lengths
    (scored by :class:`~ltrr.bandit.fixed.Ranked`'s ``vector``, ``covered`` and ``cost``)."""

    arms: tuple[str, ...]
    query_types: np.ndarray       # (n,) str
    ranks: np.ndarray             # (n, arms) int, NOT_FOUND when not within MAX_RANK
    counts: np.ndarray            # (n, arms) int, list length at MAX_RANK
    x: np.ndarray                 # (n, features) the bandit context of each search
    ms: np.ndarray | None = None  # (n, arms) each arm's run time on the search (ms), when measured
    queries: np.ndarray | None = None   # (n,) str: each search's normalized query, when collected

    def __len__(self) -> int:
        return len(self.query_types)

    def ms_cost(self, budgets: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Per search: the run time (ms) of the arms the configuration runs, whatever their budgets."""
        if self.ms is None:
            raise ValueError("this rank table has no run times: collect it with collect_ranks")
        m = self.ms if rows is None else self.ms[rows]
        return (m * (budgets[None, :] > 0)).sum(axis=1)

    def judged_searches(self) -> list:
        """Every search as a full-information :class:`~ltrr.engine.warm.JudgedSearch` (what
        ``Engine.warm_start`` reads), in stream order."""
        from ltrr.engine.warm import JudgedSearch

        return [JudgedSearch(tuple(map(float, self.x[i])),
                             {a: (int(r) if r <= MAX_RANK else None) for a, r in zip(self.arms, self.ranks[i])},
                             {a: int(c) for a, c in zip(self.arms, self.counts[i])})
                for i in range(len(self))]


def collect_ranks(catalog_path: str | Path, stream, state_dir: Path, arms: Sequence[str] | None = None,
                  click_model=None, seed: int = 0, progress=None, retry_share: float = 0.0,
                  reformulate_share: float = 0.0, reformulate_types: Sequence[str] | None = None) -> RankTable:
    """Run ``stream`` through every arm at the deepest budget and record the ranks (see module doc).

    The engine uses the ``all`` policy at :data:`MAX_RANK` per arm with the
    heuristic ranker; simulated users click through ``click_model`` (retry
    with ``retry_share`` and follow failed broad asks with ``reformulate_share`` up, as
    in :func:`~ltrr.simulate.runner.run_simulation`) so the memory arm learns as it
    would live; the table holds each step's first search only.
    """
    from ltrr.engine import Engine
    from ltrr.simulate.clicks import PositionBasedClicks
    from ltrr.simulate.clicks import check_probability
    from ltrr.simulate.runner import (Reformulation, answer, arm_milliseconds, check_reformulate_types, click_rng,
                                      reformulate, reformulate_rng, retry, retry_rng)

    clicks = click_model or PositionBasedClicks()
    follow = Reformulation(check_probability("reformulate_share", reformulate_share),
                           check_reformulate_types(reformulate_types))
    engine = Engine.open(catalog_path, state_dir, policy=f"all:budget={MAX_RANK}", seed=seed, arms=arms,
                         background=False, ranker_training="off")
    try:
        if engine.status()["searches"]:
            engine.reset()
        names = tuple(engine.arm_names)
        types, ranks, counts, xs, ms, queries = [], [], [], [], [], []
        for i, it in enumerate(stream):
            response = engine.search(it.query, it.context, k=10)
            timed = arm_milliseconds(response)
            ms.append([timed.get(arm, 0.0) for arm in names])
            row_r, row_c = [], []
            for arm in names:
                ids = [r.entity_id for r in response.by_arm.get(arm, [])]
                row_r.append(rank_code(ids, it.relevant))
                row_c.append(len(ids))
            types.append(it.query_type)
            ranks.append(row_r)
            counts.append(row_c)
            xs.append(response.context_features)
            queries.append(normalize_query(clean(it.query)))   # as the engine logs query_norm
            outcome = answer(engine, response, it, clicks, click_rng(seed, it.step))
            retry(engine, response, outcome, it, clicks, 10, retry_share, retry_rng(seed, it.step))
            if follow.share > 0:
                reformulate(engine, outcome, it, clicks, 10, follow, reformulate_rng(seed, it.step))
            if progress is not None and i % 50 == 0:
                progress(i, len(stream), "tuning stream")
    finally:
        engine.close()
    return RankTable(names, np.array(types, dtype=object), np.array(ranks, dtype=np.int64),
                     np.array(counts, dtype=np.int64), np.array(xs, dtype=np.float64),
                     np.array(ms, dtype=np.float64), np.array(queries, dtype=object))


def held_out_frontier(table: RankTable, caps: Sequence[float], fit: np.ndarray,
                      score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The static frontier chosen on the searches ``fit`` (:func:`best_fixed` at each cap) and
    scored on ``score``: candidates returned per search, cheapest first, and the best share
    retrieved at or below each (read it at any cost with ``np.interp``)."""
    points = sorted((float(table.cost(b, score).mean()), float(table.covered(b, score).mean()))
                    for b in (table.vector(best_fixed(table, cap, fit)) for cap in caps))
    return np.array([p[0] for p in points]), np.maximum.accumulate(np.array([p[1] for p in points]))


def best_fixed_by_ms(table: RankTable, caps: Sequence[float], candidates: float,
                     rows: np.ndarray | None = None) -> list[dict[str, int]]:
    """Per cap on the arms' mean run time per search (ms): the fixed configuration with the highest
    coverage that also returns at most ``candidates`` per search (ties: less time, then fewer
    candidates); an empty configuration where no arm fits. See the module docstring."""
    options = []
    for subset in itertools.product((False, True), repeat=len(table.arms)):
        names = [a for a, on in zip(table.arms, subset) if on]
        if not names:
            continue
        config = best_fixed(table, candidates, rows, arms=names)
        b = table.vector(config)
        options.append((float(table.ms_cost(b, rows).mean()), float(table.covered(b, rows).mean()),
                        float(table.cost(b, rows).mean()), config))
    out = []
    for cap in caps:
        fits = [o for o in options if o[0] <= cap + 1e-9]
        out.append(max(fits, key=lambda o: (o[1], -o[0], -o[2]))[3] if fits else {})
    return out


def per_type_oracle(table: RankTable, slack: float = 0.0) -> pd.DataFrame:
    """Per query type: the cheapest configuration reaching the type's best coverage (minus ``slack``).

    Columns: query_type, share, best_coverage, coverage, cost, config.
    """
    full = LADDER[-1] * np.ones(len(table.arms), dtype=np.int64)
    out = []
    for qtype in sorted(set(table.query_types)):
        rows = np.flatnonzero(table.query_types == qtype)
        target = float(table.covered(full, rows).mean()) - slack
        # Raise the cap until the best configuration under it reaches the target.
        chosen = None
        for cap in (1, 2, 3, 5, 7, 10, 15, 20, 30, 40, 60, 80, 120, 160, 250, 400):
            config = best_fixed(table, cap, rows)
            b = table.vector(config)
            if table.covered(b, rows).mean() >= target - 1e-9:
                chosen = config
                break
        chosen = chosen if chosen is not None else {a: int(LADDER[-1]) for a in table.arms}
        b = table.vector(chosen)
        out.append({"query_type": qtype, "share": len(rows) / len(table),
                    "best_coverage": target + slack, "coverage": float(table.covered(b, rows).mean()),
                    "cost": float(table.cost(b, rows).mean()), "config": config_spec(chosen)})
    return pd.DataFrame(out)


def per_query_oracle(table: RankTable, rows: np.ndarray | None = None) -> dict[str, float]:
    """The cheapest configuration covering each search, known in hindsight: the absolute limit.

    A search some arm ranks a satisfying entity for (within ``MAX_RANK``) is covered most cheaply by
    that one arm alone at the smallest ladder budget reaching the rank, which costs what the arm
    returns there (``min(budget, list length)``); the cheapest such arm is taken. A search no arm
    covers costs nothing (no configuration helps it). Returns ``coverage`` (share of searches some
    arm covers: the most any configuration retrieves), ``cost`` (candidates returned per search,
    over all searches) and ``cost_covered`` (per covered search).
    """
    ranks = table.ranks if rows is None else table.ranks[rows]
    counts = table.counts if rows is None else table.counts[rows]
    found = ranks < NOT_FOUND
    if not ranks.size:
        return {"coverage": float("nan"), "cost": float("nan"), "cost_covered": float("nan")}
    budget = LADDER[np.searchsorted(LADDER, np.minimum(ranks, MAX_RANK))]
    cost = np.where(found, np.minimum(budget, counts), np.inf).min(axis=1)
    covered = np.isfinite(cost)
    return {"coverage": float(covered.mean()), "cost": float(np.where(covered, cost, 0.0).mean()),
            "cost_covered": float(cost[covered].mean()) if covered.any() else 0.0}


def config_spec(config: dict[str, int]) -> str:
    """The ``static:arm=budget,...`` policy that runs ``config`` (arms in the order given)."""
    return "static:" + ",".join(f"{a}={b}" for a, b in config.items() if b > 0)
