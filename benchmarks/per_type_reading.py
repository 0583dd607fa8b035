"""Issue 26's per-type reading from a study's records, beside the same reading between tuned
configurations (see :mod:`ltrr.simulate.worst_type`).

Per seed: the default learner's worst query type against the tuned configuration nearest its
candidates on that seed; then every tuned configuration's worst type against the tuned
configuration nearest it, and against the nearest with fewer candidates, per seed. Reads ``study_records.csv.gz`` or the per-seed
``states/records-seed-N.csv.gz`` a study writes as it goes.

    python benchmarks/per_type_reading.py reports/study-default/study_records.csv.gz
    python benchmarks/per_type_reading.py reports/study-second/states/records-seed-*.csv.gz
"""
from __future__ import annotations

import argparse

import pandas as pd

import harness  # noqa: F401  (puts ltrr on sys.path)

from ltrr.simulate.worst_type import summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("records", nargs="+", help="a study's records (csv or csv.gz), one file or one per seed")
    parser.add_argument("--window", type=int, default=500, help="last steps read (the study's window)")
    parser.add_argument("--label", default="coverage (default)", help="the policy read (its label)")
    parser.add_argument("--threshold", type=float, default=-3.0, help="the target, in points")
    args = parser.parse_args(argv)
    records = pd.concat([pd.read_csv(p, low_memory=False) for p in args.records], ignore_index=True)
    s = summary(records, args.window, args.label, args.threshold)
    if s is None:
        raise SystemExit("no tuned configuration (tuned<=N) in these records: nothing to read against")
    print(f"{args.label}: worst query type per seed against the tuned configuration nearest its candidates")
    for r in s["learner"]:
        print(f"  seed {r['seed']}: {r['points']:+.1f} points, {r['query_type']} ({r['searches']} searches), "
              f"against {r['reference']}")
    print(f"  {s['learner_seeds_met']} of {s['seeds']} seeds at {args.threshold:+g} or better")
    pairs = pd.DataFrame(s["tuned"])
    print("each tuned configuration against the tuned configuration nearest it, worst type per seed:")
    for label, part in pairs.groupby("label", sort=False):
        print(f"  {label:>10}: " + ", ".join(f"{p:+.1f}" for p in part.sort_values("seed")["points"]))
    print(f"  {100 * s['tuned_below_share']:.0f}% of configuration-seeds below {args.threshold:+g}; median worst "
          f"{s['tuned_median_worst']:+.1f}; {len(s['tuned_met_every_seed'])} of {s['tuned_configurations']} "
          f"configurations at {args.threshold:+g} or better on every seed")
    dearer = pd.DataFrame(s["tuned_vs_cheaper"])
    print("each tuned configuration against the nearest with fewer candidates, worst type per seed:")
    for label, part in dearer.groupby("label", sort=False):
        print(f"  {label:>10}: " + ", ".join(f"{p:+.1f} ({r})" for p, r in
                                            zip(part.sort_values("seed")["points"], part.sort_values("seed")["reference"])))
    every = dearer.groupby("label")["points"].min()
    print(f"  {100 * s['tuned_vs_cheaper_below_share']:.0f}% of configuration-seeds below {args.threshold:+g}; "
          f"{int((every >= args.threshold).sum())} of {len(every)} configurations at {args.threshold:+g} or better "
          "on every seed")


if __name__ == "__main__":
    main()
