"""The Simulator's honest baseline: a fixed configuration tuned on another stream, near the
learner's cost, and the static frontier the learner is placed against.

Plain Python, no Streamlit (tested alone). Uses the engine's public tuner
(:mod:`ltrr.simulate.tuning`): one pass of a separate *tuning* stream through every
arm at the deepest budget gives a rank table; from it

* :func:`~ltrr.bandit.fixed.best_at_cost` picks the fixed configuration the
  learner's own greedy rule would pick if it knew every search's ranks, at the
  learner's price per candidate: a baseline that spends about what the learner does;
* :func:`~ltrr.simulate.tuning.held_out_frontier` gives the static frontier (the best
  fixed configuration at each candidate cap), chosen on half the tuning searches and
  scored on the other half, so the frontier is not flattered by its own fit.

The test stream (the simulation's seeds) never tunes anything.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from ltrr.bandit.policy import PARAM_DEFAULTS, PolicySpec
from ltrr.simulate.report import window_means

TUNED = "tuned fixed (near the learner's cost)"   # the placeholder a run replaces with the tuned spec
ROUTE = "route"                                    # the routing table, chosen on the tuning stream's searches
ROUTE_LABEL = "route (per kind of ask)"
TUNE_SEED_OFFSET = 10_000                          # the tuning stream's seed: never a test seed
CAPS = (2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20, 30, 40)

ProgressFn = Callable[[int, int, str], None]


@dataclass
class TunedBaseline:
    """What the tuning stream chose, and the frontier it measured."""

    spec: str                          # the ``static:arm=budget,...`` policy to run live
    config: dict[str, int]
    cost: float                        # candidates per search on the tuning stream
    coverage: float                    # share retrieved on the tuning stream
    frontier: pd.DataFrame             # candidates, coverage: the held-out static frontier
    searches: int                      # tuning stream length
    lam: float                         # the price per candidate it was tuned at
    settings: dict = field(default_factory=dict)
    # The tuning stream as judged searches (every arm's rank of what each wanted): what a learner
    # warm-started from it reads first (Engine.warm_start).
    judged: list = field(default_factory=list, repr=False)

    def label(self) -> str:
        """The configuration in words: "tuned fixed: lexical 5 + fuzzy 3"."""
        arms = " + ".join(f"{a} {b}" for a, b in self.config.items()) or "no arm"
        return f"tuned fixed: {arms}"

    def frontier_at(self, cost: float) -> float:
        """The frontier's share retrieved at ``cost`` candidates (linear between points, flat past its ends)."""
        xs = self.frontier["candidates"].to_numpy(float)
        ys = self.frontier["coverage"].to_numpy(float)
        return float(np.interp(cost, xs, ys))


_CACHE: dict[tuple, TunedBaseline] = {}
_CACHE_LOCK = threading.Lock()


def learner_cost(policy: str) -> float:
    """The learner's price per candidate: its ``cost=`` option as :class:`PolicySpec` reads it,
    else (another policy, or text that is not a policy) the coverage learner's default."""
    default = float(PARAM_DEFAULTS["coverage"]["cost"])
    try:
        spec = PolicySpec.parse(policy)
    except ValueError:
        return default
    return float(dict(spec.params).get("cost", default)) if spec.name == "coverage" else default


def tune(catalog_path: str | Path, state_dir: Path, *, steps: int, seed: int, lam: float,
         arms: Sequence[str] | None = None, n_users: int = 100, retry_share: float = 0.0,
         reformulate_share: float = 0.0, progress: ProgressFn | None = None) -> TunedBaseline:
    """Tune the baseline on a stream of ``steps`` searches (``seed``), cached per settings in this process.
    Users retry (``retry_share``) and reword failed broad asks (``reformulate_share``) as in the
    simulation the baseline is compared in, so the memory arm learns on the tuning stream as it does there."""
    key = (str(catalog_path), int(steps), int(seed), round(float(lam), 9), tuple(arms or ()), int(n_users),
           round(float(retry_share), 6), round(float(reformulate_share), 6))
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
    from ltrr.catalog.store import Catalog
    from ltrr.simulate import CatalogView, generate_stream
    from ltrr.bandit.fixed import best_at_cost
    from ltrr.simulate.tuning import collect_ranks, config_spec, held_out_frontier

    catalog = Catalog.open(catalog_path)
    try:
        stream = generate_stream(CatalogView.from_catalog(catalog), int(steps), int(seed), n_users=int(n_users))
    finally:
        catalog.close()
    table = collect_ranks(catalog_path, stream, Path(state_dir), arms=list(arms) if arms else None, seed=int(seed),
                          progress=progress, retry_share=retry_share, reformulate_share=reformulate_share)
    config = best_at_cost(table, float(lam))
    if not config:   # every step too dear at this price: the cheapest useful configuration instead
        from ltrr.bandit.fixed import best_fixed

        config = best_fixed(table, 1.0)
    b = table.vector(config)
    rows = np.arange(len(table))
    xs, ys = held_out_frontier(table, CAPS, fit=rows[0::2], score=rows[1::2])
    tuned = TunedBaseline(spec=config_spec(config), config=config, cost=float(table.cost(b).mean()),
                          coverage=float(table.covered(b).mean()),
                          frontier=pd.DataFrame({"candidates": xs, "coverage": ys}), searches=len(table),
                          lam=float(lam), settings={"steps": int(steps), "seed": int(seed)},
                          judged=table.judged_searches())
    with _CACHE_LOCK:
        _CACHE[key] = tuned
    return tuned


