"""The ``study`` command: learners against the strongest fixed baselines, over seeds (ltrr.simulate.study)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from ltrr.cli.common import (EXIT_OK, add_catalog_argument, add_world_arguments, catalog_path, close_progress, command, names,
                             non_negative_int, positive_int, progress_for, share)
from ltrr.simulate.study_settings import RANKERS, StudySettings, headline
from ltrr.simulate.world import DEFAULT


def _study_arguments(parser: argparse.ArgumentParser) -> None:
    add_catalog_argument(parser)
    parser.add_argument("--seeds", type=positive_int, default=5, metavar="N", help="test seeds 0..N-1 (default 5)")
    parser.add_argument("--steps", type=positive_int, default=2000, metavar="N", help="steps per seed (default 2000)")
    parser.add_argument("--window", type=positive_int, default=500, metavar="N",
                        help="last steps the comparisons use (default 500)")
    parser.add_argument("--tune-steps", type=positive_int, default=2000, metavar="N",
                        help="steps of the separate tuning stream (default 2000)")
    parser.add_argument("--tune-seed", type=non_negative_int, default=10_000, metavar="S",
                        help="seed of the tuning stream (default 10000)")
    parser.add_argument("--arms", default=None, metavar="A,B", help="restrict the engine's arms (default: all)")
    parser.add_argument("--drift", type=non_negative_int, default=1000, metavar="STEP",
                        help="step of the drift event, 0 for none (default 1000)")
    parser.add_argument("--release-share", type=share, default=None, metavar="P",
                        help="share of the drift's trending searches that ask what just came out "
                             f"(default: the world's, {DEFAULT.release_share:g} in the default world)")
    add_world_arguments(parser)
    parser.add_argument("--headline", action="store_true",
                        help="only the policies behind the README's answer (the learners, all@20, the tuned "
                             "configurations): about half the run time")
    parser.add_argument("--ranker", choices=tuple(RANKERS), default="heuristic",
                        help="the ranker every policy runs: the heuristic (default; policies differ by retrieval "
                             "only), or each policy's LightGBM ranker trained from its own clicks, as the product "
                             "ships")
    parser.add_argument("--ray", nargs="?", const="local", default=None, metavar="ADDRESS",
                        help="run the seeds as Ray tasks: a local cluster, or ADDRESS (e.g. auto, HOST:PORT)")
    parser.add_argument("--out", type=Path, default=Path("reports/study"), metavar="DIR",
                        help="report folder (default reports/study)")


@command("study", "does learning pay? learners vs the best fixed configurations, over seeds", _study_arguments)
def cmd_study(args: argparse.Namespace) -> int:
    """Tune fixed baselines on one stream, run every policy on N seeds, print the paired comparisons."""
    from ltrr.simulate.study import run_study

    settings = StudySettings(catalog=str(catalog_path(args)), seeds=tuple(range(args.seeds)), steps=args.steps,
                             window=min(args.window, args.steps), tune_seed=args.tune_seed,
                             tune_steps=args.tune_steps,
                             arms=tuple(names(args.arms)) if args.arms else None,
                             drift_step=args.drift or None, release_share=args.release_share,
                             retry_share=args.retry_share, reformulate_share=args.reformulate_share,
                             world=args.world, ranker=args.ranker)
    if args.headline:
        settings = headline(settings)
    progress = progress_for(args)
    try:
        summary = run_study(settings, args.out, address=args.ray, progress=progress)
    finally:
        close_progress(progress)
    print((args.out / "report.md").read_text())
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2, default=float))
    return EXIT_OK
