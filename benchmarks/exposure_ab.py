"""Showing what exploration found (the rank stage's exposure) on and off, paired by seed.

For each seed, the default coverage learner runs the same 2,000-step stream
(drift at step 1,000) twice with the heuristic ranker: with exposure (the
default: one explored arm's best new candidate shown at position 3) and
without. Prints, per seed and as a paired mean with a 95% t-interval, success@10
and candidates over the last ``--window`` steps, and success on the searches
the drift created (asking what just came out) in the 300 steps after it.
Use tuning seeds (not the study's test seeds 0-4) when choosing anything.

    python benchmarks/exposure_ab.py --catalog spotify.duckdb --seeds 11 12 13 14 15
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ltrr.simulate.runner import run_simulation  # noqa: E402
from ltrr.simulate.study import t_interval  # noqa: E402


def one_run(catalog: str, seed: int, steps: int, drift: int, expose: bool, state: Path) -> pd.DataFrame:
    result = run_simulation(catalog, ["coverage"], steps, seed, state / f"{seed}-{expose}", ranker_training="off",
                            stream_options={"drift_step": drift}, ranking={"expose": expose})
    return result.records


def summary(records: pd.DataFrame, steps: int, window: int, drift: int) -> dict:
    last = records[records["step"] > steps - window]
    asks = records[(records["query_type"] == "new_releases") & (records["step"] >= drift)
                   & (records["step"] < drift + 300)]
    return {"success": last["success"].mean(), "candidates": last["n_candidates"].mean(),
            "new_asks_first_300": asks["success"].mean() if len(asks) else float("nan")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--catalog", required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[11, 12, 13, 14, 15])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--drift", type=int, default=1000)
    parser.add_argument("--window", type=int, default=500)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            for expose in (True, False):
                started = time.perf_counter()
                records = one_run(args.catalog, seed, args.steps, args.drift, expose, Path(tmp))
                row = {"seed": seed, "expose": expose, **summary(records, args.steps, args.window, args.drift)}
                rows.append(row)
                print(f"seed {seed} expose={expose}: success {100 * row['success']:.1f}% at "
                      f"{row['candidates']:.2f} candidates; new asks in the 300 steps after the drift "
                      f"{100 * row['new_asks_first_300']:.0f}% ({time.perf_counter() - started:.0f} s)", flush=True)
    frame = pd.DataFrame(rows)
    on, off = (frame[frame.expose == flag].set_index("seed") for flag in (True, False))
    for name, scale, unit in (("success", 100, "points"), ("candidates", 1, "candidates"),
                              ("new_asks_first_300", 100, "points")):
        mean, lo, hi = t_interval((on[name] - off[name]) * scale)
        print(f"{name}: with {scale * on[name].mean():.2f}, without {scale * off[name].mean():.2f}; "
              f"paired difference {mean:+.2f} {unit} (95% CI {lo:+.2f} to {hi:+.2f})")


if __name__ == "__main__":
    main()
