"""The study's pictures: success and coverage against cost, fixed points, the static frontier, learners."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ltrr.simulate.frontier import fixed_labels, per_seed, upper_frontier


def plot_frontier(records: pd.DataFrame, oracle_frontier: pd.DataFrame, window: int, steps: int, path: Path) -> Path:
    """Success@10 and coverage against candidates per search: fixed points, static frontier, learners,
    and the per-type oracle's frontier (``oracle_frontier``: cost and coverage on the tuning stream)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    means = per_seed(records, window).groupby("label")[["success", "covered", "candidates",
                                                                   "retrieved"]].mean()
    fig, axes = plt.subplots(1, 2, figsize=(12.8, 5.2), dpi=100)
    panels = ((axes[0], "success", "success@10", "candidates", "n_candidates", "candidates per search (pool size)"),
              (axes[1], "covered", "wanted item retrieved", "retrieved", "n_retrieved",
               "candidates the arms returned per search"))
    for ax, metric, title, xcol, cost, xlabel in panels:
        _frontier_panel(ax, records, means, metric, xcol, cost, annotate=("all@", "tuned"))
        if metric == "covered":
            of = oracle_frontier.sort_values("cost")
            ax.plot(of["cost"], 100 * of["coverage"], ls="--", color="#2ca02c",
                    label="per-type oracle (tuning stream, candidates returned)")
        _cost_axis(ax, xlabel, f"{title}, last {window} steps (%)", title)
    fig.suptitle(f"Cost and quality: {len(set(records.seed))} seeds x {steps} steps", fontsize=11)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_ms_frontier(records: pd.DataFrame, window: int, steps: int, path: Path) -> Path:
    """Success@10 against arm milliseconds per search (the records' ``arm_ms``): fixed points, frontier, learners."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    means = per_seed(records, window).groupby("label")[["success", "arm_ms"]].mean()
    fig, ax = plt.subplots(figsize=(12.8, 7.2), dpi=100)
    # Every fixed point is named here: in milliseconds the single arms spread out (their costs differ).
    _frontier_panel(ax, records, means, "success", "arm_ms", "arm_ms", annotate=("",))
    _cost_axis(ax, "arm milliseconds per search (each arm that ran, at its measured time on that query)",
               f"success@10, last {window} steps (%)",
               "success@10 against the arms' run time per search (ranking excluded)")
    fig.suptitle(f"Cost in milliseconds: {len(set(records.seed))} seeds x {steps} steps", fontsize=11)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


_VARIANT_MARKERS = ("^", "s", "D", "v", "P", "X")
_VARIANT_COLORS = ("#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def _frontier_panel(ax, records: pd.DataFrame, means: pd.DataFrame, metric: str, xcol: str, cost: str,
                    annotate: tuple[str, ...]) -> None:
    """Fixed configurations and their static frontier, the learners' points (and the two main ones' paths).

    ``xcol`` is the cost column of ``means`` (per-label means), ``cost`` the same cost in the records
    (for the learning paths); fixed labels starting with one of ``annotate`` are named on the plot.
    """
    pts = means.loc[fixed_labels(list(means.index))].reset_index()
    front = upper_frontier(pts[[xcol, metric]], x=xcol, y=metric)
    ax.scatter(pts[xcol], 100 * pts[metric], s=18, color="#888888", label="fixed configurations")
    ax.plot(front[xcol], 100 * front[metric], color="#444444", lw=1.2, label="static frontier")
    named = pts[pts["label"].str.startswith(annotate)]
    for lab in _spaced(named["label"], named[xcol], 100 * named[metric]):
        row = means.loc[lab]
        ax.annotate(lab, (row[xcol], 100 * row[metric]), fontsize=7, xytext=(3, -8),
                    textcoords="offset points", color="#555555")
    main = (("coverage (default)", "#d62728"), ("coverage, context-free", "#1f77b4"))
    for lab, color in main:
        if lab not in means.index:
            continue
        path_pts = _learning_path(records, lab, metric, cost)
        ax.plot(path_pts["candidates"], 100 * path_pts["q"], color=color, lw=0.8, alpha=0.6)
        ax.scatter([means.loc[lab, xcol]], [100 * means.loc[lab, metric]], s=60, color=color,
                   label=f"{lab} (path over time: line)", zorder=5)
    # The other learners (cost weights, variants): a point each, named in the legend, since
    # they sit close together and labels written beside them overlap.
    # The routing table is drawn among them: a point beside the frontier, not on it.
    others = [lab for lab in means.index if lab.startswith(("coverage", "route")) and lab not in dict(main)]
    for i, lab in enumerate(others):
        ax.scatter([means.loc[lab, xcol]], [100 * means.loc[lab, metric]], s=32, zorder=4,
                   marker=_VARIANT_MARKERS[i % len(_VARIANT_MARKERS)],
                   color=_VARIANT_COLORS[i % len(_VARIANT_COLORS)], label=lab)


def _spaced(labels: Sequence[str], x: Sequence[float], y: Sequence[float],
            min_decades: float = 0.08, min_points: float = 4.0) -> list[str]:
    """The labels that can be written beside their points without overlapping one already written.

    Points are taken from the cheapest; one is named only when it lies at least ``min_decades``
    along the log cost axis or ``min_points`` percentage points away from every point already
    named (the rest stay as unnamed dots; the report's table names every configuration).
    """
    placed: list[tuple[float, float]] = []
    keep = []
    for lab, xi, yi in sorted(zip(labels, x, y), key=lambda t: t[1]):
        if not (np.isfinite(xi) and xi > 0 and np.isfinite(yi)):
            continue
        lx = math.log10(xi)
        if all(abs(lx - px) >= min_decades or abs(yi - py) >= min_points for px, py in placed):
            placed.append((lx, yi))
            keep.append(lab)
    return keep


def _cost_axis(ax, xlabel: str, ylabel: str, title: str) -> None:
    """Log cost axis with plain numbers, labels, grid and legend."""
    import matplotlib.ticker

    ax.set_xscale("log")
    # Ticks at 1, 2 and 5 per decade: the costs often span less than a decade or two.
    ax.xaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel(f"{xlabel} (log scale)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")


def _learning_path(records: pd.DataFrame, label: str, metric: str, cost: str, window: int = 200) -> pd.DataFrame:
    """The learner's rolling (cost, quality) over time, averaged over seeds: its path to its final point."""
    frame = records[records["label"] == label].groupby("step")[[metric, cost]].mean()
    rolled = frame.rolling(window, min_periods=min(window, len(frame))).mean().dropna()
    return pd.DataFrame({"candidates": rolled[cost], "q": rolled[metric]}).iloc[::50]
