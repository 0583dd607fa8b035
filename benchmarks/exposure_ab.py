"""Showing what exploration found (the rank stage's exposure): two settings, paired by seed.

For each seed, the default coverage learner runs the same 2,000-step stream
(drift at step 1,000) twice with the heuristic ranker: with exposure at
``--slots`` explored arms (default 3, the engine's default: up to three explored
arms' best new candidates shown from position 3 on) and with exposure at
``--against`` slots (0, the default, turns exposure off). Prints, per seed
and as a paired mean with a 95% t-interval, success@10 and candidates over
the last ``--window`` steps, and success on the searches the drift created
(asking what just came out) in the 300 steps after it.
Use tuning seeds (not the study's test seeds 0-4) when choosing anything.

    python benchmarks/exposure_ab.py --catalog spotify.duckdb --seeds 11 12 13 14 15 --slots 3 --against 1
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

import harness
from ltrr.simulate.report import window_means
from ltrr.simulate.runner import run_simulation


def one_run(catalog: str, seed: int, steps: int, drift: int, slots: int, state: Path) -> pd.DataFrame:
    ranking = {"expose": True, "expose_slots": slots} if slots else {"expose": False}
    result = run_simulation(catalog, ["coverage"], steps, seed, state / f"{seed}-{slots}", ranker_training="off",
                            stream_options={"drift_step": drift}, ranking=ranking)
    return result.records


def summary(records: pd.DataFrame, window: int, drift: int) -> dict:
    last = window_means(records, window, success="success", candidates="n_retrieved", pool="n_pool").iloc[0]
    asks = records[(records["query_type"] == "new_releases") & (records["step"] >= drift)
                   & (records["step"] < drift + 300)]
    return {"success": last["success"], "candidates": last["candidates"], "pool": last["pool"],
            "new_asks_first_300": asks["success"].mean() if len(asks) else float("nan")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--catalog", required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[11, 12, 13, 14, 15])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--drift", type=int, default=1000)
    parser.add_argument("--window", type=int, default=500)
    parser.add_argument("--slots", type=int, default=3, help="explored arms shown (the first setting)")
    parser.add_argument("--against", type=int, default=0, help="explored arms shown in the second (0: off)")
    args = parser.parse_args()
    rows = []
    with harness.temporary_state() as tmp:
        for seed in args.seeds:
            for slots in (args.slots, args.against):
                started = time.perf_counter()
                records = one_run(args.catalog, seed, args.steps, args.drift, slots, Path(tmp))
                row = {"seed": seed, "slots": slots, **summary(records, args.window, args.drift)}
                rows.append(row)
                print(f"seed {seed} slots={slots}: success {100 * row['success']:.1f}% at "
                      f"{row['candidates']:.2f} candidates; new asks in the 300 steps after the drift "
                      f"{100 * row['new_asks_first_300']:.0f}% ({time.perf_counter() - started:.0f} s)", flush=True)
    frame = pd.DataFrame(rows)
    on, off = (frame[frame.slots == n].set_index("seed") for n in (args.slots, args.against))
    for name, scale, unit in (("success", 100, "points"), ("candidates", 1, "candidates"), ("pool", 1, "entities"),
                              ("new_asks_first_300", 100, "points")):
        mean, lo, hi = harness.t_interval((on[name] - off[name]) * scale)
        print(f"{name}: {args.slots} slots {scale * on[name].mean():.2f}, {args.against} slots "
              f"{scale * off[name].mean():.2f}; "
              f"paired difference {mean:+.2f} {unit} (95% CI {lo:+.2f} to {hi:+.2f})")


if __name__ == "__main__":
    main()
