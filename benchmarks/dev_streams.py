"""Dev streams: try a change on seeds the study never reports, paired with the code before it.

The study reports seeds 0-4 and tunes its fixed configurations on seed 10000; a change to
the learner is chosen on other seeds, 21-32 of both worlds by default, so that the seeds it
is judged on were never looked at while choosing. Each stream runs under the study's
settings (world, drift, users, clicks, retries, follow-ups; the heuristic ranker, or with
``--ranker trained`` each policy's own trained one, as the product ships) and its records are
kept, so a change is compared with the code before it on the very same streams.

Record the code as it is, then the change (from its own checkout: a ``git worktree``), then
pair them::

    python benchmarks/dev_streams.py record main --catalog data/spotify.duckdb
    (cd ../change && python benchmarks/dev_streams.py record change --catalog ../ltrr/data/spotify.duckdb \\
        --out ../ltrr/reports/dev)
    python benchmarks/dev_streams.py pair main change

``pair`` prints, per world and over both, the paired difference in success@10 over the last
500 steps (points; mean, 95% t-interval over streams and how many streams went up), the
difference in candidates per search, and the vague asks' success (mood and activity asks,
ambiguous words), which are few per stream: read their intervals, not their means.

A change can also be read against the strongest fixed baseline on the same streams, as the study
reads the learner: ``record tuned --tuned`` tunes each world's fixed configurations on the
study's tuning stream (seed 10000) and runs them all on every dev stream; ``frontier tuned NAME``
then prints each run's success minus that static frontier at its own candidates::

    python benchmarks/dev_streams.py record tuned --tuned --catalog data/spotify.duckdb
    python benchmarks/dev_streams.py frontier tuned main change
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from harness import t_interval

from ltrr.simulate.frontier import frontier_at, upper_frontier
from ltrr.simulate.report import last_window
from ltrr.simulate.study import simulate, tune
from ltrr.simulate.study_settings import RANKERS, StudySettings
from ltrr.simulate.world import WORLDS as SIMULATED_WORLDS

WORLDS = ("default", "second")           # recorded unless --worlds says otherwise
ALL_WORLDS = tuple(SIMULATED_WORLDS)     # what --worlds may name
DEV_SEEDS = tuple(range(21, 33))
WINDOW = 500
VAGUE = ("mood_activity", "ambiguous")
TUNED_CAP = 20          # the tuned configurations recorded: up to 20 candidates (the study's 40 is far off)
# Called with the world in the process that runs each stream, before it runs: a script that
# patches this module's runs (a bound, a probe) sets its per-stream state here. Spawned workers
# run that script first (as ``__mp_main__``), so what it appends is there in every worker.
STREAM_SETUP: list[Callable[[str], None]] = []


def stream_path(out: Path, name: str, world: str, seed: int) -> Path:
    """Where the records of one stream of run ``name`` are kept."""
    return out / name / f"{world}-{seed}.csv.gz"


def record_stream(catalog: str, policies: dict[str, str], world: str, seed: int, path: str,
                  ranker: str = "heuristic", reformulate_share: float | None = None) -> tuple[str, int, float]:
    """Run one stream under the study's settings with ``policies`` (label -> spec; one run: the arms'
    lists are computed once for all of them) and write their records, labelled (a module-level
    function: worker processes import it). ``ranker``: the study's (``StudySettings.ranker``),
    "heuristic" or "trained", each policy's LightGBM ranker trained from its own clicks as the
    product ships it. ``reformulate_share``: how often a user a broad ask failed rewords it (None: the world's)."""
    start = time.perf_counter()
    for setup in STREAM_SETUP:
        setup(world)
    settings = StudySettings(catalog=catalog, world=world, ranker=ranker, reformulate_share=reformulate_share)
    with tempfile.TemporaryDirectory(prefix="ltrr-dev-") as state:
        records = simulate(settings, list(policies.values()), seed, Path(state))
    records["label"] = records["policy"].map({spec: label for label, spec in policies.items()})
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    records.to_csv(path, index=False)
    return world, seed, time.perf_counter() - start


def tuned_specs(catalog: str, world: str, path: Path) -> dict[str, str]:
    """Label -> spec of the fixed configurations the study tunes by candidates for ``world`` (caps up
    to TUNED_CAP), tuned on its tuning stream; kept in ``path`` so that every stream reads the same."""
    if path.exists():
        return json.loads(path.read_text())
    settings = StudySettings(catalog=catalog, world=world, ms_shares=(),
                             caps=tuple(c for c in StudySettings(catalog=catalog).caps if c <= TUNED_CAP))
    with tempfile.TemporaryDirectory(prefix="ltrr-dev-tune-") as state:
        tuning, _ = tune(settings, Path(state))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(tuning.fixed, indent=1))
    return tuning.fixed


