"""Simulation commands: ``simulate`` (learning curves from simulated users) and
``ope`` (off-policy estimates from a logged policy)."""
from __future__ import annotations

import argparse
from pathlib import Path

from ltrr.cli.common import (EXIT_OK, CliError, add_catalog_argument, add_world_arguments, catalog_path,
                             close_progress, command, names, non_negative_int, positive_int, progress_for)
from ltrr.simulate.world import get_world


def _simulate_arguments(parser: argparse.ArgumentParser) -> None:
    add_catalog_argument(parser)
    parser.add_argument("--steps", type=positive_int, default=2000, metavar="N",
                        help="simulated interactions per policy (default 2000)")
    parser.add_argument("--policy", default="coverage", metavar="SPEC",
                        help="the policy under test (default coverage)")
    parser.add_argument("--compare", action="append", default=[], metavar="SPECS",
                        help="policies to compare with, comma separated, e.g. static:lexical,static:semantic,all "
                             "(repeatable)")
    parser.add_argument("--out", type=Path, default=Path("reports"), metavar="DIR",
                        help="report folder; engine states go to DIR/states/<policy> (default reports/)")
    parser.add_argument("--seed", type=non_negative_int, default=0, metavar="S", help="random seed (default 0)")
    parser.add_argument("--users", type=positive_int, default=100, metavar="N", help="simulated users (default 100)")
    parser.add_argument("--arms", default=None, metavar="A,B", help="restrict the engine's arms (default: all)")
    parser.add_argument("--types", default=None, metavar="T,U", help="restrict the query types (default: all the "
                                                                     "catalog supports)")
    add_world_arguments(parser)
    parser.add_argument("--click-model", choices=("pbm", "cascade"), default=None,
                        help="position-based or cascade click model with its default settings "
                             "(default: the world's, position-based in the default world)")
    parser.add_argument("--window", type=positive_int, default=500, metavar="N",
                        help="steps in the 'last window' of the summary (default 500)")


@command("simulate", "run simulated users through policies and write learning curves", _simulate_arguments)
def cmd_simulate(args: argparse.Namespace) -> int:
    """Simulate users against the policy and the comparison policies; write CSVs, PNGs and report.md."""
    from ltrr.simulate import make_click_model, run_simulation, summary_table, target_checks, write_report
    from ltrr.simulate.report import check_mark, effective_window, window_note
    from ltrr.simulate.runner import split_policies

    policies = split_policies(args.policy) + [p for text in args.compare for p in split_policies(text)]
    catalog = catalog_path(args)
    world = get_world(args.world)
    clicks = world.click_model() if args.click_model is None else make_click_model(args.click_model)
    retry_share = world.retry_share if args.retry_share is None else args.retry_share
    reformulate_share = world.reformulate_share if args.reformulate_share is None else args.reformulate_share
    progress = progress_for(args)
    try:
        result = run_simulation(catalog, policies, args.steps, args.seed, args.out / "states", progress=progress,
                                arms=names(args.arms), n_users=args.users, query_types=names(args.types),
                                click_model=clicks, retry_share=retry_share, reformulate_share=reformulate_share,
                                stream_options={"world": world.name})
    finally:
        close_progress(progress)
    report = write_report(result, args.out, window=args.window)
    window = effective_window(result.steps, args.window)
    note = window_note(result.steps, args.window)
    if note:
        print(f"note: {note}")
    summary = summary_table(result.records, window)
    print(f"{result.steps:,} steps x {len(policies)} policies; last {window:,} steps:")
    for row in summary.itertuples(index=False):
        print(f"  {row.policy:<28} success@10 {100 * row.success_last:5.1f}%  MRR {row.mrr_last:.3f}  "
              f"candidates {row.candidates_last:5.1f}  arms {row.arms_last:.2f}  cum. regret {row.cum_regret:7.1f}")
    checks = target_checks(summary)
    for check in checks:
        print(f"  [{check_mark(check)}] {check['target']}: {check['value']}")
    if checks:
        print("  ([ok] target met, [--] not met, [n/a] this run cannot measure it; see the report)")
    print(f"report: {report}")
    return EXIT_OK


def _ope_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--log", type=Path, required=True, metavar="FILE",
                        help="an exported log (.jsonl, .parquet, .csv or UBI .ndjson) or a state folder")
    parser.add_argument("--policy", action="append", default=[], metavar="SPEC",
                        help="target arm set: all or static:ARM[,ARM...] (repeatable; default: each arm and all)")
    parser.add_argument("--confidence", type=float, default=0.95, metavar="C", help="interval level (default 0.95)")
    parser.add_argument("--ci", choices=("normal", "bootstrap"), default="normal", help="interval method")
    parser.add_argument("--seed", type=non_negative_int, default=0, metavar="S",
                        help="seed of the bootstrap and of DR's cross-fitting folds")
    parser.add_argument("--out", type=Path, default=None, metavar="FILE.md", help="also write a Markdown table")


@command("ope", "estimate arm sets' click success from a logged policy (off-policy evaluation)", _ope_arguments)
def cmd_ope(args: argparse.Namespace) -> int:
    """Replay, IPS, SNIPS and doubly robust estimates with confidence intervals."""
    from ltrr.evaluate.ope import OPEError, evaluate_log

    try:
        results = evaluate_log(args.log, args.policy or None, confidence=args.confidence, ci=args.ci, seed=args.seed)
    except OPEError as exc:
        raise CliError(str(exc)) from None
    lines = [f"Off-policy estimates from {args.log} ({results[0].n:,} searches, logging click rate "
             f"{results[0].logging_value:.3f}; {int(100 * args.confidence)}% {args.ci} intervals)", "",
             "| target | estimator | value | interval | searches with the set | ESS |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in results:
        for e in r.estimates:
            lines.append(f"| {r.target} | {e.estimator} | {e.value_text()} | {e.interval_text()} | "
                         f"{r.matched:,} | {r.ess:,.1f} |")
    notes = [f"{r.target}: {w}" for r in results for w in r.warnings]
    text = "\n".join(lines + ([""] + [f"* {n}" for n in notes] if notes else []))
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    return EXIT_OK
