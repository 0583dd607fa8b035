"""What judging a share of searches buys the coverage learner, live: paired against clicks alone.

A coverage policy with ``judged=S`` draws that share of searches at random; the simulator,
as an assessor, names what each drawn search wanted (``Engine.judge``), and the learner hears
those searches from the judgment instead of their clicks (see ``ltrr.bandit.coverage``). Each
seed runs, on the same stream and clicks (common random numbers), the default learner, the
judged ones and any ``--against`` fixed configuration, with the study's settings
(:class:`ltrr.simulate.study_settings.StudySettings`: 2,000 steps, drift at step 1,000, users
retrying with chance 0.5, the heuristic ranker). It prints each policy's success@10 and
candidates over the last ``--window`` steps per seed, then per policy the mean and the
paired difference from the default learner (95% t-interval over seeds). Use tuning seeds
(not the study's test seeds 0-4) when choosing a share.

    python benchmarks/judged_share.py --catalog data/spotify.duckdb --seeds 11 12 13 14 15 \\
        --against static:lexical=1,fuzzy=3,structured=1,memory=50,fresh=1
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import harness
from ltrr.simulate.report import window_means
from ltrr.simulate.study import simulate
from ltrr.simulate.study_settings import StudySettings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--catalog", required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(11, 21)))
    parser.add_argument("--shares", type=float, nargs="+", default=[0.05, 0.2])
    parser.add_argument("--against", nargs="*", default=[], help="fixed policy specs to run beside")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--window", type=int, default=500)
    args = parser.parse_args(argv)
    if not all(0 < s <= 1 for s in args.shares):
        parser.error("--shares must lie in (0, 1]")
    settings = StudySettings(catalog=args.catalog, steps=args.steps, window=args.window)
    policies = ["coverage", *(f"coverage:judged={s:g}" for s in args.shares), *args.against]
    rows: dict[str, list[tuple[float, float]]] = {p: [] for p in policies}
    print("seed  " + "  ".join(f"{p[:40]:>40s}" for p in policies), flush=True)
    for seed in args.seeds:
        with harness.temporary_state() as state:
            records = simulate(settings, policies, seed, Path(state))
        means = window_means(records, settings.window, success="success", candidates="n_retrieved",
                             pool="n_pool").set_index("policy")
        cells = []
        for p in policies:
            rows[p].append((100 * float(means.loc[p, "success"]), float(means.loc[p, "candidates"]),
                            float(means.loc[p, "pool"])))
            cells.append(f"{rows[p][-1][0]:5.1f}% @ {rows[p][-1][1]:5.2f}")
        print(f"{seed:4d}  " + "  ".join(f"{c:>40s}" for c in cells), flush=True)
    base = np.array(rows["coverage"])
    print("policy                                     success@10  candidates  pool  minus the default (95% CI)")
    for p in policies:
        own = np.array(rows[p])
        mean, lo, hi = harness.t_interval(own[:, 0] - base[:, 0])
        print(f"{p[:42]:42s}  {own[:, 0].mean():8.2f}%  {own[:, 1].mean():10.2f}  {own[:, 2].mean():4.1f}  "
              f"{mean:+.2f} ({lo:+.2f} to {hi:+.2f}) at {own[:, 1].mean() - base[:, 1].mean():+.2f} candidates",
              flush=True)


if __name__ == "__main__":
    main()