def warmable(policy: str) -> bool:
    """Whether ``policy`` can start from the tuning stream's judged searches (a coverage learner)."""
    try:
        return PolicySpec.parse(policy).name == "coverage"
    except ValueError:
        return False


# ----------------------------------------------------------------------------- the verdict

def verdict_window(steps: int) -> int:
    """The searches a verdict reads: the second half of the run (the first half is the learner's
    cold start, which every policy's curve shows anyway)."""
    return max(10, int(steps) // 2)


def per_seed(records: pd.DataFrame, window: int) -> pd.DataFrame:
    """Per seed and policy over each seed's last ``window`` steps: success, covered, candidates
    (what the arms returned, as the tuned configuration's cost and the frontier count them)."""
    frame = records if "seed" in records else records.assign(seed=0)
    return window_means(frame, window, by=("seed", "policy"), success="success", covered="covered",
                        candidates="n_retrieved")


@dataclass
class Estimate:
    """A mean over seeds with a 95% interval (``low``/``high`` None below two seeds)."""

    mean: float
    low: float | None
    high: float | None
    n: int

    def text(self, unit: str = "points", signed: bool = True) -> str:
        """"+2.1 points (95% interval −0.8 to +5.0, 3 seeds)" or "+2.1 points (1 seed: no interval yet)"."""
        from ltrr_app.labels import count

        def num(v: float) -> str:
            return f"{v:+.1f}" if signed else f"{v:.1f}"

        head = f"{num(self.mean)} {unit}"
        if self.low is None or self.high is None:
            return f"{head} ({count(self.n, 'seed')}: no interval yet, run 2 or more seeds for one)"
        return f"{head} (95% interval {num(self.low)} to {num(self.high)}, {count(self.n, 'seed')})"


def estimate(values: Sequence[float], level: float = 0.95) -> Estimate:
    """Mean and two-sided t-interval across seeds; no interval (None, never NaN) below two values
    or when any value is not finite."""
    v = np.asarray([float(x) for x in values], dtype=float)
    if len(v) == 0 or not np.isfinite(v).all():
        raise ValueError("no finite values to estimate from")
    mean = float(v.mean())
    if len(v) < 2:
        return Estimate(mean, None, None, len(v))
    from scipy import stats

    half = float(stats.t.ppf(0.5 + level / 2, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v)))
    return Estimate(mean, mean - half, mean + half, len(v))


def learner_vs(records: pd.DataFrame, learner: str, baseline: TunedBaseline | None, window: int,
               other: str | None = None) -> dict:
    """Where ``learner`` stands, per seed and as estimates over seeds, in points (×100):

    ``vs_fixed``: its success minus ``other``'s (paired on each seed's stream), and
    ``vs_frontier``: its share retrieved minus the static frontier's at its own cost.
    Missing parts are left out of the dict, never NaN.
    """
    seeds = per_seed(records, window)
    mine = seeds[seeds["policy"] == learner].set_index("seed")
    out: dict = {"seeds": int(len(mine))}
    if mine.empty:
        return out
    out["learner"] = {"success": float(mine["success"].mean()), "covered": float(mine["covered"].mean()),
                      "candidates": float(mine["candidates"].mean())}
    if other is not None:
        theirs = seeds[seeds["policy"] == other].set_index("seed")
        both = mine.index.intersection(theirs.index)
        if len(both):
            out["other"] = {"success": float(theirs.loc[both, "success"].mean()),
                            "candidates": float(theirs.loc[both, "candidates"].mean())}
            out["vs_fixed"] = estimate(100 * (mine.loc[both, "success"] - theirs.loc[both, "success"]))
            out["cost_vs_fixed"] = estimate(mine.loc[both, "candidates"] - theirs.loc[both, "candidates"])
    if baseline is not None and len(baseline.frontier):
        gaps = [100 * (row.covered - baseline.frontier_at(row.candidates)) for row in mine.itertuples()]
        out["vs_frontier"] = estimate(gaps)
        out["frontier_at"] = baseline.frontier_at(out["learner"]["candidates"])
    return out
