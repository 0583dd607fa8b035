"""The study's paired readings of several worlds side by side, and pooled over all their seeds.

Each study (``python -m ltrr study ... --world W``, extended or not) writes ``summary.json`` with
every paired comparison per seed. One world's five seeds give a wide interval; the same reading
pooled over the seeds of every world asks whether an answer holds across worlds, not in one::

    python benchmarks/worlds_pooled.py reports/study/default reports/study/second reports/study/third

prints, for each comparison all the studies have (or those named with ``--only``), its mean and
95% t-interval per world and over every world's seeds together (each world-seed one paired
difference; the worlds weigh by their seeds). A comparison a study lacks is left out of the pool
and said so.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from harness import t_interval

# The comparisons of the README's answer, in its order (summary.json keys).
HEADLINE = ("warm_priced_minus_static_frontier", "warm_priced_minus_route", "warm_learner_minus_static_frontier",
            "learner_minus_static_frontier", "cost_0.032_minus_static_frontier", "route_minus_static_frontier",
            "told_priced_minus_static_frontier", "context_minus_context_free")


def readings(summary: dict, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Comparison name -> its per-seed differences in points, for the ``names`` ``summary`` has."""
    return {n: np.asarray(summary[n]["per_seed"], dtype=float) * 100 for n in names
            if isinstance(summary.get(n), dict) and summary[n].get("unit") == "points"}


def interval_text(values: np.ndarray) -> str:
    """Mean (95% t-interval) of ``values``, in points."""
    mean, low, high = t_interval(values)
    return f"{mean:+.2f} ({low:+.2f} to {high:+.2f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("studies", nargs="+", type=Path, help="finished study folders (each with summary.json)")
    parser.add_argument("--only", nargs="+", default=None, help="comparisons to print (default: the README's)")
    args = parser.parse_args(argv)
    names = tuple(args.only) if args.only else HEADLINE
    per_study = {}
    for folder in args.studies:
        path = folder / "summary.json"
        if not path.exists():
            parser.error(f"no summary.json in {folder}: run or extend the study first")
        per_study[folder.name] = readings(json.loads(path.read_text()), names)
    for name in names:
        held = {study: r[name] for study, r in per_study.items() if name in r}
        if not held:
            continue
        print(name)
        for study, values in held.items():
            print(f"  {study}: {interval_text(values)} over {len(values)} seeds")
        missing = sorted(set(per_study) - set(held))
        pooled = np.concatenate(list(held.values()))
        print(f"  pooled: {interval_text(pooled)} over {len(pooled)} seeds of {len(held)} studies"
              + (f" (not in {', '.join(missing)})" if missing else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
