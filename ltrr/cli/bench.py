"""``bench``: search latency, index builds, memory and library choices."""
from __future__ import annotations

import argparse
from pathlib import Path

from ltrr.cli.common import (EXIT_OK, add_catalog_argument, catalog_path, close_progress, command, names,
                             non_negative_int, positive_int, progress_for)


def _bench_arguments(parser: argparse.ArgumentParser) -> None:
    add_catalog_argument(parser)
    parser.add_argument("--queries", type=positive_int, default=200, metavar="N",
                        help="measured searches (default 200, after 20 warm-up)")
    parser.add_argument("--out", type=Path, default=None, metavar="FILE.md", help="also write the Markdown report")
    parser.add_argument("--arms", default=None, metavar="A,B", help="restrict the arms (default: all)")
    parser.add_argument("--policy", default="coverage", metavar="SPEC", help="engine policy (default coverage)")
    parser.add_argument("--cached-arms", default="semantic", metavar="A,B",
                        help="arms timed on their existing index instead of a fresh build (default semantic)")
    parser.add_argument("--no-builds", action="store_true", help="skip the index build timings")
    parser.add_argument("--ranker-training", choices=("background", "sync", "off"), default="background",
                        help="when the engine retrains its ranker during the run (default background, as in the app)")
    parser.add_argument("--seed", type=non_negative_int, default=0, metavar="S", help="random seed (default 0)")


@command("bench", "benchmark search latency, index builds, memory and library choices", _bench_arguments)
def cmd_bench(args: argparse.Namespace) -> int:
    """Print (and optionally write) the benchmark's Markdown report."""
    from ltrr.evaluate.bench import run_bench

    catalog = catalog_path(args)
    progress = progress_for(args)
    try:
        result = run_bench(catalog, queries=args.queries, seed=args.seed, arms=names(args.arms), policy=args.policy,
                           cached_arms=names(args.cached_arms) or (), measure_builds=not args.no_builds,
                           ranker_training=args.ranker_training, progress=progress)
    finally:
        close_progress(progress)
    text = result.markdown()
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    return EXIT_OK