def frontier_rows(tuned: dict, run: dict, window: int = WINDOW) -> pd.DataFrame:
    """One row per stream both have and policy of ``run``: its success@10 and candidates over the last
    ``window`` steps, and its success minus the static frontier of ``tuned``'s configurations on
    that stream at its own candidates (points)."""
    rows = []
    for key in sorted(set(tuned) & set(run)):
        fixed = last_window(tuned[key], window)
        points = (fixed.groupby("policy").agg(candidates=("n_candidates", "mean"), success=("success", "mean"))
                  .reset_index())
        front = upper_frontier(points[["candidates", "success"]])
        for policy, records in last_window(run[key], window).groupby("policy"):
            success, candidates = 100 * records["success"].mean(), records["n_candidates"].mean()
            rows.append({"world": key[0], "seed": key[1], "policy": policy, "success": success,
                         "candidates": candidates, "gap": success - 100 * frontier_at(front, candidates)})
    return pd.DataFrame(rows)


def paired_rows(base: dict, other: dict, window: int = WINDOW) -> pd.DataFrame:
    """One row per stream both runs have: differences in success@10 (points) and candidates,
    and each vague kind of ask's success in both (NaN where the window has none)."""
    rows = []
    for key in sorted(set(base) & set(other)):
        a, b = last_window(base[key], window), last_window(other[key], window)
        row = {"world": key[0], "seed": key[1],
               "points": 100 * (b["success"].mean() - a["success"].mean()),
               "candidates": b["n_candidates"].mean() - a["n_candidates"].mean()}
        for kind in VAGUE:
            was, now = a[a["query_type"] == kind], b[b["query_type"] == kind]
            row[f"{kind}_was"] = 100 * was["success"].mean() if len(was) else np.nan
            row[f"{kind}_now"] = 100 * now["success"].mean() if len(now) else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def interval_text(values: pd.Series) -> str:
    """``+0.37 (-0.02 to +0.75)``: mean and 95% t-interval of paired differences."""
    values = values.dropna()
    if values.empty:
        return "n/a"
    mean, lo, hi = t_interval(values.to_numpy())
    return f"{mean:+.2f}" if np.isnan(lo) else f"{mean:+.2f} ({lo:+.2f} to {hi:+.2f})"


def summary_lines(rows: pd.DataFrame) -> list[str]:
    """What ``pair`` prints for one pairing: over all streams, then per world."""
    lines = []
    groups = [("both worlds", rows)] + [(w, g) for w, g in rows.groupby("world", sort=False)]
    for label, g in groups:
        up = int((g["points"] > 0).sum())
        lines.append(f"  {label}: {interval_text(g['points'])} points, {up} of {len(g)} streams up, "
                     f"{g['candidates'].mean():+.2f} candidates")
        if label == "both worlds":
            continue
        for kind in VAGUE:
            diff = g[f"{kind}_now"] - g[f"{kind}_was"]
            lines.append(f"    {kind}: {g[f'{kind}_was'].mean():.1f}% -> {g[f'{kind}_now'].mean():.1f}%, "
                         f"paired {interval_text(diff)}")
    return lines


def load_run(out: Path, name: str) -> dict:
    """(world, seed) -> records of every stream recorded for run ``name``."""
    found = {}
    for path in sorted((out / name).glob("*-*.csv.gz")):
        world, seed = path.name[:-len(".csv.gz")].rsplit("-", 1)
        found[(world, int(seed))] = pd.read_csv(path)
    return found


def cmd_record(args: argparse.Namespace) -> int:
    jobs = [(w, s) for w in args.worlds for s in args.seeds
            if args.again or not stream_path(args.out, args.name, w, s).exists()]
    what = "the tuned fixed configurations" if args.tuned else args.policy
    specs = {w: tuned_specs(str(args.catalog), w, args.out / args.name / f"tuned-{w}.json")
             for w in args.worlds} if args.tuned and jobs else {}
    print(f"{len(jobs)} streams to run for {args.name!r} ({what}, {args.ranker} ranker); {args.jobs} at a time",
          flush=True)
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(record_stream, str(args.catalog), specs[w] if args.tuned else {args.policy: args.policy},
                               w, s, str(stream_path(args.out, args.name, w, s)), args.ranker, args.reformulate_share)
                   for w, s in jobs]
        for done, future in enumerate(futures, start=1):
            world, seed, seconds = future.result()
            print(f"  [{done}/{len(jobs)}] {world} seed {seed}: {seconds:.0f} s", flush=True)
    return 0


