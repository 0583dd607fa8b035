"""The static frontier and the study's per-seed windows: the numbers every comparison reads.

A policy's point is its mean over the last ``window`` steps of each seed; the static
frontier is the upper-left (Pareto) frontier of the fixed configurations' points,
read at a learner's cost by linear interpolation.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd

# Label prefix of the configurations tuned before the drift (a baseline of their own).
PRE_DRIFT = "pre-drift<="


def per_seed(records: pd.DataFrame, window: int) -> pd.DataFrame:
    """Per seed and label, over the last ``window`` steps: success, coverage, candidates, arms, arm ms."""
    last = records[records["step"] > records["step"].max() - window]
    return (last.groupby(["seed", "label"])
            .agg(success=("success", "mean"), covered=("covered", "mean"), candidates=("n_candidates", "mean"),
                 retrieved=("n_retrieved", "mean"), arms=("n_arms", "mean"), arm_ms=("arm_ms", "mean"))
            .reset_index())


def t_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided t-interval of ``values`` (paired differences across seeds)."""
    from scipy import stats

    v = np.asarray(values, dtype=float)
    mean = float(v.mean())
    if len(v) < 2:
        return mean, float("nan"), float("nan")
    half = float(stats.t.ppf(0.5 + level / 2, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v)))
    return mean, mean - half, mean + half


def upper_frontier(points: pd.DataFrame, x: str = "candidates", y: str = "success") -> pd.DataFrame:
    """The upper-left (Pareto) frontier of (cost, quality) points, sorted by cost."""
    pts = points.sort_values([x, y], ascending=[True, False])
    keep, best = [], -np.inf
    for row in pts.itertuples(index=False):
        value = getattr(row, y)
        if value > best:
            keep.append(row)
            best = value
    return pd.DataFrame(keep, columns=points.columns)


def frontier_at(frontier: pd.DataFrame, cost: float, x: str = "candidates", y: str = "success") -> float:
    """The frontier's quality at ``cost``: linear between its points, flat past its ends."""
    xs, ys = frontier[x].to_numpy(float), frontier[y].to_numpy(float)
    return float(np.interp(cost, xs, np.maximum.accumulate(ys)))


def fixed_labels(labels: Sequence[str]) -> list[str]:
    """The labels of the fixed configurations the static frontier is drawn from: everything but
    the learners, the routing table (a configuration per kind of ask: compared on its own) and the
    configurations tuned before the drift (a baseline of their own, compared on the post-drift
    window; left out so that the frontier is the one earlier studies drew)."""
    return [lab for lab in labels if not lab.startswith(("coverage", "route", PRE_DRIFT))]
