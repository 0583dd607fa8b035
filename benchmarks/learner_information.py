"""Is the learner short of skill or of information? The same learner, told more or less of what was wanted.

On the study's tuning stream (seed 10000, 2,000 steps, the same drift, users and retries)
every arm's best rank of a satisfying entity is known for every search
(:func:`ltrr.simulate.study.tuning_table`). The default coverage learner runs through the
stream in order (:func:`ltrr.simulate.replay.replay`), choosing a configuration per search,
and hears a search's ranks when the search is judged (a random share of searches, ``--shares``:
someone says what was wanted, retrieved or not) or else when its own configuration retrieved
what was wanted, as from a user who clicks every retrieved target (no position bias, no
noise, no follow-ups). Judged 0% is clicks at their best: what the learner never retrieves
it learns only by exploring, through the logged propensities, as live. Judged 100% is
*told*: every search's ranks, the information the static configurations are tuned with.

Each is scored on the stream's last ``--window`` searches (the share retrieved, and the
candidates the chosen arms return), beside the static frontier
(:func:`ltrr.simulate.tuning.held_out_frontier`: the best fixed configuration at each
candidate cap), fit on the searches before the window and scored on it, read at
the learner's candidates. Per learner seed (its exploration draws, and which searches are
judged) the difference is paired; the interval is over seeds on one stream, so it measures
the learner's randomness, not the stream's. Retrieval only: no ranking, no position bias,
so the numbers are shares retrieved, not success@10.

    python benchmarks/learner_information.py --catalog data/spotify.duckdb
"""
from __future__ import annotations

import argparse
import pickle
from pathlib import Path

import numpy as np

import harness
from ltrr.bandit.policy import PolicySpec
from ltrr.simulate.replay import replay
from ltrr.simulate.tuning import held_out_frontier

CAPS = (2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20, 30)
SHARES = (0.0, 0.05, 0.2, 1.0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--catalog", required=True)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=10_000, help="the stream's seed (the study's tuning stream)")
    parser.add_argument("--seeds", type=int, default=5, help="learner seeds (exploration draws)")
    parser.add_argument("--window", type=int, default=500, help="last searches scored")
    parser.add_argument("--policy", default="coverage", help="a coverage policy spec, e.g. coverage:cost=0.008")
    parser.add_argument("--shares", type=float, nargs="+", default=list(SHARES),
                        help="shares of searches judged (0: clicks only, 1: every search told)")
    parser.add_argument("--table", type=Path, help="keep the rank table in this file and reuse it when present")
    args = parser.parse_args(argv)
    if not 0 < args.window < args.steps:
        parser.error("--window must lie between 0 and --steps")
    if not all(0 <= s <= 1 for s in args.shares):
        parser.error("--shares must lie between 0 and 1")
    if PolicySpec.parse(args.policy).name != "coverage":
        parser.error("--policy must be a coverage policy")

    from ltrr.simulate.study import tuning_table
    from ltrr.simulate.study_settings import StudySettings

    if args.table is not None and args.table.exists():
        table = pickle.loads(args.table.read_bytes())
    else:
        settings = StudySettings(catalog=args.catalog, tune_steps=args.steps, tune_seed=args.seed)
        print(f"collecting every arm's ranks on the {args.steps}-search stream (a few minutes)...", flush=True)
        with harness.temporary_state() as state:
            table = tuning_table(settings, Path(state))
        if args.table is not None:
            args.table.write_bytes(pickle.dumps(table))
    index = np.arange(len(table))
    fit, score = index[: len(table) - args.window], index[len(table) - args.window:]
    xs, ys = held_out_frontier(table, CAPS, fit, score)
    print(f"{args.policy}, last {args.window} of {len(table)} searches; static frontier fit on the first "
          f"{len(fit)}: " + ", ".join(f"{100 * y:.1f}% @ {x:.1f}" for x, y in zip(xs, ys)))
    print("judged   seed  retrieved @ candidates   static frontier there   minus static")
    for judged in args.shares:
        mode = f"{judged:.0%}"
        gaps, shares, costs = [], [], []
        for seed in range(args.seeds):
            covered, cost = replay(table, judged, args.policy, seed)
            share, spent = float(covered[score].mean()), float(cost[score].mean())
            static = float(np.interp(spent, xs, ys))
            gaps.append(share - static)
            shares.append(share)
            costs.append(spent)
            print(f"{mode:>6s} {seed:5d}  {100 * share:6.1f}% @ {spent:5.2f}         {100 * static:6.1f}%"
                  f"               {100 * (share - static):+5.1f}", flush=True)
        _, lo, hi = harness.t_interval(100 * np.array(gaps))
        print(f"{mode:>6s}  mean  {100 * np.mean(shares):6.1f}% @ {np.mean(costs):5.2f}"
              f"                               {100 * np.mean(gaps):+5.1f} (95% CI {lo:+.1f} to {hi:+.1f})", flush=True)


if __name__ == "__main__":
    main()
