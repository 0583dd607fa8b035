"""What the coverage learner's own context cells could buy, offline: a ceiling for learning.

On the study's tuning stream (seed 10000, 2,000 steps, the same drift, users and retries)
every arm's rank of the wanted item is known for every search
(:func:`ltrr.simulate.study.tuning_table`). The searches are split in two by parity. On
one half are chosen

* the static frontier: :func:`ltrr.simulate.tuning.best_fixed` at each candidate cap
  (:func:`ltrr.simulate.tuning.held_out_frontier`), and
* per context cell of the learner (:meth:`ltrr.bandit.coverage.CoverageLearner.cell_keys`: the
  finest cell with at least ``--min`` searches in that half, else its shape's, else all of
  them), the configuration a greedy over coverage gain per candidate picks while a step's gain
  exceeds ``lam`` per candidate (:func:`ltrr.bandit.fixed.best_at_cost`: the learner's own
  rule, with ground truth for estimates);

both are scored on the other half, then the halves swap. Per ``lam`` it prints the cells'
coverage and candidates returned per search, the static frontier's coverage at that cost and
the difference. There is no exploration and no click noise: this is what the cells could give
at best, not what a learner gets; the gap between the two is what estimating from clicks costs.

    python benchmarks/cell_oracle.py --catalog data/spotify.duckdb
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import harness
from ltrr.bandit.coverage import CoverageLearner
from ltrr.reward import cost_rows, found_rows
from ltrr.bandit.fixed import best_at_cost
from ltrr.simulate.tuning import RankTable, held_out_frontier

CAPS = (2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20)
LAMS = (0.004, 0.006, 0.008, 0.012, 0.016, 0.024)


def cell_configs(table: RankTable, keys: list[list[tuple]], fit: np.ndarray, lam: float,
                 least: int) -> dict[int, np.ndarray]:
    """Per search of the other half: the configuration of its finest cell with ``least`` fit searches."""
    chosen: dict[tuple, np.ndarray | None] = {}
    out = {}
    fitted = set(fit.tolist())
    for i in range(len(table)):
        if i in fitted:
            continue
        for level in range(len(keys[i])):
            key = (level, keys[i][level])
            if key not in chosen:
                rows = np.array([j for j in fit if keys[j][level] == keys[i][level]], dtype=np.int64)
                chosen[key] = (table.vector(best_at_cost(table, lam, rows))
                               if len(rows) >= least or level == len(keys[i]) - 1 else None)
            if chosen[key] is not None:
                out[i] = chosen[key]
                break
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--catalog", required=True)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=10_000)
    parser.add_argument("--min", type=int, default=20, help="searches a cell needs to get its own configuration")
    args = parser.parse_args(argv)

    from ltrr.simulate.study import tuning_table
    from ltrr.simulate.study_settings import StudySettings

    settings = StudySettings(catalog=args.catalog, tune_steps=args.steps, tune_seed=args.seed)
    print(f"collecting every arm's ranks on the {args.steps}-search tuning stream (a few minutes)...", flush=True)
    with harness.temporary_state() as state:
        table = tuning_table(settings, Path(state))
    learner = CoverageLearner(table.arms)
    keys = [learner.cell_keys(x) for x in table.x]
    index = np.arange(len(table))
    print(f"{len(set(k[0] for k in keys))} finest cells; a cell needs {args.min} searches of a half")
    print("half  lam    cells: coverage @ candidates   static frontier there   cells minus static")
    for half in (0, 1):
        fit, score = index[index % 2 == half], index[index % 2 != half]
        xs, ys = held_out_frontier(table, CAPS, fit, score)
        for lam in LAMS:
            configs = cell_configs(table, keys, fit, lam, args.min)
            budgets = np.array([configs[i] for i in score])   # one configuration per scored search
            covered = found_rows(table.ranks[score], budgets)
            cost = cost_rows(table.counts[score], budgets).astype(float)
            static = float(np.interp(cost.mean(), xs, ys))
            print(f"{half:4d}  {lam:.3f}  {100 * covered.mean():5.1f}% @ {cost.mean():5.2f}"
                  f"             {100 * static:5.1f}%               {100 * (covered.mean() - static):+5.1f}",
                  flush=True)


if __name__ == "__main__":
    main()