def against(args: argparse.Namespace, base: str, rows_of: Callable[[dict, dict, int], pd.DataFrame],
            hint: str = "") -> list[tuple[str, pd.DataFrame]] | None:
    """Per run named in ``args.names``: its name and ``rows_of(base records, its records, window)``,
    for the runs that share streams with ``base`` (None when ``base`` has no records)."""
    reference = load_run(args.out, base)
    if not reference:
        print(f"no streams recorded for {base!r} in {args.out}{hint}", file=sys.stderr)
        return None
    out = []
    for name in args.names:
        rows = rows_of(reference, load_run(args.out, name), args.window)
        if rows.empty:
            print(f"{name}: no stream in common with {base}")
        else:
            out.append((name, rows))
    return out


def cmd_pair(args: argparse.Namespace) -> int:
    runs = against(args, args.base, paired_rows)
    if runs is None:
        return 2
    for name, rows in runs:
        print(f"{name} - {args.base} (success@10 over the last {args.window} steps):")
        print("\n".join(summary_lines(rows)))
    return 0


def cmd_frontier(args: argparse.Namespace) -> int:
    runs = against(args, args.tuned, frontier_rows, " (record it with --tuned)")
    if runs is None:
        return 2
    for name, rows in runs:
        for policy, g in rows.groupby("policy", sort=False):
            print(f"{name} ({policy}) minus the static frontier of {args.tuned} at its own candidates "
                  f"(success@10 over the last {args.window} steps):")
            for label, gg in [("both worlds", g)] + [(w, x) for w, x in g.groupby("world", sort=False)]:
                up = int((gg["gap"] > 0).sum())
                print(f"  {label}: {interval_text(gg['gap'])} points, {up} of {len(gg)} streams above; "
                      f"{gg['success'].mean():.1f}% at {gg['candidates'].mean():.2f} candidates")
    return 0


def seed_list(text: str) -> list[int]:
    """``21-32`` or ``21,22,30``."""
    if "-" in text:
        lo, hi = (int(x) for x in text.split("-", 1))
        return list(range(lo, hi + 1))
    return [int(x) for x in text.split(",") if x.strip()]


def build_parser() -> argparse.ArgumentParser:
    """The command line: ``record``, ``pair`` and ``frontier`` (scripts that wrap this one read it too)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("reports/dev"), help="runs folder (default reports/dev)")
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="run the dev streams with this checkout's code")
    rec.add_argument("name", help="what to call this run (a folder under --out)")
    rec.add_argument("--catalog", type=Path, required=True)
    rec.add_argument("--policy", default="coverage", help="policy spec (default coverage)")
    rec.add_argument("--worlds", nargs="+", default=list(WORLDS), choices=ALL_WORLDS)
    rec.add_argument("--seeds", type=seed_list, default=list(DEV_SEEDS), help="default 21-32")
    rec.add_argument("--jobs", type=int, default=2, help="streams run at once (default 2)")
    rec.add_argument("--again", action="store_true", help="rerun streams already recorded")
    rec.add_argument("--tuned", action="store_true",
                     help="run the study's fixed configurations tuned for each world instead of --policy")
    rec.add_argument("--ranker", choices=tuple(RANKERS), default="heuristic",
                     help="the study's heuristic ranker (default), or each policy's LightGBM ranker trained "
                          "from its own clicks, as the product ships")
    rec.add_argument("--reformulate-share", type=float, default=None, metavar="P",
                     help="chance that a user a broad ask failed rewords it (default: the world's)")
    pair = sub.add_parser("pair", help="pair runs with a base run, stream by stream")
    pair.add_argument("base")
    pair.add_argument("names", nargs="+")
    pair.add_argument("--window", type=int, default=WINDOW)
    front = sub.add_parser("frontier", help="each run's success minus the tuned configurations' frontier")
    front.add_argument("tuned", help="a run recorded with --tuned")
    front.add_argument("names", nargs="+")
    front.add_argument("--window", type=int, default=WINDOW)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return {"record": cmd_record, "pair": cmd_pair, "frontier": cmd_frontier}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
